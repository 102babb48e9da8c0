# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_enrol through ansible-playbook against the Moodle simulator."""

import csv
import io
import json

import pytest

from moodlesim import TOKENS

import harness
from harness import run_task
from support import leaks
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
)

COHORT = 1  # OneMembership on the transcript site
LEARNER = "existing.learner@example.com"  # user 7 of the transcript site, in no cohort
PASSWORD = "Enr0l-Integration#Pass"
FIRST = ["Zoé", "Seán", "Björn", "Ana-María"]
LAST = ["Lefèvre", "O'Brien", "Smith, Jr.", 'Núñez "Tito"']


def people(count, prefix="enrol"):
    return [
        {"email": "%s%03d@example.org" % (prefix, n), "firstname": FIRST[n % 4], "lastname": LAST[n % 4]}
        for n in range(count)
    ]


def write_csv(path, rows, columns=("email", "firstname", "lastname")):
    """As Excel's "CSV UTF-8" saves it: byte order mark, CRLF, quoted cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["E-mail", "First Name", "Surname"] + list(columns[3:]))
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    path.write_text("\ufeff" + out.getvalue(), encoding="utf-8", newline="")
    return str(path)


def write_yaml(path, rows):
    path.write_text(
        "".join(
            "- email: %s\n  firstname: %s\n  lastname: %s\n" % (r["email"], json.dumps(r["firstname"]),
                                                                json.dumps(r["lastname"]))
            for r in rows
        ),
        encoding="utf-8",
    )  # fmt: skip
    return str(path)


def enrol(sim, token_name="TOKEN_OK", check=False, diff=False, users=None, **args):
    """moodle_enrol as one playbook task (``users`` passed as a vars file); return (result, Run)."""
    task_args = dict(args, moodle_url="{{ moodle_url }}", moodle_token="{{ moodle_token }}", retries=1)
    extra = {"moodle_url": sim.url, "moodle_token": TOKENS[token_name]}
    if users is not None:
        task_args["users"] = "{{ people }}"
        extra["people"] = users
    result, run = run_task("moodle_enrol", task_args, extra, check=check, diff=diff)
    assert result is not None, run
    for text in (run.output, json.dumps(result)):
        assert TOKENS[token_name] not in text and PASSWORD not in text
    return result, run


def read_report(path):
    text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text))) if str(path).endswith(".csv") else json.loads(text)


def site(sim):
    state = sim.state()
    return sorted((u["id"], u["email"]) for u in state["users"]), dict(
        (c["id"], c["members"]) for c in state["cohorts"]
    )


def test_a_csv_file_enrols_everyone_in_a_few_requests_and_a_rerun_changes_nothing(moodle_sim, tmp_path):
    given = people(30) + [{"email": LEARNER, "firstname": "Existing", "lastname": "Learner"}]
    source = write_csv(tmp_path / "people.csv", given)
    report = tmp_path / "report.csv"

    first, _run = enrol(moodle_sim, users_file=source, cohort_id=COHORT, report=str(report), results="none")

    assert first["changed"] is True and not first.get("failed"), first
    assert first["summary"] == {
        "people": 31, "created": 30, "existed": 1, "added": 31, "already_members": 0, "unknown": 0, "failed": 0,
    }  # fmt: skip
    assert first["people"] == []
    rows = read_report(report)
    assert [(r["email"], r["firstname"], r["lastname"]) for r in rows] == [
        (p["email"], p["firstname"], p["lastname"]) for p in given
    ]
    ids = set(int(r["id"]) for r in rows)
    assert ids == set(moodle_sim.cohort_members(COHORT))
    counts = moodle_sim.request_counts()
    assert counts[CREATE_USERS] == 1 and counts[ADD_COHORT_MEMBERS] == 1 and sum(counts.values()) <= 7, counts

    before = site(moodle_sim)
    rerun, _run = enrol(moodle_sim, users_file=source, cohort_id=COHORT, report=str(report), results="none")
    assert rerun["changed"] is False and rerun["summary"]["already_members"] == 31
    assert site(moodle_sim) == before


def test_a_yaml_file_enrols_as_the_same_people_given_as_a_list_do(moodle_sim, tmp_path):
    given = people(4, "yaml")
    from_file, _run = enrol(moodle_sim, users_file=write_yaml(tmp_path / "people.yml", given), cohort_id=COHORT)
    moodle_sim.reset()
    from_list, _run = enrol(moodle_sim, users=given, cohort_id=COHORT)

    assert from_file["people"] == from_list["people"]
    assert [(r["firstname"], r["lastname"], r["user"], r["cohort"]) for r in from_file["people"]] == [
        (p["firstname"], p["lastname"], "created", "added") for p in given
    ]


@pytest.mark.parametrize("results, returned", [("all", 5), ("failed", 2), ("none", 0)])
def test_results_returns_all_failed_or_no_rows_and_always_the_summary(moodle_sim, results, returned):
    given = people(3) + [{"email": "not-an-address", "firstname": "No", "lastname": "Mail"}, {"email": "x@example.org"}]

    result, _run = enrol(moodle_sim, users=given, cohort_id=COHORT, results=results)

    assert len(result["people"]) == returned
    assert result["summary"]["people"] == 5 and result["summary"]["failed"] == 2


def test_check_mode_predicts_the_real_run_exactly_writes_only_the_report_and_shows_the_diff(moodle_sim, tmp_path):
    moodle_sim.add_cohort_member(COHORT, 7)
    given = [{"email": LEARNER, "firstname": "Existing", "lastname": "Learner"}] + people(3, "check")
    source = write_csv(tmp_path / "people.csv", given)
    predicted, actual = tmp_path / "predicted.json", tmp_path / "actual.json"
    before = site(moodle_sim)

    check, run = enrol(
        moodle_sim, "TOKEN_FULL", check=True, diff=True, users_file=source, cohort_id=COHORT, report=str(predicted)
    )

    assert site(moodle_sim) == before
    assert check["changed"] is True and not check.get("failed")
    assert read_report(predicted)["check_mode"] is True
    # The diff: the users to create, then the cohort's members before and after (the predicted ones by e-mail).
    assert "check000@example.org" in run.stdout and "existing.learner@example.com (id 7)" in run.stdout
    members = check["diff"][-1]
    assert members["before"]["members"] == ["existing.learner@example.com (id 7)"]
    assert members["after"]["members"][1:] == ["check000@example.org", "check001@example.org", "check002@example.org"]

    real, _run = enrol(moodle_sim, "TOKEN_FULL", users_file=source, cohort_id=COHORT, report=str(actual))

    done = {"would_create": "created", "would_add": "added"}
    assert [(done.get(r["user"], r["user"]), done.get(r["cohort"], r["cohort"])) for r in check["people"]] == [
        (r["user"], r["cohort"]) for r in real["people"]
    ]
    assert [r["cohort"] for r in read_report(actual)["people"]] == ["member", "added", "added", "added"]


def test_people_who_cannot_be_enrolled_fail_with_their_reasons_after_the_others_are_enrolled(moodle_sim):
    given = people(2) + [
        {"email": "not-an-address", "firstname": "No", "lastname": "Mail"},
        {"email": "nameless@example.org", "lastname": "Nobody"},
        {"email": "taken@example.org", "username": "existing.learner", "firstname": "Ta", "lastname": "Ken"},
    ]

    result, _run = enrol(moodle_sim, users=given, cohort_id=COHORT, results="failed")

    assert result["failed"] is True
    assert result["msg"].startswith("3 of 5 people were not enrolled: #3 not-an-address: ")
    reasons = dict((r["email"], r["msg"]) for r in result["people"])
    assert "not a valid e-mail address" in reasons["not-an-address"]
    assert reasons["nameless@example.org"] == "firstname is required to create the user"
    assert "already belongs to another Moodle account (id 7)" in reasons["taken@example.org"]
    assert all(r["cohort"] == "skipped" for r in result["people"])
    enrolled = [u["id"] for u in moodle_sim.users() if u["email"] in ("enrol000@example.org", "enrol001@example.org")]
    assert len(enrolled) == 2 and set(enrolled) <= set(moodle_sim.cohort_members(COHORT))


def test_a_cohort_that_does_not_exist_stops_the_run_before_anyone_is_created(moodle_sim):
    result, _run = enrol(moodle_sim, "TOKEN_FULL", users=people(2), cohort_id=99)

    assert (
        result["failed"] is True
        and "no cohort with id 99" in result["msg"]
        and result["error"] == "CohortNotFoundError"
    )
    assert CREATE_USERS not in moodle_sim.request_counts()
    assert result["summary"]["failed"] == 2


def test_the_token_and_the_passwords_never_appear_at_vvvv(moodle_sim, tmp_path, traced):
    env, texts = traced
    token = TOKENS["TOKEN_OK"]
    env.update({"MOODLE_BASE_URL": moodle_sim.url, "MOODLE_TOKEN": token, "MOODLE_ONEMEMBERSHIP_COHORT_ID": "1"})
    given = [dict(p, password=PASSWORD) for p in people(2, "secret")] + people(1, "generated")
    source = write_csv(tmp_path / "people.csv", given, columns=("email", "firstname", "lastname", "password"))
    report = tmp_path / "report.json"
    moodle_sim.settings(debug=True)  # debuginfo in every error envelope
    moodle_sim.inject_fault("http_status", wsfunction=CREATE_USERS, on_calls=[1], status=500)
    playbook = tmp_path / "enrol.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Enrol a CSV whose people have passwords",
                            "dsenroll.moodle.moodle_enrol": {
                                "users_file": source,
                                "report": str(report),
                                "retries": 0,
                            },
                        }
                    ],
                }
            ]
        )
    )

    run = harness.run_playbook(str(playbook), env=env, verbosity=4, diff=True)

    assert run.rc == 0, run  # the lost create was reconciled, then resent
    assert [r["user"] for r in read_report(report)["people"]] == ["created"] * 3
    leaks.assert_no_secret(texts(run, report), {"token": token, "password": PASSWORD})
