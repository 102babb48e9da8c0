"""Prints the contract test's conformance figure per recorded target: `conformant N/M (target)`."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TALLY = {}


def pytest_runtest_logreport(report):
    match = re.search(r"::test_transcript\[([^/\]]+)/", report.nodeid)
    if not match:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        tally = TALLY.setdefault(match.group(1), [0, 0])
        tally[1] += 1
        if report.outcome == "passed" and not hasattr(report, "wasxfail"):
            tally[0] += 1


def pytest_terminal_summary(terminalreporter):
    for target, (passed, total) in sorted(TALLY.items()):
        terminalreporter.write_line("conformant %d/%d (%s)" % (passed, total, target))
