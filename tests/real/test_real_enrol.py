# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ansible-playbook dsenroll.moodle.enrol`` (the enrol role) from CSV files, against a real Moodle."""

import csv
import io
import json
import os

import harness
from harness import recap
from support.people import FIRST, LAST

PLAYBOOK = "dsenroll.moodle.enrol"
SECOND_COHORT = 2


def people(site, count, prefix="csv"):
    """``count`` new people with accents, apostrophes, commas and quotes in their names."""
    return [
        {
            "email": site.email("%s%03d" % (prefix, n)),
            "firstname": FIRST[n % len(FIRST)],
            "lastname": LAST[n % len(LAST)],
            "password": site.password(),
        }
        for n in range(count)
    ]


def write_csv(path, rows, bom=True):
    """As a spreadsheet saves it: a header with a column name in other words, quoted fields, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "First Name", "lastname", "password"])
    for row in rows:
        writer.writerow([row["email"], row["firstname"], row["lastname"], row.get("password", "")])
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        handle.write(out.getvalue())
    return str(path)


def read_report(path):
    with open(path, encoding="utf-8") as handle:
        if str(path).endswith(".csv"):
            return list(csv.DictReader(handle))
        return json.load(handle)


def enrol(site, extra_vars, token="TOKEN_OK", **options):
    run = site.playbook(PLAYBOOK, extra_vars=extra_vars, token=token, **options)
    assert site.token_of(token) not in run.output
    return run


def remember(site, report):
    """Note what the run created and added (for the cleanup of an outside site)."""
    rows = read_report(report)
    rows = rows["people"] if isinstance(rows, dict) else rows
    site.remember([{"status": r["user"], "id": r["id"], "email": r["email"]} for r in rows if r.get("id")])
    site.remember([{"status": r["cohort"], "id": r["id"]} for r in rows if r.get("id")])


def test_a_csv_with_a_bom_enrols_everyone_with_their_names_then_a_rerun_changes_nothing(real_site, tmp_path):
    site = real_site
    given = people(site, 30)
    source = write_csv(tmp_path / "people.csv", given)
    report = str(tmp_path / "report.json")

    first = enrol(site, {"moodle_enrol_users_csv": source, "moodle_enrol_report": report})
    remember(site, report)

    assert first.rc == 0, first
    assert recap(first)["changed"] == 1  # one moodle_enrol task
    assert read_report(report)["summary"] == {
        "people": 30,
        "created": 30,
        "existed": 0,
        "added": 30,
        "already_members": 0,
        "unknown": 0,
        "failed": 0,
    }
    assert "users: 30 created, 0 existed" in first.stdout
    cohort = set(site.members(site.cohort_id))
    for spec in given:
        account = site.one(spec["email"])
        assert (account["firstname"], account["lastname"]) == (spec["firstname"], spec["lastname"])
        assert account["id"] in cohort

    rerun = enrol(site, {"moodle_enrol_users_csv": source, "moodle_enrol_report": report})

    assert rerun.rc == 0, rerun
    assert recap(rerun)["changed"] == 0
    assert read_report(report)["summary"]["already_members"] == 30
    assert all(len(site.find(p["email"])) == 1 for p in given)


def test_check_mode_writes_nothing_and_predicts_the_real_run(real_site, tmp_path):
    site = real_site
    site.token_of("TOKEN_FULL")
    given = people(site, 6, "predict")
    member = site.task("moodle_user", {}, people=given[:1])[0]["results"][0]
    site.task("moodle_cohort_member", {"cohort_id": site.cohort_id, "users": [{"id": member["id"]}]})
    source = write_csv(tmp_path / "people.csv", given, bom=False)
    predicted, actual = tmp_path / "predicted.csv", tmp_path / "actual.csv"
    cohort_before = site.members(site.cohort_id)

    check = enrol(
        site,
        {"moodle_enrol_users_csv": source, "moodle_enrol_report": str(predicted), "moodle_enrol_skip_preflight": True},
        token="TOKEN_FULL",
        check=True,
    )

    assert check.rc == 0, check
    assert site.members(site.cohort_id) == cohort_before
    assert all(site.find(p["email"]) == [] for p in given[1:])

    real = enrol(
        site,
        {"moodle_enrol_users_csv": source, "moodle_enrol_report": str(actual), "moodle_enrol_skip_preflight": True},
        token="TOKEN_FULL",
    )
    remember(site, actual)

    assert real.rc == 0, real
    done = {"would_create": "created", "would_add": "added"}
    assert [
        (done.get(r["user"], r["user"]), done.get(r["cohort"], r["cohort"]), r["email"]) for r in read_report(predicted)
    ] == [(r["user"], r["cohort"], r["email"]) for r in read_report(actual)]
    assert [r["cohort"] for r in read_report(actual)] == ["member"] + ["added"] * 5
    assert {site.one(p["email"])["id"] for p in given} <= set(site.members(site.cohort_id))


def test_invalid_people_fail_at_the_end_after_the_others_are_enrolled(real_site, tmp_path):
    site = real_site
    given = people(site, 3, "mixed") + [
        {"email": "not-an-address", "firstname": "No", "lastname": "Mail", "password": site.password()},
        {"email": site.email("nameless"), "lastname": "Nobody", "password": site.password()},
    ]
    report = tmp_path / "report.csv"

    run = enrol(
        site, {"moodle_enrol_users": given, "moodle_enrol_report": str(report), "moodle_enrol_skip_preflight": True}
    )
    remember(site, report)

    assert run.rc != 0
    assert "2 of 5 people were not enrolled: not-an-address, %s" % site.email("nameless") in run.output
    assert {site.one(p["email"])["id"] for p in given[:3]} <= set(site.members(site.cohort_id))
    assert site.find(site.email("nameless")) == []
    rows = read_report(report)
    assert [r["outcome"] for r in rows] == ["ok", "ok", "ok", "failed", "failed"]
    assert all(r["msg"] for r in rows[3:]), rows
    assert "#4 not-an-address: user failed:" in run.stdout


def test_people_with_and_without_a_password_are_created_and_no_password_is_printed_or_reported(
    real_site, lab, tmp_path
):
    site = real_site  # the lab only: Moodle mails a generated password to the person given none
    given = people(site, 2, "generated")
    del given[1]["password"]
    report = tmp_path / "report.json"

    run = enrol(site, {"moodle_enrol_users": given, "moodle_enrol_report": str(report)}, verbosity=3)

    assert run.rc == 0, run
    assert [(r["user"], r["cohort"]) for r in read_report(report)["people"]] == [("created", "added")] * 2
    assert given[0]["password"] not in run.output and given[0]["password"] not in report.read_text()
    assert oct(os.stat(report).st_mode & 0o777) == "0o600"
    for spec in given:
        account = site.one(spec["email"])
        assert account["auth"] == "manual" and account["id"] in site.members(site.cohort_id)


def test_the_cohort_by_idnumber_and_the_connection_from_variables(real_site, lab, tmp_path):
    site = real_site
    given = people(site, 2, "byvars")
    variables = dict(
        site.playbook_vars(),
        moodle_enrol_users=given,
        moodle_enrol_cohort_idnumber="second",
        moodle_enrol_skip_preflight=True,
        moodle_url=site.url,
        moodle_token=site.token_of("TOKEN_FULL"),
    )

    run = harness.run_playbook(PLAYBOOK, extra_vars=variables)

    assert run.rc == 0, run
    assert site.token_of("TOKEN_FULL") not in run.output
    assert "Enrolment into cohort idnumber second (Second Cohort)" in run.stdout
    assert {site.one(p["email"])["id"] for p in given} <= set(site.members(SECOND_COHORT))


def test_a_latin1_csv_is_refused_before_anything_is_sent(real_site, tmp_path):
    site = real_site
    source = tmp_path / "latin1.csv"
    with open(source, "w", encoding="latin-1") as handle:
        handle.write("email,firstname,lastname,password\n%s,Zoé,Lefèvre,%s\n" % (site.email("latin"), site.password()))

    run = enrol(site, {"moodle_enrol_users_csv": str(source)})

    assert run.rc != 0
    assert "not UTF-8" in run.output and "CSV UTF-8" in run.output
    assert site.find(site.email("latin")) == []


def test_a_failed_preflight_stops_the_enrolment_before_any_write(real_site, setting, tmp_path):
    site = real_site
    given = people(site, 2, "stopped")
    setting("webserviceprotocols", "")

    run = enrol(site, {"moodle_enrol_users": given})

    assert run.rc != 0
    assert "webservices_rest" in run.output
    setting.restore()
    assert all(site.find(p["email"]) == [] for p in given)
