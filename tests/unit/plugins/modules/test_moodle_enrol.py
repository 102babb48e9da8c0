# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The moodle_enrol module end to end, run in-process against the simulated Moodle."""

import csv
import json
import os

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS
from ansible_collections.dsenroll.moodle.plugins.modules import moodle_enrol

from support.module_args import run_main
from support.site import ENROLMENT_TOKEN, FULL_TOKEN

COHORT_ID = 1  # OneMembership ("onemembership"), a system cohort of the seeded site
PASSWORD = "Csv-Pa55word!unit"
CSV_TEXT = (
    "email,First Name,lastname,password\n"
    "zoe.lefevre@example.org,Zoé,Lefèvre,%s\n"
    'al.smith@example.org,Al,"Smith, Jr.",\n'
    "existing.learner@example.com,Existing,Learner,\n"
    "not-an-address,No,Mail,\n" % PASSWORD
)


@pytest.fixture(autouse=True)
def no_cohort_from_the_environment(monkeypatch):
    monkeypatch.delenv(moodle_enrol.COHORT_ENV, raising=False)


def run(capsys, sim, check=False, diff=False, token=ENROLMENT_TOKEN, **args):
    params = dict(moodle_url=sim.url, moodle_token=token, retries=0, _ansible_check_mode=check, _ansible_diff=diff)
    params.update(args)
    code = run_main(moodle_enrol.main, params)
    out = capsys.readouterr().out
    assert token not in out and PASSWORD not in out
    return code, json.loads(out)


def people_csv(tmp_path, text=CSV_TEXT):
    path = tmp_path / "people.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    return str(path)


def test_a_csv_file_is_enrolled_and_the_report_written_without_the_password(capsys, moodle_sim, tmp_path):
    report = tmp_path / "report.csv"
    code, result = run(
        capsys, moodle_sim, users_file=people_csv(tmp_path), cohort_id=COHORT_ID, report=str(report), results="all"
    )

    assert code == 1, "the invalid e-mail fails the task, after the others are enrolled"
    assert [(r["email"], r["user"], r["cohort"]) for r in result["people"]] == [
        ("zoe.lefevre@example.org", "created", "added"),
        ("al.smith@example.org", "created", "added"),
        ("existing.learner@example.com", "exists", "added"),
        ("not-an-address", "failed", "skipped"),
    ]
    assert result["msg"].startswith("1 of 4 people were not enrolled: #4 not-an-address: email 'not-an-address'")
    assert result["report"] == str(report) and result["cohort"] == {"id": COHORT_ID}
    text = report.read_text(encoding="utf-8")
    assert PASSWORD not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == ["position", "email", "username", "firstname", "lastname", "id", "user", "cohort",
                             "outcome", "msg"]  # fmt: skip
    assert [r["lastname"] for r in rows] == ["Lefèvre", "Smith, Jr.", "Learner", "Mail"]
    assert oct(os.stat(str(report)).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("results, rows", [("all", 4), ("failed", 1), ("none", 0)])
def test_results_says_how_many_rows_come_back_and_the_summary_always_does(capsys, moodle_sim, tmp_path, results, rows):
    _code, result = run(capsys, moodle_sim, users_file=people_csv(tmp_path), cohort_id=COHORT_ID, results=results)
    assert len(result["people"]) == rows
    assert result["summary"] == {
        "people": 4, "created": 2, "existed": 1, "added": 3, "already_members": 0, "unknown": 0, "failed": 1,
    }  # fmt: skip


def test_check_mode_writes_the_report_but_nothing_in_moodle_and_the_report_is_never_a_change(
    capsys, moodle_sim, tmp_path
):
    users = [{"email": "existing.learner@example.com", "firstname": "Existing", "lastname": "Learner"}]
    report = tmp_path / "report.json"
    moodle_sim.add_cohort_member(COHORT_ID, 7)
    users_before = moodle_sim.users()

    code, result = run(
        capsys, moodle_sim, check=True, token=FULL_TOKEN, users=users, cohort_idnumber="onemembership",
        report=str(report),
    )  # fmt: skip

    assert code == 0 and result["changed"] is False
    assert moodle_sim.users() == users_before and CREATE_USERS not in moodle_sim.request_counts()
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["check_mode"] is True and written["cohort"] == {"cohort_idnumber": "onemembership"}
    assert written["site"] == "127.0.0.1" and written["summary"]["already_members"] == 1
    assert [(r["user"], r["cohort"]) for r in written["people"]] == [("exists", "member")]


def test_the_cohort_comes_from_the_environment_unless_one_is_given(capsys, moodle_sim, monkeypatch):
    users = [{"email": "existing.learner@example.com", "firstname": "Existing", "lastname": "Learner"}]
    monkeypatch.setenv(moodle_enrol.COHORT_ENV, "2")
    code, result = run(capsys, moodle_sim, token=FULL_TOKEN, users=users)
    assert code == 0 and result["cohort"]["id"] == 2 and 7 in moodle_sim.cohort_members(2)

    code, result = run(capsys, moodle_sim, token=FULL_TOKEN, users=users, cohort_idnumber="onemembership")
    assert code == 0 and result["cohort"]["id"] == 1 and 7 in moodle_sim.cohort_members(1)


@pytest.mark.parametrize(
    "environment, args, message",
    [
        ("", {}, "give cohort_id or cohort_idnumber, or set MOODLE_ONEMEMBERSHIP_COHORT_ID"),
        ("one", {}, "MOODLE_ONEMEMBERSHIP_COHORT_ID to the cohort's id (a number), not 'one'"),
        ("", {"cohort_id": 0}, "cohort_id must be a positive cohort id"),
        ("", {"cohort_id": 1, "batch_size": 0}, "batch_size must be at least 1"),
        (
            "",
            {"cohort_id": 1, "report": "/nonexistent/dir/report.csv"},
            "the directory /nonexistent/dir does not exist",
        ),
        ("", {"cohort_id": 1, "users_file": "/nonexistent/people.csv"}, "cannot read the people file"),
    ],
)
def test_bad_options_fail_before_anything_is_sent(capsys, moodle_sim, monkeypatch, environment, args, message):
    if environment:
        monkeypatch.setenv(moodle_enrol.COHORT_ENV, environment)
    args.setdefault("users_file", None)
    if args["users_file"] is None:
        args.pop("users_file")
        args["users"] = [{"email": "a@example.org", "firstname": "A", "lastname": "B"}]
    code, result = run(capsys, moodle_sim, **args)
    assert code == 1 and message in result["msg"], result
    assert moodle_sim.request_counts() == {}


def test_a_latin1_csv_is_refused_with_how_to_save_it(capsys, moodle_sim, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,firstname,lastname\nzoe@example.org,Zoé,Lefèvre\n".encode("latin-1"))
    code, result = run(capsys, moodle_sim, users_file=str(path), cohort_id=COHORT_ID)
    assert code == 1 and "not UTF-8 (line 2)" in result["msg"] and "CSV UTF-8" in result["msg"]
    assert moodle_sim.request_counts() == {}


def test_a_yaml_file_with_passwords_never_returns_them(capsys, moodle_sim, tmp_path):
    path = tmp_path / "people.yaml"
    path.write_text(
        "- {email: ann@example.org, firstname: Ann, lastname: Lee, password: '%s'}\n"
        "- {email: bo@example.org, firstname: Bo, lastname: '%s'}\n" % (PASSWORD, PASSWORD),
        encoding="utf-8",
    )
    code, result = run(capsys, moodle_sim, diff=True, users_file=str(path), cohort_id=COHORT_ID)
    assert code == 0, result
    assert [r["user"] for r in result["people"]] == ["created", "created"]
    # The password is masked wherever it appears, even as someone's last name (run() checks the output).
    assert result["people"][1]["lastname"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_the_result_counts_the_people_given_rather_than_repeating_them(capsys, moodle_sim):
    users = [{"email": "p%d@example.org" % n, "firstname": "P", "lastname": "N%d" % n} for n in range(3)]
    code, result = run(capsys, moodle_sim, users=users, cohort_id=COHORT_ID, results="none")
    assert code == 0
    if "invocation" in result:  # ansible-core 2.21 and later return it only when INJECT_INVOCATION asks for it
        assert result["invocation"]["module_args"]["users"] == "(3 people)"
        assert result["invocation"]["module_args"]["moodle_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "p0@example.org" not in json.dumps(result)
