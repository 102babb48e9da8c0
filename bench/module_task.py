# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the per-module benchmarks share: time one module task in its own ansible-playbook, print the figures."""

import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(REPO, "tests"), os.path.join(REPO, "tests", "integration")]

from harness import run_playbook, run_task  # noqa: E402  pylint: disable=wrong-import-position


def playbook_file(tmpdir, tasks):
    path = os.path.join(tmpdir, "play.yml")
    with open(path, "w") as handle:
        json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], handle)
    return path


def baseline():
    """Seconds for an ansible-playbook process that does nothing (start-up and one no-op task)."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmpdir:
        started = time.monotonic()
        run_playbook(playbook_file(tmpdir, [{"name": "Nothing", "ansible.builtin.meta": "noop"}]))
        return time.monotonic() - started


def time_module_task(sim, module, task_args, extra_vars):
    """Run ``module`` once with ``task_args`` (templated from ``extra_vars``) against ``sim``.

    Returns (the task's result, wall seconds of the ansible-playbook process, the simulator's request
    counts per wsfunction during the run).
    """
    sim.reset_counts()
    started = time.monotonic()
    result, run = run_task(module, task_args, extra_vars)
    seconds = time.monotonic() - started
    if run.rc != 0 or result is None or result.get("failed"):
        raise SystemExit("ansible-playbook failed (rc %s):\n%s" % (run.rc, run.output[-3000:]))
    return result, seconds, sim.request_counts()


def report(label, result, seconds, counts):
    summary = dict((k, v) for k, v in result["summary"].items() if v)
    print("%-28s %7.1f s  changed=%-5s %s" % (label, seconds, result["changed"], json.dumps(summary)))
    for function, number in sorted(counts.items()):
        print("%30s %-34s %5d requests" % ("", function, number))
    print("%30s %-34s %5d requests" % ("", "total", sum(counts.values())))
