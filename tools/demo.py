# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: the built collection against the bundled Moodle simulator, start to finish.

Starts the simulator on a free loopback port, runs `dsenroll.moodle.verify`, then `dsenroll.moodle.enrol`
with docs/examples/people.csv, then enrol again to show that nothing changes; prints the checklist, both
summaries and where to look; stops the simulator (also on failure or Ctrl-C).

Uses the collection installed from the built tarball (build/installed, made by `make build`), so the demo
proves the artefact users install, not the checkout.
"""

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

    def __init__(self, log_path):
        self.log_path = log_path
        self.process = None
        self.url = None

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

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def token_of_guide_service():
    """The simulator's token for the three-function enrolment service (user ds-enroll-api)."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from moodlesim import TOKENS  # pylint: disable=import-outside-toplevel

    return TOKENS["TOKEN_OK"]


def ansible_env(sim, token):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOODLE_")))
    env.update(
        {
            "MOODLE_BASE_URL": sim.url,
            "MOODLE_TOKEN": token,
            "MOODLE_ONEMEMBERSHIP_COHORT_ID": COHORT_ID,
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


def main():
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
    sim = SimulatorProcess(os.path.join(OUT, "simulator.log"))
    failures = []
    try:
        sim.start()
        env = ansible_env(sim, token_of_guide_service())
        banner("Moodle simulator at %s (the 3-function enrolment service, cohort %s)" % (sim.url, COHORT_ID))

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
            before = sum(sim.control("counts").values())
            proc, log = run_playbook(
                "dsenroll.moodle.enrol",
                env,
                log_name,
                ["-e", "moodle_enrol_users_csv=people.csv", "-e", "moodle_enrol_report=" + report],
            )
            requests = sum(sim.control("counts").values()) - before
            show("Summary:", task_message(proc.stdout, "Show the summary"))
            print(
                "rc=%d  %s  HTTP requests to Moodle: %d  (full output: %s)"
                % (proc.returncode, recap(proc.stdout), requests, log)
            )
            if proc.returncode:
                failures.append(title)
        if "changed=0" not in recap(proc.stdout):
            failures.append("the second run changed something")

        state = sim.control("state")
        cohort = [c for c in state["cohorts"] if str(c["id"]) == COHORT_ID][0]
        banner("Where to look")
        print("  build/demo/people.csv        the sample input (UTF-8 with BOM; accents, apostrophes, commas)")
        print("  build/demo/report-1.csv      per-person results of the first run (no token, no password)")
        print("  build/demo/report-2.csv      ... of the second run: everyone 'exists' and 'member'")
        print("  build/demo/*.log             full ansible-playbook output of each step")
        print(
            "  The cohort '%s' now has %d members; the site has %d accounts."
            % (cohort["name"], len(cohort["members"]), len(state["users"]))
        )
        print("  Against a real Moodle: set MOODLE_BASE_URL, MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID, then")
        print("    ansible-playbook dsenroll.moodle.verify")
        print("    ansible-playbook dsenroll.moodle.enrol -e moodle_enrol_users_csv=people.csv --check")
        print("  See README.md and docs/runbooks/.")
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        sim.stop()
        print("\nSimulator stopped.")
    if failures:
        sys.exit("make demo: FAILED (%s)" % ", ".join(failures))
    print("make demo: OK")


if __name__ == "__main__":
    main()
