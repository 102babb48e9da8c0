"""Prints the contract test's conformance figure: `conformant N/M`."""

TALLY = {"passed": 0, "total": 0}


def pytest_runtest_logreport(report):
    if "::test_transcript[" not in report.nodeid:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        TALLY["total"] += 1
        if report.outcome == "passed" and not hasattr(report, "wasxfail"):
            TALLY["passed"] += 1


def pytest_terminal_summary(terminalreporter):
    if TALLY["total"]:
        terminalreporter.write_line("conformant %d/%d" % (TALLY["passed"], TALLY["total"]))
