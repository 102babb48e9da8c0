# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CI examples of README.md (docs/ci) work: their ansible-playbook commands, run as written against the
Moodle simulator, verify with a JUnit report, preview without writing, then enrol.

Each job's or step's own variables are applied; the site settings (the reader's own values or secrets) point at
the simulator.
"""

import csv
import glob
import os
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml
from moodlesim import TOKENS

from harness import BIN, REPO, ansible_env

CI = os.path.join(REPO, "docs", "ci")
PEOPLE = os.path.join(REPO, "docs", "examples", "people.csv")
COHORT = 1  # OneMembership on the transcript site


def load(name):
    with open(os.path.join(CI, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def gitlab_steps():
    """``(job, variables, command)`` for each ansible-playbook command of the GitLab example, in stage order."""
    pipeline = load("gitlab-ci.yml")
    for stage in pipeline["stages"]:
        for name, job in pipeline.items():
            if isinstance(job, dict) and job.get("stage") == stage:
                script = job["script"] if isinstance(job["script"], list) else [job["script"]]
                for command in script:
                    if command.startswith("ansible-playbook"):
                        yield name, job.get("variables", {}), command


def github_steps(event):
    """``(step, env, command)`` for each ansible-playbook step of the GitHub example that runs on ``event``."""
    workflow = load("github-actions.yml")
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            condition = step.get("if", "")
            if condition.startswith("github.event_name") and event not in condition:
                continue
            if step.get("run", "").startswith("ansible-playbook"):
                yield step["name"], step.get("env", {}), step["run"]


def run(sim, command, variables, workdir):
    """One command as the CI job runs it: from the repository's root (workdir), with the job's variables."""
    env = ansible_env(
        dict(
            {k: str(v) for k, v in variables.items()},
            MOODLE_BASE_URL=sim.url,
            MOODLE_TOKEN=TOKENS["TOKEN_OK"],
            MOODLE_ONEMEMBERSHIP_COHORT_ID=str(COHORT),
        )
    )
    argv = shlex.split(command)
    argv[0] = os.path.join(BIN, argv[0])
    proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert TOKENS["TOKEN_OK"] not in proc.stdout + proc.stderr
    return proc


def people_count():
    with open(PEOPLE, encoding="utf-8") as handle:
        return len(list(csv.DictReader(handle)))


def members(sim):
    return set(sim.cohort_members(COHORT))


def check_pipeline(sim, steps, workdir):
    """verify writes a passing JUnit report; the preview changes nothing; the enrolment adds everyone."""
    shutil.copy(PEOPLE, os.path.join(str(workdir), "people.csv"))
    ran = []
    for name, variables, command in steps:
        before = (members(sim), len(sim.state()["users"]))
        proc = run(sim, command, variables, str(workdir))
        assert proc.returncode == 0, (name, proc.stdout[-3000:], proc.stderr[-3000:])
        if "dsenroll.moodle.verify" in command:
            reports = glob.glob(os.path.join(str(workdir), variables["JUNIT_OUTPUT_DIR"], "*.xml"))
            assert len(reports) == 1, reports
            suites = ET.parse(reports[0]).getroot()
            assert int(suites.get("tests")) > 0, ET.tostring(suites)[:2000]
            assert (suites.get("failures"), suites.get("errors")) == ("0", "0"), ET.tostring(suites)[:2000]
            # Task names only: no task arguments in the test case names.
            assert not [c for c in suites.iter("testcase") if "argument_spec=" in c.get("name")]
        elif "--check" in command:
            assert (members(sim), len(sim.state()["users"])) == before
            assert "would be added to cohort id 1" in proc.stdout
        else:
            assert len(members(sim) - before[0]) == people_count()
        ran.append(name)
    return ran


def test_gitlab_ci_example_verifies_previews_then_enrols(moodle_sim, tmp_path):
    ran = check_pipeline(moodle_sim, list(gitlab_steps()), tmp_path)
    assert ran == ["verify", "enrol-preview", "enrol"]


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_github_actions_example_previews_on_pull_requests_and_enrols_on_push(moodle_sim, tmp_path, event):
    ran = check_pipeline(moodle_sim, list(github_steps(event)), tmp_path)
    expected = "Preview the enrolment (check mode)" if event == "pull_request" else "Enrol"
    assert ran == ["Verify the Moodle site", expected]
