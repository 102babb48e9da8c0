# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make demo`` against the lab (DEMO_SITE_ENV): the built collection verifies, enrols the sample, twice."""

import csv
import os
import subprocess

import harness

SAMPLE = os.path.join(harness.REPO, "docs", "examples", "people.csv")
OUT = os.path.join(harness.REPO, "build", "demo")


def rows(path):
    with open(path, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_make_demo_against_the_lab_enrols_the_sample_and_its_second_run_changes_nothing(pristine, lab):
    site = pristine
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("MOODLE_"))

    proc = subprocess.run(
        ["make", "--no-print-directory", "demo", "DEMO_SITE_ENV=" + lab.env_file],
        cwd=harness.REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )

    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "make demo: OK" in proc.stdout and "Moodle site at %s" % site.url in proc.stdout
    assert not [name for name, value in site.secrets().items() if value in output]
    sample = rows(SAMPLE)
    first, second = rows(os.path.join(OUT, "report-1.csv")), rows(os.path.join(OUT, "report-2.csv"))
    learner = "existing.learner@example.com"
    assert [(r["email"], r["user"], r["cohort"]) for r in first] == [
        (p["email"], "exists" if p["email"] == learner else "created", "added") for p in sample
    ]
    assert [(r["user"], r["cohort"]) for r in second] == [("exists", "member")] * len(sample)
    members = set(site.members(site.cohort_id))
    for person in sample:
        account = site.one(person["email"])
        assert (account["firstname"], account["lastname"]) == (person["firstname"], person["lastname"])
        assert account["id"] in members
