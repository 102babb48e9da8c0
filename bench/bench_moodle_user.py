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
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(REPO, "tests"), os.path.join(REPO, "tests", "integration")]

from moodlesim import Simulator, TOKENS  # noqa: E402  pylint: disable=wrong-import-position
from harness import run_playbook  # noqa: E402  pylint: disable=wrong-import-position


def people(count, prefix):
    return [{"email": "%s%05d@example.org" % (prefix, n), "firstname": "Bench", "lastname": "N%d" % n,
             "department": "Bench", "create_password": True} for n in range(count)]


def run_once(sim, users, max_input_vars, batch_size):
    """One ansible-playbook run of moodle_user over ``users``; returns (result, seconds, request counts)."""
    with tempfile.TemporaryDirectory(prefix="bench-user-") as tmpdir:
        out = os.path.join(tmpdir, "result.json")
        playbook = os.path.join(tmpdir, "play.yml")
        task = {"moodle_url": "{{ moodle_url }}", "moodle_token": "{{ moodle_token }}", "users": "{{ people }}",
                "max_input_vars": max_input_vars, "batch_size": batch_size}
        with open(playbook, "w") as handle:
            json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"name": "Moodle users", "dsenroll.moodle.moodle_user": task, "register": "outcome"},
                {"name": "Keep the summary", "ansible.builtin.copy": {
                    "content": "{{ {'changed': outcome.changed, 'summary': outcome.summary} | to_json }}",
                    "dest": out, "mode": "0600"}},
            ]}], handle)
        sim.reset_counts()
        started = time.monotonic()
        run = run_playbook(playbook, extra_vars={"moodle_url": sim.url, "moodle_token": TOKENS["TOKEN_OK"],
                                                 "people": users})
        seconds = time.monotonic() - started
        if run.rc != 0 or not os.path.exists(out):
            raise SystemExit("ansible-playbook failed (rc %s):\n%s" % (run.rc, run.output[-3000:]))
        with open(out) as handle:
            result = json.load(handle)
    return result, seconds, sim.request_counts()


def report(label, result, seconds, counts):
    summary = dict((k, v) for k, v in result["summary"].items() if v)
    print("%-22s %7.1f s  changed=%-5s %s" % (label, seconds, result["changed"], json.dumps(summary)))
    for function, number in sorted(counts.items()):
        print("%26s %-32s %5d requests" % ("", function, number))
    print("%26s %-32s %5d requests" % ("", "total", sum(counts.values())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--max-input-vars", type=int, default=5000, help="PHP max_input_vars of the site")
    parser.add_argument("--batch-size", type=int, default=100)
    options = parser.parse_args()
    print("moodle_user against the simulator: max_input_vars=%d, batch_size=%d, token TOKEN_OK"
          % (options.max_input_vars, options.batch_size))
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
