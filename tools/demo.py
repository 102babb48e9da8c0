# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: the built collection against the bundled Moodle simulator, start to finish.

Starts the simulator on a free loopback port, runs `dsenroll.moodle.verify`, then `dsenroll.moodle.enrol`
with docs/examples/people.csv, then enrol again to show that nothing changes; prints the checklist, both
summaries and where to look; stops the simulator (also on failure or Ctrl-C).

`--site-env FILE` (`make demo DEMO_SITE_ENV=FILE`) runs the same flow against the site that FILE names instead
(MOODLE_BASE_URL, MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID lines, as in a lab.env of tools/moodle_lab):
it creates the sample's people there, so use a disposable site.

Uses the collection installed from the built tarball (build/installed, made by `make build`), so the demo
proves the artefact users install, not the checkout.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALLED = os.path.join(REPO, "build", "installed")
OUT = os.path.join(REPO, "build", "demo")
SAMPLE = os.path.join(REPO, "docs", "examples", "people.csv")
BIN = os.path.dirname(sys.executable)
COHORT_ID = "1"  # OneMembership on the simulator's transcript site


def banner(text):
    print("\n" + "=" * 78 + "\n" + text + "\n" + "=" * 78, flush=True)


class SimulatorProcess(object):
    """The simulator as a child process (python -m moodlesim), stopped by stop() whatever happened."""

    name = "Moodle simulator"
    cohort_id = COHORT_ID

    def __init__(self, log_path):
        self.log_path = log_path
        self.process = None
        self.url = None
        self.token = token_of_guide_service()

    def start(self):
        port_file = os.path.join(tempfile.mkdtemp(prefix="moodlesim-"), "url")
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "tests"))
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "moodlesim",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--seed",
                    "transcript-site",
                    "--port-file",
                    port_file,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
            )
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as handle:
                    self.url = handle.read().strip()
                if self.url:
                    shutil.rmtree(os.path.dirname(port_file), ignore_errors=True)
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("the simulator did not start; see %s" % self.log_path)

    def control(self, route):
        with urllib.request.urlopen(self.url + "/_sim/" + route, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def requests(self):
        """HTTP requests the simulator answered so far."""
        return sum(self.control("counts").values())

    def cohort_line(self):
        state = self.control("state")
        cohort = [c for c in state["cohorts"] if str(c["id"]) == self.cohort_id][0]
        return "The cohort '%s' now has %d members; the site has %d accounts." % (
            cohort["name"],
            len(cohort["members"]),
            len(state["users"]),
        )

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class SiteFromEnvFile(object):
    """A Moodle site named by an env file (a lab.env): nothing to start or stop, no request counts."""

    name = "Moodle site"

    def __init__(self, path):
        values = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    values[key.strip()] = value.strip()
        missing = [
            k for k in ("MOODLE_BASE_URL", "MOODLE_TOKEN", "MOODLE_ONEMEMBERSHIP_COHORT_ID") if not values.get(k)
        ]
        if missing:
            sys.exit("%s lacks %s" % (path, ", ".join(missing)))
        self.url = values["MOODLE_BASE_URL"]
        self.token = values["MOODLE_TOKEN"]
        self.cohort_id = values["MOODLE_ONEMEMBERSHIP_COHORT_ID"]

    def start(self):
        return self

    def stop(self):
        pass

    def requests(self):
        return None

    @staticmethod
    def cohort_line():
        return "report-2.csv lists each person's account and cohort membership on the site."


def token_of_guide_service():
    """The simulator's token for the three-function enrolment service (user ds-enroll-api)."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from moodlesim import TOKENS  # pylint: disable=import-outside-toplevel

    return TOKENS["TOKEN_OK"]


def ansible_env(site):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOODLE_")))
    env.update(
        {
            "MOODLE_BASE_URL": site.url,
            "MOODLE_TOKEN": site.token,
            "MOODLE_ONEMEMBERSHIP_COHORT_ID": site.cohort_id,
            "ANSIBLE_COLLECTIONS_PATH": INSTALLED,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        }
    )
    return env


def run_playbook(name, env, log_name, extra=()):
    cmd = [os.path.join(BIN, "ansible-playbook"), name] + list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=OUT, check=False)
    log_path = os.path.join(OUT, log_name)
    with open(log_path, "w") as handle:
        handle.write("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    return proc, log_path


def task_message(stdout, task_title):
    """The lines of the ``msg`` list a debug task printed (the checklist, the summary)."""
    start = stdout.find(task_title)
    if start < 0:
        return []
    block = stdout[start:]
    end = block.find("\nTASK [", 1)
    block = block[: end if end > 0 else None]
    match = re.search(r"=> (\{.*?\n\})", block, re.S)
    if not match:
        return []
    return json.loads(match.group(1)).get("msg", [])


def recap(stdout):
    lines = [line for line in stdout.splitlines() if line.startswith("localhost") and "ok=" in line]
    return " ".join(lines[-1].split()) if lines else "(no recap)"


def show(title, lines):
    print(title)
    for line in lines:
        print("    " + line)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Verify and enrol docs/examples/people.csv, twice, and show it.")
    parser.add_argument(
        "--site-env",
        metavar="FILE",
        help="a site's env file (MOODLE_BASE_URL, MOODLE_TOKEN, MOODLE_ONEMEMBERSHIP_COHORT_ID), "
        "e.g. a lab.env of tools/moodle_lab, instead of starting the simulator",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not os.path.isdir(os.path.join(INSTALLED, "ansible_collections", "dsenroll", "moodle")):
        sys.exit("build/installed has no dsenroll.moodle: run `make demo` (it builds and installs the tarball first)")
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    # As Excel's "CSV UTF-8" saves it: byte order mark and CRLF (kept out of the repository by ansible-test).
    with open(SAMPLE, encoding="utf-8") as source, open(
        os.path.join(OUT, "people.csv"), "w", encoding="utf-8-sig", newline="\r\n"
    ) as target:
        target.write(source.read())
    site = SiteFromEnvFile(args.site_env) if args.site_env else SimulatorProcess(os.path.join(OUT, "simulator.log"))
    failures = []
    try:
        site.start()
        env = ansible_env(site)
        banner("%s at %s (the setup guide's 3-function service, cohort %s)" % (site.name, site.url, site.cohort_id))

        banner("1. ansible-playbook dsenroll.moodle.verify")
        proc, log = run_playbook("dsenroll.moodle.verify", env, "1-verify.log")
        show("Checklist:", task_message(proc.stdout, "Moodle set-up checklist"))
        print("rc=%d  %s  (full output: %s)" % (proc.returncode, recap(proc.stdout), log))
        if proc.returncode:
            failures.append("verify")

        runs = [
            ("2. first run", "2-enrol.log", "report-1.csv"),
            ("3. second run, same CSV", "3-enrol-again.log", "report-2.csv"),
        ]
        for title, log_name, report in runs:
            banner(
                "%s: ansible-playbook dsenroll.moodle.enrol -e moodle_enrol_users_csv=people.csv "
                "-e moodle_enrol_report=%s" % (title, report)
            )
            before = site.requests()
            proc, log = run_playbook(
                "dsenroll.moodle.enrol",
                env,
                log_name,
                ["-e", "moodle_enrol_users_csv=people.csv", "-e", "moodle_enrol_report=" + report],
            )
            after = site.requests()
            show("Summary:", task_message(proc.stdout, "Show the summary"))
            print(
                "rc=%d  %s  %s(full output: %s)"
                % (
                    proc.returncode,
                    recap(proc.stdout),
                    "" if after is None else "HTTP requests to Moodle: %d  " % (after - before),
                    log,
                )
            )
            if proc.returncode:
                failures.append(title)
        if "changed=0" not in recap(proc.stdout):
            failures.append("the second run changed something")

        banner("Where to look")
        print("  build/demo/people.csv        the sample input (UTF-8 with BOM; accents, apostrophes, commas)")
        print("  build/demo/report-1.csv      per-person results of the first run (no token, no password)")
        print("  build/demo/report-2.csv      ... of the second run: everyone 'exists' and 'member'")
        print("  build/demo/*.log             full ansible-playbook output of each step")
        print("  " + site.cohort_line())
        print("  Against a real Moodle: set MOODLE_BASE_URL, MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID, then")
        print("    ansible-playbook dsenroll.moodle.verify")
        print("    ansible-playbook dsenroll.moodle.enrol -e moodle_enrol_users_csv=people.csv --check")
        print("  See README.md and docs/runbooks/.")
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        if isinstance(site, SimulatorProcess):
            site.stop()
            print("\nSimulator stopped.")
    if failures:
        sys.exit("make demo: FAILED (%s)" % ", ".join(failures))
    print("make demo: OK")


if __name__ == "__main__":
    main()
