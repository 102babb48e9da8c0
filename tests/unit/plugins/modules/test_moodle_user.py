# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The moodle_user module end to end, run in-process against the simulated Moodle."""

import json


from ansible_collections.dsenroll.moodle.plugins.modules import moodle_user

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS
from support.module_args import run_main
from support.site import ENROLMENT_TOKEN, FULL_TOKEN, REST_ONLY_TOKEN, accounts_with_email

PASSWORD = "Str0ng#Passw0rd-unit"


def run(capsys, sim, check=False, diff=False, token=ENROLMENT_TOKEN, **args):
    params = dict(moodle_url=sim.url, moodle_token=token, retries=0, _ansible_check_mode=check, _ansible_diff=diff)
    params.update(args)
    code = run_main(moodle_user.main, params)
    out = capsys.readouterr().out
    assert token not in out
    assert PASSWORD not in out
    return code, json.loads(out)


def learner(i, **extra):
    spec = {"email": "learner%d@example.org" % i, "firstname": "L%d" % i, "lastname": "Earner", "password": PASSWORD}
    spec.update(extra)
    return spec


def test_single_user_is_created_and_returned_as_user(capsys, moodle_sim):
    code, result = run(
        capsys, moodle_sim, diff=True, email="Ada@Example.org", firstname="Ada", lastname="Lovelace", password=PASSWORD
    )
    assert code == 0 and result["changed"] is True
    ada = accounts_with_email(moodle_sim, "ada@example.org")
    assert result["user"] == {
        "email": "Ada@Example.org",
        "username": "ada@example.org",
        "id": ada[0]["id"],
        "status": "created",
        "msg": "",
    }
    assert result["results"] == [result["user"]]
    assert result["summary"]["created"] == 1
    assert result["diff"][0]["after"]["Ada@Example.org"]["firstname"] == "Ada"
    assert len(ada) == 1 and ada[0]["username"] == "ada@example.org"


def test_rerun_reports_no_change(capsys, moodle_sim):
    users = [learner(i) for i in range(5)]
    run(capsys, moodle_sim, users=users)
    code, result = run(capsys, moodle_sim, users=users)
    assert code == 0 and result["changed"] is False
    assert [r["status"] for r in result["results"]] == ["exists"] * 5
    assert moodle_sim.request_counts()[CREATE_USERS] == 1


def test_check_mode_predicts_exactly_and_writes_nothing(capsys, moodle_sim):
    users = [learner(0), {"email": "existing.learner@example.com"}, learner(2, email="bad")]
    accounts_before = moodle_sim.users()
    code_check, check = run(capsys, moodle_sim, check=True, users=users)
    assert CREATE_USERS not in moodle_sim.request_counts() and moodle_sim.users() == accounts_before
    code_real, real = run(capsys, moodle_sim, users=users)
    would = {"would_create": "created"}
    assert [would.get(r["status"], r["status"]) for r in check["results"]] == [r["status"] for r in real["results"]]
    assert check["changed"] is real["changed"] is True
    assert code_check == code_real == 1  # the invalid record fails both


def test_failed_users_fail_the_task_after_everyone_else_is_processed(capsys, moodle_sim):
    users = [learner(0), learner(1, email="not-an-email"), learner(2, password=None), learner(3)]
    code, result = run(capsys, moodle_sim, users=users)
    assert code == 1
    assert [r["status"] for r in result["results"]] == ["created", "failed", "failed", "created"]
    assert result["msg"].startswith("2 of 4 users failed: not-an-email: email 'not-an-email' is not a valid")
    assert "learner2@example.org: password or create_password is required" in result["msg"]
    assert result["changed"] is True
    assert [len(accounts_with_email(moodle_sim, "learner%d@example.org" % i)) for i in range(4)] == [1, 0, 0, 1]


def test_token_without_visibility_fails_before_any_create(capsys, moodle_sim):
    code, result = run(capsys, moodle_sim, token=REST_ONLY_TOKEN, users=[learner(0)])
    assert code == 1
    assert "cannot see other users' e-mail addresses" in result["msg"]
    assert "moodle/site:viewuseridentity" in result["msg"]
    assert result["results"][0]["status"] == "failed"
    assert CREATE_USERS not in moodle_sim.request_counts()


def test_update_false_reports_differences_in_msg_and_diff(capsys, moodle_sim):
    code, result = run(capsys, moodle_sim, diff=True, email="existing.learner@example.com", department="Ops")
    assert code == 0 and result["changed"] is False
    assert result["user"]["status"] == "exists"
    assert "department" in result["user"]["msg"]
    assert result["diff"][1]["before"] == {"existing.learner@example.com": {"department": ""}}
    assert result["diff"][1]["after"] == {"existing.learner@example.com": {"department": "Ops"}}


def test_update_true_changes_the_fields_then_reruns_clean(capsys, moodle_sim):
    code, result = run(
        capsys, moodle_sim, token=FULL_TOKEN, email="existing.learner@example.com", department="Ops", update=True
    )
    assert code == 0 and result["changed"] is True and result["user"]["status"] == "updated"
    assert moodle_sim.find_users(id=7)[0]["department"] == "Ops"
    code, result = run(
        capsys, moodle_sim, token=FULL_TOKEN, email="existing.learner@example.com", department="Ops", update=True
    )
    assert result["changed"] is False and result["user"]["status"] == "exists"


def test_absent_deletes_then_reports_absent(capsys, moodle_sim):
    code, result = run(capsys, moodle_sim, token=FULL_TOKEN, email="existing.learner@example.com", state="absent")
    assert code == 0 and result["user"]["status"] == "deleted"
    assert not moodle_sim.find_users(username="existing.learner")
    code, result = run(capsys, moodle_sim, token=FULL_TOKEN, email="existing.learner@example.com", state="absent")
    assert code == 0 and result["changed"] is False and result["user"]["status"] == "absent"


def test_users_and_single_user_options_are_mutually_exclusive(capsys, moodle_sim):
    code, result = run(capsys, moodle_sim, users=[learner(0)], email="x@example.org")
    assert code == 1 and "mutually exclusive" in result["msg"]
