# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/enrol.yml (the enrol role) through ansible-playbook against the Moodle simulator."""

import csv
import io
import json
import os

from moodlesim import TOKENS

from harness import recap, run_playbook
from support.people import FIRST, LAST

PLAYBOOK = "dsenroll.moodle.enrol"
COHORT = 1  # OneMembership on the transcript site
LEARNER = "existing.learner@example.com"  # user 7 of the transcript site, in no cohort


def people(count, prefix="learner"):
    """``count`` new people with accents, apostrophes, commas and quotes in their names."""
    return [
        {
            "email": "%s%03d@example.org" % (prefix, number),
            "firstname": FIRST[number % len(FIRST)],
            "lastname": LAST[number % len(LAST)],
        }
        for number in range(count)
    ]


def write_csv(path, rows, bom=True):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "First Name", "lastname"])
    for row in rows:
        writer.writerow([row["email"], row["firstname"], row["lastname"]])
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        handle.write(out.getvalue())
    return path


def env(sim, token_name="TOKEN_OK"):
    """The application's .env settings, pointing at the simulator."""
    return {
        "MOODLE_BASE_URL": sim.url,
        "MOODLE_TOKEN": TOKENS[token_name],
        "MOODLE_ONEMEMBERSHIP_COHORT_ID": str(COHORT),
    }


def enrol(sim, extra_vars, token_name="TOKEN_OK", check=False, verbosity=0):
    run = run_playbook(PLAYBOOK, extra_vars=extra_vars, env=env(sim, token_name), check=check, verbosity=verbosity)
    assert TOKENS[token_name] not in run.output
    return run


def read_report(path):
    with open(path, encoding="utf-8") as handle:
        if path.endswith(".csv"):
            return list(csv.DictReader(handle))
        return json.load(handle)


def site_user(sim, email):
    found = sim.find_users(email=email)
    assert len(found) == 1, (email, found)
    return found[0]


def snapshot(sim):
    """What an enrolment may change: the accounts and the cohorts' members (not access times)."""
    state = sim.state()
    users = sorted(
        (u["id"], u["username"], u["email"], u["firstname"], u["lastname"], u["deleted"]) for u in state["users"]
    )
    return users, dict((c["id"], sorted(c["members"])) for c in state["cohorts"])


def test_csv_with_bom_enrols_everyone_then_rerun_reports_no_change(moodle_sim, tmp_path):
    sim = moodle_sim
    given = people(30)
    source = write_csv(
        str(tmp_path / "people.csv"), given + [{"email": LEARNER, "firstname": "Existing", "lastname": "Learner"}]
    )
    report = str(tmp_path / "report.json")

    first = enrol(sim, {"moodle_enrol_users_csv": source, "moodle_enrol_report": report})

    assert first.rc == 0, first
    assert recap(first)["changed"] == 1  # one moodle_enrol task
    for person in given:
        user = site_user(sim, person["email"])
        assert (user["firstname"], user["lastname"]) == (person["firstname"], person["lastname"])
    members = set(sim.cohort_members(COHORT))
    assert {site_user(sim, p["email"])["id"] for p in given} | {7} <= members
    # A few requests for the whole list, never one per person: the preflight's probes that cannot write (one
    # create, two adds) plus one create batch and one add batch.
    counts = sim.request_counts()
    assert counts["core_user_create_users"] <= 2 and counts["core_cohort_add_cohort_members"] <= 3, counts
    assert sum(counts.values()) <= 12, counts
    summary = read_report(report)["summary"]
    assert summary == {
        "people": 31,
        "created": 30,
        "existed": 1,
        "added": 31,
        "already_members": 0,
        "unknown": 0,
        "failed": 0,
    }
    assert "users: 30 created, 1 existed" in first.stdout
    assert "cohort: 31 added, 0 already members" in first.stdout
    # Before the long task, one line of what it is about to do.
    assert (
        "Looking up 31 people by e-mail in Moodle; whoever is not found will be created. Then everyone found or "
        "created will be added to cohort id 1; those already members stay as they are."
    ) in first.stdout

    before = snapshot(sim)
    rerun = enrol(sim, {"moodle_enrol_users_csv": source, "moodle_enrol_report": report})

    assert rerun.rc == 0, rerun
    assert recap(rerun)["changed"] == 0
    assert snapshot(sim) == before
    assert read_report(report)["summary"]["already_members"] == 31


def test_check_mode_writes_nothing_and_predicts_the_real_run(moodle_sim, tmp_path):
    sim = moodle_sim
    sim.add_cohort_member(COHORT, 7)
    given = [{"email": LEARNER, "firstname": "Existing", "lastname": "Learner"}] + people(5)
    source = write_csv(str(tmp_path / "people.csv"), given, bom=False)
    predicted, actual = str(tmp_path / "predicted.csv"), str(tmp_path / "actual.csv")
    before = snapshot(sim)

    check = enrol(
        sim,
        {"moodle_enrol_users_csv": source, "moodle_enrol_report": predicted, "moodle_enrol_skip_preflight": True},
        token_name="TOKEN_FULL",
        check=True,
    )

    assert check.rc == 0, check
    assert snapshot(sim) == before
    assert (
        "Looking up 6 people by e-mail in Moodle; whoever is not found would be created. Then everyone found or "
        "created would be added to cohort id 1"
    ) in check.stdout
    assert "users: 5 would be created, 1 existed" in check.stdout
    assert "cohort: 5 would be added, 1 already members" in check.stdout
    real = enrol(
        sim,
        {"moodle_enrol_users_csv": source, "moodle_enrol_report": actual, "moodle_enrol_skip_preflight": True},
        token_name="TOKEN_FULL",
    )
    assert real.rc == 0, real
    done = {"would_create": "created", "would_add": "added"}
    assert [
        (done.get(r["user"], r["user"]), done.get(r["cohort"], r["cohort"]), r["email"]) for r in read_report(predicted)
    ] == [(r["user"], r["cohort"], r["email"]) for r in read_report(actual)]
    assert [r["cohort"] for r in read_report(actual)] == ["member"] + ["added"] * 5


def test_invalid_people_fail_at_the_end_after_the_others_are_enrolled(moodle_sim, tmp_path):
    sim = moodle_sim
    given = people(3) + [
        {"email": "not-an-address", "firstname": "No", "lastname": "Mail"},
        {"email": "nameless@example.org", "lastname": "Nobody"},
    ]
    report = str(tmp_path / "report.csv")

    run = enrol(sim, {"moodle_enrol_users": given, "moodle_enrol_report": report, "moodle_enrol_skip_preflight": True})

    assert run.rc != 0
    assert "2 of 5 people were not enrolled: not-an-address, nameless@example.org" in run.output
    assert {site_user(sim, p["email"])["id"] for p in given[:3]} <= set(sim.cohort_members(COHORT))
    assert not sim.find_users(email="nameless@example.org")
    rows = read_report(report)
    assert [r["outcome"] for r in rows] == ["ok", "ok", "ok", "failed", "failed"]
    assert all(r["msg"] for r in rows[3:]), rows
    assert "#4 not-an-address: user failed:" in run.stdout
    assert "users: 3 created, 0 existed" in run.stdout and "failed: 2" in run.stdout


def test_report_and_output_never_hold_the_token_or_passwords(moodle_sim, tmp_path):
    sim = moodle_sim
    password = "Given-Pa55word!"
    given = people(2)
    given[0]["password"] = password
    json_report, csv_report = str(tmp_path / "report.json"), str(tmp_path / "report.csv")

    run = enrol(sim, {"moodle_enrol_users": given, "moodle_enrol_report": json_report}, verbosity=3)
    rerun = enrol(
        sim, {"moodle_enrol_users": given, "moodle_enrol_report": csv_report, "moodle_enrol_skip_preflight": True}
    )

    assert run.rc == 0 and rerun.rc == 0, (run, rerun)
    for text in (run.output, rerun.output, open(json_report).read(), open(csv_report).read()):
        assert password not in text
        assert TOKENS["TOKEN_OK"] not in text
    assert oct(os.stat(json_report).st_mode & 0o777) == "0o600"
    # Only the person given no password got a Moodle-generated one (createpassword: forced change at first login).
    assert "auth_forcepasswordchange" not in site_user(sim, given[0]["email"])["preferences"]
    assert site_user(sim, given[1]["email"])["preferences"]["auth_forcepasswordchange"] == "1"


def test_cohort_by_idnumber_and_settings_from_variables(moodle_sim, tmp_path):
    sim = moodle_sim
    given = people(2)
    variables = {
        "moodle_enrol_users": given,
        "moodle_enrol_cohort_idnumber": "second",
        "moodle_enrol_skip_preflight": True,
        "moodle_url": sim.url,
        "moodle_token": TOKENS["TOKEN_FULL"],
    }

    run = run_playbook(PLAYBOOK, extra_vars=variables)

    assert run.rc == 0, run
    assert TOKENS["TOKEN_FULL"] not in run.output
    assert {site_user(sim, p["email"])["id"] for p in given} == set(sim.cohort_members(2))
    assert "Enrolment into cohort idnumber second (Second Cohort)" in run.stdout


def test_timeout_and_retries_from_variables_reach_both_modules(moodle_sim, tmp_path):
    sim = moodle_sim
    given = people(3, "retry")
    base = {"moodle_enrol_users": given, "moodle_enrol_skip_preflight": True, "moodle_timeout": 5}
    # Every lookup answers 503: with moodle_retries 0 the role sends each lookup once and reports failures.
    sim.inject_fault("http_status", wsfunction="core_user_get_users_by_field", times=100, status=503)
    run = enrol(sim, dict(base, moodle_retries=0))
    assert run.rc != 0 and "503" in run.output, run
    assert sim.request_counts().get("core_user_get_users_by_field") == 1
    # Two 503s then a healthy site: moodle_retries 2 is enough to finish.
    sim.clear_faults()
    sim.inject_fault("http_status", wsfunction="core_user_get_users_by_field", times=2, status=503)
    run = enrol(sim, dict(base, moodle_retries={"total": 2, "backoff_factor": 0.05}))
    assert run.rc == 0, run
    assert {site_user(sim, p["email"])["id"] for p in given} <= set(sim.cohort_members(COHORT))


def test_latin1_csv_is_refused_before_anything_is_sent(moodle_sim, tmp_path):
    sim = moodle_sim
    source = str(tmp_path / "latin1.csv")
    with open(source, "w", encoding="latin-1") as handle:
        handle.write("email,firstname,lastname\nzoe@example.org,Zoé,Lefèvre\n")

    run = enrol(sim, {"moodle_enrol_users_csv": source})

    assert run.rc != 0
    assert "not UTF-8" in run.output and "CSV UTF-8" in run.output
    assert sim.request_counts() == {}


def test_failed_preflight_stops_before_any_write(moodle_sim, tmp_path):
    sim = moodle_sim
    sim.settings(rest=False)

    run = enrol(sim, {"moodle_enrol_users": people(2)})

    assert run.rc != 0
    assert "webservices_rest" in run.output
    counts = sim.request_counts()
    assert not counts.get("core_user_create_users") and not counts.get("core_cohort_add_cohort_members"), counts
