# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark moodle_user against the Moodle simulator: create N users in one task, then rerun.

Run as a script (not part of the test suite), after ``make link``:

    .venv/bin/python bench/bench_moodle_user.py [--sizes 1000 10000] [--max-input-vars 5000] [--batch-size 100]

For each size it prints the HTTP requests per wsfunction (the simulator's counts) and the wall time of
the whole ansible-playbook process (Ansible's start-up included), for the create run and the rerun.
"""

import argparse

from module_task import time_module_task, report
from moodlesim import Simulator, TOKENS  # pylint: disable=wrong-import-order


def people(count, prefix):
    return [
        {
            "email": "%s%05d@example.org" % (prefix, n),
            "firstname": "Bench",
            "lastname": "N%d" % n,
            "department": "Bench",
            "create_password": True,
        }
        for n in range(count)
    ]


def run_once(sim, users, max_input_vars, batch_size):
    """One ansible-playbook run of moodle_user over ``users``; returns (result, seconds, request counts)."""
    task = {
        "moodle_url": "{{ moodle_url }}",
        "moodle_token": "{{ moodle_token }}",
        "users": "{{ people }}",
        "max_input_vars": max_input_vars,
        "batch_size": batch_size,
    }
    return time_module_task(
        sim,
        "dsenroll.moodle.moodle_user",
        task,
        {"moodle_url": sim.url, "moodle_token": TOKENS["TOKEN_OK"], "people": users},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--max-input-vars", type=int, default=5000, help="PHP max_input_vars of the site")
    parser.add_argument("--batch-size", type=int, default=100)
    options = parser.parse_args()
    print(
        "moodle_user against the simulator: max_input_vars=%d, batch_size=%d, token TOKEN_OK"
        % (options.max_input_vars, options.batch_size)
    )
    with Simulator(seed="transcript-site", max_input_vars=options.max_input_vars).start() as sim:
        for size in options.sizes:
            users = people(size, "bench%d_" % size)
            result, seconds, counts = run_once(sim, users, options.max_input_vars, options.batch_size)
            assert result["summary"]["created"] == size, result
            report("create %d" % size, result, seconds, counts)
            result, seconds, counts = run_once(sim, users, options.max_input_vars, options.batch_size)
            assert result["summary"]["exists"] == size and not result["changed"], result
            report("rerun %d" % size, result, seconds, counts)


if __name__ == "__main__":
    main()
