# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The moodle_user module end to end over mocked HTTP (bodies shaped like real Moodle 4.4 ones)."""

import json

import pytest
import responses
from ansible.module_utils.testing import patch_module_args

from ansible_collections.dsenroll.moodle.plugins.modules import moodle_user

from recorded import BASE_URL, TOKEN
from user_fake_moodle import FULL_SERVICE, FakeMoodle

PASSWORD = "Str0ng#Passw0rd-unit"


def run(capsys, moodle, check=False, diff=False, **args):
    params = dict(moodle_url=BASE_URL, moodle_token=TOKEN, retries=0, _ansible_check_mode=check,
                  _ansible_diff=diff)
    params.update(args)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.install(mock)
        with patch_module_args(params):
            with pytest.raises(SystemExit) as info:
                moodle_user.main()
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert PASSWORD not in out
    return info.value.code, json.loads(out)


def learner(i, **extra):
    spec = {"email": "learner%d@example.org" % i, "firstname": "L%d" % i, "lastname": "Earner",
            "password": PASSWORD}
    spec.update(extra)
    return spec


def test_single_user_is_created_and_returned_as_user(capsys):
    moodle = FakeMoodle()
    code, result = run(capsys, moodle, diff=True, email="Ada@Example.org", firstname="Ada", lastname="Lovelace",
                       password=PASSWORD)
    assert code == 0 and result["changed"] is True
    assert result["user"] == {"email": "Ada@Example.org", "username": "ada@example.org", "id": 100,
                              "status": "created", "msg": ""}
    assert result["results"] == [result["user"]]
    assert result["summary"]["created"] == 1
    assert result["diff"][0]["after"]["Ada@Example.org"]["firstname"] == "Ada"
    assert moodle.by_email("ada@example.org")[0]["username"] == "ada@example.org"


def test_rerun_reports_no_change(capsys):
    moodle = FakeMoodle()
    users = [learner(i) for i in range(5)]
    run(capsys, moodle, users=users)
    code, result = run(capsys, moodle, users=users)
    assert code == 0 and result["changed"] is False
    assert [r["status"] for r in result["results"]] == ["exists"] * 5
    assert moodle.count("core_user_create_users") == 1


def test_check_mode_predicts_exactly_and_writes_nothing(capsys):
    moodle = FakeMoodle()
    users = [learner(0), {"email": "existing.learner@example.com"}, learner(2, email="bad")]
    code_check, check = run(capsys, moodle, check=True, users=users)
    assert moodle.count("core_user_create_users") == 0 and len(moodle.users) == 2
    code_real, real = run(capsys, moodle, users=users)
    would = {"would_create": "created"}
    assert [would.get(r["status"], r["status"]) for r in check["results"]] == [r["status"] for r in real["results"]]
    assert check["changed"] is real["changed"] is True
    assert code_check == code_real == 1  # the invalid record fails both


def test_failed_users_fail_the_task_after_everyone_else_is_processed(capsys):
    moodle = FakeMoodle()
    users = [learner(0), learner(1, email="not-an-email"), learner(2, password=None), learner(3)]
    code, result = run(capsys, moodle, users=users)
    assert code == 1
    assert [r["status"] for r in result["results"]] == ["created", "failed", "failed", "created"]
    assert result["msg"].startswith("2 of 4 users failed: not-an-email: email 'not-an-email' is not a valid")
    assert "learner2@example.org: password or create_password is required" in result["msg"]
    assert result["changed"] is True


def test_token_without_visibility_fails_before_any_create(capsys):
    moodle = FakeMoodle(visible=False)
    code, result = run(capsys, moodle, users=[learner(0)])
    assert code == 1
    assert "cannot see other users' e-mail addresses" in result["msg"]
    assert "moodle/site:viewuseridentity" in result["msg"]
    assert result["results"][0]["status"] == "failed"
    assert moodle.count("core_user_create_users") == 0


def test_update_false_reports_differences_in_msg_and_diff(capsys):
    moodle = FakeMoodle()
    code, result = run(capsys, moodle, diff=True, email="existing.learner@example.com", department="Ops")
    assert code == 0 and result["changed"] is False
    assert result["user"]["status"] == "exists"
    assert "department" in result["user"]["msg"]
    assert result["diff"][1]["before"] == {"existing.learner@example.com": {"department": ""}}
    assert result["diff"][1]["after"] == {"existing.learner@example.com": {"department": "Ops"}}


def test_update_true_changes_the_fields_then_reruns_clean(capsys):
    moodle = FakeMoodle(functions=FULL_SERVICE)
    code, result = run(capsys, moodle, email="existing.learner@example.com", department="Ops", update=True)
    assert code == 0 and result["changed"] is True and result["user"]["status"] == "updated"
    code, result = run(capsys, moodle, email="existing.learner@example.com", department="Ops", update=True)
    assert result["changed"] is False and result["user"]["status"] == "exists"


def test_absent_deletes_then_reports_absent(capsys):
    moodle = FakeMoodle(functions=FULL_SERVICE)
    code, result = run(capsys, moodle, email="existing.learner@example.com", state="absent")
    assert code == 0 and result["user"]["status"] == "deleted" and 7 not in moodle.users
    code, result = run(capsys, moodle, email="existing.learner@example.com", state="absent")
    assert code == 0 and result["changed"] is False and result["user"]["status"] == "absent"


def test_users_and_single_user_options_are_mutually_exclusive(capsys):
    code, result = run(capsys, FakeMoodle(), users=[learner(0)], email="x@example.org")
    assert code == 1 and "mutually exclusive" in result["msg"]
