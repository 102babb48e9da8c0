# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark moodle_cohort_member against the Moodle simulator: N memberships in one task, then rerun.

Run as a script (not part of the test suite), after ``make link``:

    .venv/bin/python bench/bench_moodle_cohort_member.py [--sizes 1000 10000] [--max-input-vars 5000]
        [--tokens TOKEN_OK TOKEN_FULL]

The users exist already (inserted into the simulator directly) and are given by e-mail, as the enrol
role does after moodle_user. For each token and size it prints the HTTP requests per wsfunction (the
simulator's counts) and the wall time of the whole ansible-playbook process, for the first run and
the rerun, plus the time of an empty playbook (Ansible's own start-up) for reference.
"""

import argparse

from module_task import baseline, time_module_task, report
from moodlesim import Simulator, TOKENS  # pylint: disable=wrong-import-order


def run_once(sim, token, cohort_id, emails, max_input_vars):
    """One ansible-playbook run of moodle_cohort_member; returns (result, seconds, request counts)."""
    task = {
        "moodle_url": "{{ moodle_url }}",
        "moodle_token": "{{ moodle_token }}",
        "cohort_id": cohort_id,
        "users": "{{ emails }}",
        "max_input_vars": max_input_vars,
    }
    return time_module_task(
        sim,
        "dsenroll.moodle.moodle_cohort_member",
        task,
        {"moodle_url": sim.url, "moodle_token": TOKENS[token], "emails": emails},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--max-input-vars", type=int, default=5000, help="PHP max_input_vars of the site")
    parser.add_argument(
        "--tokens",
        nargs="+",
        default=["TOKEN_OK", "TOKEN_FULL"],
        help="TOKEN_OK: the three enrolment functions; TOKEN_FULL: with the cohort reads",
    )
    options = parser.parse_args()
    print("moodle_cohort_member against the simulator: max_input_vars=%d" % options.max_input_vars)
    print("%-28s %7.1f s  (an empty playbook: Ansible's start-up)" % ("baseline", baseline()))
    with Simulator(seed="transcript-site", max_input_vars=options.max_input_vars).start() as sim:
        for token in options.tokens:
            for size in options.sizes:
                cohort = sim.add_cohort("Bench %s %d" % (token, size), idnumber="bench-%s-%d" % (token.lower(), size))
                emails = []
                for number in range(size):
                    email = "bench_%s_%d_%05d@example.org" % (token.lower(), size, number)
                    sim.add_user(email.split("@")[0], email)
                    emails.append(email)
                result, seconds, counts = run_once(sim, token, cohort["id"], emails, options.max_input_vars)
                assert result["summary"]["added"] == size and len(sim.cohort_members(cohort["id"])) == size, result
                report("%s first run %d" % (token, size), result, seconds, counts)
                result, seconds, counts = run_once(sim, token, cohort["id"], emails, options.max_input_vars)
                assert result["summary"]["member"] == size and not result["changed"], result
                report("%s rerun %d" % (token, size), result, seconds, counts)


if __name__ == "__main__":
    main()
