# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""make test-versions: the unit tests and an integration subset on every ansible-core the collection claims.

From the lowest version meta/runtime.yml claims (requires_ansible) to the newest released, each in its own
virtual environment under build/versions/, on a Python that version supports. Prints a table of the results and
exits non-zero when any version fails. Not part of `make test`: about two minutes per version.

The integration subset runs every kind of plugin through ansible-playbook once: the enrol role (both enrolment
modules, the filters, the report_file action, role argument specs, module_defaults) and the preflight role
(moodle_ws_info, app_token_check), plus the report_file action's own tests. The full integration suite runs on
the development version in `make test`.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (ansible-core, Python): the latest patch release of each minor version, on a Python its controller supports.
VERSIONS = (
    ("2.16.19", "3.11"),
    ("2.17.14", "3.11"),
    ("2.18.19", "3.11"),
    ("2.19.14", "3.11"),
    ("2.20.10", "3.12"),
    ("2.21.5", "3.13"),
)
INTEGRATION = (
    "tests/integration/test_enrol_role.py",
    "tests/integration/test_preflight.py",
    "tests/integration/test_report_file.py",
)
REQUIREMENTS = os.path.join(REPO, "requirements", "test-versions.txt")


def interpreter(python):
    """An interpreter of version ``python`` ("3.12"): pyenv's, else python3.12 on PATH."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python" % python)))
    if candidates:
        return candidates[-1]
    found = shutil.which("python%s" % python)
    if found and subprocess.run([found, "--version"], capture_output=True, check=False).returncode == 0:
        return found
    return None


def venv_for(version, python):
    venv = os.path.join(REPO, "build", "versions", "ansible-core-%s" % version)
    bin_python = os.path.join(venv, "bin", "python")
    if not os.path.exists(bin_python):
        subprocess.run([python, "-m", "venv", venv], check=True)
    subprocess.run(
        [
            bin_python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "ansible-core==%s" % version,
            "-r",
            REQUIREMENTS,
        ],
        check=True,
    )
    return bin_python


def pytest(bin_python, version, args):
    """Run pytest with ``args`` on the version's venv; return (passed, failed or errors, seconds)."""
    env = dict(os.environ)
    env.update(
        {
            "PATH": os.path.dirname(bin_python) + os.pathsep + env.get("PATH", ""),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, "build", "collections"),
            "ANSIBLE_HOME": os.path.join(REPO, "build", "versions", "ansible-home-%s" % version),
            "ANSIBLE_NOCOLOR": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    start = time.time()
    run = subprocess.run(
        [bin_python, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + list(args),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()[-300:]
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", summary))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", summary))
    if run.returncode != 0:
        failed = failed or 1
        sys.stderr.write("ansible-core %s, pytest %s:\n%s\n" % (version, " ".join(args), run.stdout[-3000:]))
    return passed, failed, time.time() - start


def main():
    rows = []
    for version, python in VERSIONS:
        found = interpreter(python)
        if found is None:
            rows.append((version, python, "no Python %s" % python, "", False))
            continue
        bin_python = venv_for(version, found)
        units = pytest(bin_python, version, ["tests/unit"])
        integration = pytest(bin_python, version, ["-n", "2"] + list(INTEGRATION))
        ok = not units[1] and not integration[1]
        rows.append(
            (
                version,
                python,
                "%d passed, %d failed (%.0f s)" % units,
                "%d passed, %d failed (%.0f s)" % integration,
                ok,
            )
        )
        print("ansible-core %s: %s" % (version, "ok" if ok else "FAILED"), flush=True)
    print()
    print("| ansible-core | Python | unit tests | integration subset | result |")
    print("|---|---|---|---|---|")
    for version, python, units, integration, ok in rows:
        print("| %s | %s | %s | %s | %s |" % (version, python, units, integration, "pass" if ok else "FAIL"))
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
