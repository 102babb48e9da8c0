"""The real suite on every Moodle release and database: ``make test-real-matrix MOODLE_SRC_DIR=<folder>``.

For each target (a Moodle release archive of the folder, on each database family) one after the other:
build a lab, run ``make test-real`` against it, record the contract transcripts from it and measure the
simulator against that recording (``make contract``), test the lab tool on it (``make test-lab``), then
destroy the lab before the next. Prints a
summary table (also written to build/matrix/summary.md) and exits 1 when any target failed.

    python3 tools/real_matrix.py --src-dir ~/moodle-releases [--targets 4.4-pgsql,5.0-mariadb]
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tarfile
import time
from xml.etree import ElementTree

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(CHECKOUT, "build", "matrix")
DATABASES = ("pgsql", "mariadb")
ARCHIVES = ("*.tar.xz", "*.tar.gz", "*.tgz")


def archive_release(path):
    """``4.4`` for an archive of Moodle 4.4.x: from its name, else from the version.php inside."""
    match = re.search(r"moodle-(\d+)\.(\d+)", os.path.basename(path))
    if match:
        return "%s.%s" % match.groups()
    with tarfile.open(path) as archive:
        for member in archive:
            if re.fullmatch(r"([^/]+/)?(public/)?version\.php", member.name):
                text = archive.extractfile(member).read().decode("utf-8", "replace")
                branch = int(re.search(r"\$branch\s*=\s*'(\d+)'", text).group(1))
                return "%d.%d" % (branch // 100, branch % 100)
    raise SystemExit("%s: no Moodle version.php found" % path)


def targets(src_dir, wanted):
    found = {}
    for pattern in ARCHIVES:
        for path in sorted(glob.glob(os.path.join(src_dir, pattern))):
            release = archive_release(path)
            for db in DATABASES:
                found["%s-%s" % (release, db)] = path
    if wanted:
        missing = [t for t in wanted if t not in found]
        if missing:
            raise SystemExit("no archive in %s for %s (found: %s)" % (src_dir, ", ".join(missing), ", ".join(found)))
        return [(t, found[t]) for t in wanted]
    return sorted(
        found.items(),
        key=lambda item: (tuple(int(p) for p in item[0].split("-")[0].split(".")), item[0].split("-")[1] != "pgsql"),
    )


def run(argv, log, env=None):
    """Run a step with its output appended to ``log``; return (exit code, output, seconds)."""
    start = time.monotonic()
    result = subprocess.run(
        argv, cwd=CHECKOUT, env=dict(os.environ, **(env or {})), capture_output=True, text=True, check=False
    )
    with open(log, "a") as handle:
        handle.write("$ %s\n%s%s\n" % (" ".join(argv), result.stdout, result.stderr))
    return result.returncode, result.stdout + result.stderr, time.monotonic() - start


def junit_counts(path):
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def one_target(target, archive):
    release, db = target.split("-")
    lab = "matrix-" + target.replace(".", "")
    log = os.path.join(OUT, target + ".log")
    open(log, "w").close()
    row = {
        "target": target,
        "archive": os.path.basename(archive),
        "install": None,
        "real": None,
        "conformance": None,
        "ok": False,
        "seconds": 0.0,
    }
    start = time.monotonic()
    lab_tool = [sys.executable, os.path.join(CHECKOUT, "tools", "moodle_lab"), "--name", lab]
    run(lab_tool + ["destroy"], log)
    try:
        code, output, seconds = run(lab_tool + ["up", "--src", archive, "--db", db], log)
        if code != 0:
            row["note"] = "lab up failed: " + output.strip().splitlines()[-1]
            return row
        row["install"] = seconds
        env_file = os.path.join(CHECKOUT, "build", "lab", lab, "lab.env")
        junit = os.path.join(OUT, target + "-real.xml")
        code, output, seconds = run(
            ["make", "test-real"], log, {"MOODLE_LAB_ENV": env_file, "PYTEST_ADDOPTS": "--junitxml=" + junit}
        )
        row["real"] = junit_counts(junit)
        row["real_seconds"] = seconds
        real_ok = code == 0
        recording = os.path.join(OUT, "record")
        run(["make", "record", "LAB=" + lab, "RECORD_OUT=" + recording], log)
        code, output, seconds = run(["make", "contract"], log, {"CONTRACT_RECORDINGS": os.path.join(recording, target)})
        match = re.search(r"conformant (\d+)/(\d+)", output)
        row["conformance"] = "%s/%s" % match.groups() if match else "not measured"
        contract_ok = code == 0
        # Last, as it stops and restarts the lab: the lab tool itself on this release and database.
        code, output, seconds = run(["make", "test-lab", "LAB=" + lab], log)
        row["lab_tool"] = "ok" if code == 0 else "FAILED"
        row["ok"] = real_ok and contract_ok and code == 0
        return row
    finally:
        run(lab_tool + ["destroy"], log)
        row["seconds"] = time.monotonic() - start


def table(rows):
    lines = [
        "| target | archive | install s | real: passed / failed / skipped | real s | conformance | lab tool | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        real = "%d / %d / %d" % row["real"] if row.get("real") else "-"
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (
                row["target"],
                row["archive"],
                "%.0f" % row["install"] if row["install"] else "-",
                real,
                "%.0f" % row["real_seconds"] if row.get("real_seconds") else "-",
                row["conformance"] or "-",
                row.get("lab_tool", "-"),
                "ok" if row["ok"] else "FAILED" + (" (%s)" % row["note"] if row.get("note") else ""),
            )
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--src-dir",
        default=os.environ.get("MOODLE_SRC_DIR"),
        help="folder of Moodle release archives (env MOODLE_SRC_DIR)",
    )
    parser.add_argument(
        "--targets",
        default=os.environ.get("MATRIX_TARGETS", ""),
        help="comma-separated subset, e.g. 4.4-pgsql,5.0-mariadb (env MATRIX_TARGETS; default all)",
    )
    args = parser.parse_args(argv)
    if not args.src_dir or not os.path.isdir(args.src_dir):
        parser.error("give --src-dir (MOODLE_SRC_DIR): a folder of Moodle release archives")
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for target, archive in targets(args.src_dir, [t for t in args.targets.split(",") if t]):
        print("=== matrix: %s from %s" % (target, os.path.basename(archive)), flush=True)
        row = one_target(target, archive)
        rows.append(row)
        print(
            table([row]).splitlines()[-1] + "  (%.0f s; log build/matrix/%s.log)" % (row["seconds"], target), flush=True
        )
    summary = table(rows)
    with open(os.path.join(OUT, "summary.md"), "w") as handle:
        handle.write(summary)
    print(summary)
    return 0 if rows and all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
