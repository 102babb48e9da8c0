# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration scenarios against a real Moodle (``make test-real``), in order, on prefixed people only."""

import csv
import json
import os

import pytest

import harness

pytestmark = pytest.mark.usefixtures("real_site")


def module(site, name, args, **options):
    return site.module(name, args, **options)


@pytest.fixture(scope="module")
def people(real_site):
    site = real_site
    return [
        {"email": site.email("ann"), "firstname": "Ann", "lastname": "O'Real", "password": site.password()},
        {
            "email": site.email("bob").replace("bob", "Bob"),
            "firstname": "Bob",
            "lastname": "Réal, Jr.",
            "password": site.password(),
        },
        {"email": site.email("cy"), "firstname": "Cy", "lastname": "Real", "password": site.password()},
    ]


def test_the_site_is_ready_for_the_guides_functions(real_site):
    run = module(real_site, "moodle_ws_info", {"cohort_id": real_site.cohort_id})

    assert run.rc == 0, run
    failing = [c for c in run.result["checks"] if c["status"] == "fail"]
    assert run.result["ready"], json.dumps(failing, indent=1)


def test_check_mode_predicts_the_creates_and_writes_nothing(real_site, people):
    run = module(real_site, "moodle_user", {"users": people}, check=True)

    assert run.rc == 0, run
    assert [r["status"] for r in run.result["results"]] == ["would_create"] * 3
    assert all(real_site.find(p["email"]) == [] for p in people)


def test_users_are_created_once_and_a_rerun_changes_nothing(real_site, people):
    first = module(real_site, "moodle_user", {"users": people})
    again = module(real_site, "moodle_user", {"users": people})

    assert first.rc == 0, first
    assert [r["status"] for r in first.result["results"]] == ["created"] * 3
    assert again.rc == 0 and again.result["changed"] is False, again
    assert [r["status"] for r in again.result["results"]] == ["exists"] * 3
    assert all(len(real_site.find(p["email"])) == 1 for p in people)


def test_an_existing_user_in_another_letter_case_is_found_not_duplicated(real_site, people):
    shouted = dict(people[0], email=people[0]["email"].upper())

    run = module(real_site, "moodle_user", {"users": [shouted]})

    assert run.rc == 0, run
    assert run.result["results"][0]["status"] == "exists"
    assert len(real_site.find(people[0]["email"])) == 1


def test_an_invalid_record_fails_alone_with_a_reason(real_site):
    good = {"email": real_site.email("dee"), "firstname": "Dee", "lastname": "Real", "password": real_site.password()}
    bad = {"email": "not-an-address", "firstname": "Bad", "lastname": "Record", "password": real_site.password()}

    run = module(real_site, "moodle_user", {"users": [good, bad]})

    assert run.rc != 0
    assert [r["status"] for r in run.result["results"]] == ["created", "failed"]
    assert run.result["results"][1]["msg"]


def test_cohort_membership_is_added_once_and_a_rerun_changes_nothing(real_site, people):
    emails = [p["email"] for p in people]
    first = module(real_site, "moodle_cohort_member", {"cohort_id": real_site.cohort_id, "users": emails})
    again = module(real_site, "moodle_cohort_member", {"cohort_id": real_site.cohort_id, "users": emails})

    assert first.rc == 0, first
    assert set(r["status"] for r in first.result["results"]) <= {"added", "member"}
    assert again.rc == 0 and again.result["changed"] is False, again
    assert [r["status"] for r in again.result["results"]] == ["member"] * 3


def test_the_enrol_playbook_enrols_a_csv_then_changes_nothing(real_site, tmp_path):
    rows = [
        {
            "email": real_site.email("eve"),
            "firstname": "Ève",
            "lastname": "D'Csv, Sr.",
            "password": real_site.password(),
        },
        {"email": real_site.email("fay"), "firstname": "Fay", "lastname": "Csv", "password": real_site.password()},
    ]
    path = tmp_path / "people.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["email", "firstname", "lastname", "password"])
        writer.writeheader()
        writer.writerows(rows)
    report = tmp_path / "report.json"
    extra = {"moodle_enrol_users_csv": str(path), "moodle_enrol_report": str(report)}
    playbook = os.path.join(harness.REPO, "playbooks", "enrol.yml")

    first = real_site.playbook(playbook, extra_vars=extra)
    with open(report, encoding="utf-8") as handle:
        people_rows = json.load(handle)["people"]
    real_site.remember([{"status": r["user"], "id": r["id"], "email": r["email"]} for r in people_rows])
    real_site.remember([{"status": r["cohort"], "id": r["id"]} for r in people_rows])
    second = real_site.playbook(playbook, extra_vars=extra)
    with open(report, encoding="utf-8") as handle:
        summary = json.load(handle)["summary"]

    assert first.rc == 0, first
    assert [(r["user"], r["cohort"]) for r in people_rows] == [("created", "added")] * 2
    assert second.rc == 0, second
    assert (summary["created"], summary["added"], summary["failed"]) == (0, 0, 0), summary
