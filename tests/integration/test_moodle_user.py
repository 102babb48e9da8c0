# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user through ansible-playbook against the Moodle simulator."""

import json
import threading

from moodlesim import TOKENS

from harness import run_task
from support.site import accounts_with_email
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS, GET_USERS_BY_FIELD

LEARNER = "existing.learner@example.com"  # user 7 of the transcript site
PASSWORD = "Integr4tion#Passw0rd"


def play(sim, token_name="TOKEN_OK", check=False, diff=False, people=None, **args):
    """Run moodle_user as one playbook task (``people`` passed as a vars file); return (result, Run)."""
    task_args = dict(args)
    task_args.update(
        moodle_url="{{ moodle_url }}", moodle_token="{{ moodle_token }}", retries={"total": 1, "backoff_factor": 0.05}
    )
    extra = {"moodle_url": sim.url, "moodle_token": TOKENS[token_name]}
    if people is not None:
        task_args["users"] = "{{ people }}"
        extra["people"] = people
    result, run = run_task("moodle_user", task_args, extra, check=check, diff=diff)
    assert TOKENS[token_name] not in run.output
    assert PASSWORD not in run.output
    assert result is not None, run
    text = json.dumps(result)
    assert TOKENS[token_name] not in text and PASSWORD not in text
    return result, run


def person(number, prefix="learner", **extra):
    spec = {
        "email": "%s%05d@example.org" % (prefix, number),
        "firstname": "Learner",
        "lastname": "N%d" % number,
        "create_password": True,
    }
    spec.update(extra)
    return spec


def statuses(result):
    return [r["status"] for r in result["results"]]


# -- create ---------------------------------------------------------------------------------------------
def test_create_one_user_then_rerun_reports_no_change(moodle_sim):
    args = dict(
        email="Ada.Lovelace@Example.org", firstname="Ada", lastname="Lovelace", password=PASSWORD, department="Maths"
    )
    result, _run = play(moodle_sim, **args)
    assert result["changed"] is True and not result.get("failed")
    user = accounts_with_email(moodle_sim, "ada.lovelace@example.org")
    assert len(user) == 1 and user[0]["username"] == "ada.lovelace@example.org" and user[0]["department"] == "Maths"
    assert result["user"] == {
        "email": "Ada.Lovelace@Example.org",
        "username": "ada.lovelace@example.org",
        "id": user[0]["id"],
        "status": "created",
        "msg": "",
    }

    again, run = play(moodle_sim, **args)
    assert again["changed"] is False and again["user"]["status"] == "exists" and again["user"]["id"] == user[0]["id"]
    assert "no_log" not in run.output  # no spurious "did not set no_log for create_password" warning


def test_create_1000_in_one_task_in_few_requests_then_rerun_changes_nothing(moodle_sim):
    people = [person(n) for n in range(1000)]
    result, _run = play(moodle_sim, people=people)
    assert result["summary"]["created"] == 1000 and result["changed"] is True and not result.get("failed")
    assert [r["email"] for r in result["results"]] == [p["email"] for p in people]
    counts = moodle_sim.request_counts()
    # batch_size 100 (6 fields a user fits max_input_vars=1000); 1 visibility proof + 4 lookups of 250 values
    # (the 1,000 e-mails fit 2 requests, and are spread over the 4 requests in flight of the default parallel)
    assert counts[CREATE_USERS] == 10 and counts[GET_USERS_BY_FIELD] == 5
    assert len([u for u in moodle_sim.users() if u["email"].startswith("learner")]) == 1000

    moodle_sim.reset_counts()
    again, _run = play(moodle_sim, people=people)
    assert again["changed"] is False and again["summary"]["exists"] == 1000
    assert CREATE_USERS not in moodle_sim.request_counts()


def test_mixed_case_email_of_an_existing_user_exists(moodle_sim):
    result, _run = play(moodle_sim, email="EXISTING.Learner@Example.COM", firstname="Existing", lastname="Learner")
    assert result["changed"] is False
    assert result["user"] == {
        "email": "EXISTING.Learner@Example.COM",
        "username": "existing.learner",
        "id": 7,
        "status": "exists",
        "msg": "",
    }
    assert len(accounts_with_email(moodle_sim, LEARNER)) == 1


def test_stored_mixed_case_email_is_found_through_get_users_and_not_duplicated(moodle_sim):
    moodle_sim.add_user("mixed", "Mixed.Case@Example.org", roles=())
    result, _run = play(moodle_sim, token_name="TOKEN_FULL", people=[person(1, email="mixed.case@example.org")])
    assert statuses(result) == ["exists"] and result["results"][0]["username"] == "mixed"
    assert len(accounts_with_email(moodle_sim, "mixed.case@example.org")) == 1


# -- bad records ----------------------------------------------------------------------------------------
def test_invalid_records_mixed_into_a_batch_fail_and_the_others_are_created(moodle_sim):
    people = [
        person(0),
        person(1, email="not an e-mail"),
        person(2, username="Upper.Case"),
        person(3, firstname=""),
        person(4, create_password=None),
        person(5),
        person(6, email="Dup@example.org"),
        person(7, email="dup@EXAMPLE.org"),
        person(8),
    ]
    result, _run = play(moodle_sim, people=people)
    assert result.get("failed") is True
    assert statuses(result) == [
        "created",
        "failed",
        "failed",
        "failed",
        "failed",
        "created",
        "failed",
        "failed",
        "created",
    ]
    assert result["msg"].startswith("6 of 9 users failed: not an e-mail: email 'not an e-mail' is not a valid")
    assert moodle_sim.request_counts()[CREATE_USERS] == 1  # the invalid ones were never sent
    assert not accounts_with_email(moodle_sim, "dup@example.org")


def test_batch_refused_by_moodle_is_split_and_only_the_bad_records_fail(moodle_sim):
    people = [person(n) for n in range(40)]
    people[7] = person(7, create_password=None, password="short")  # password policy
    people[23] = person(23, lang="xx")  # not an installed language
    people[31] = person(31, username="existing.learner")  # username of another account
    result, _run = play(moodle_sim, people=people)
    expected = ["created"] * 40
    for bad in (7, 23, 31):
        expected[bad] = "failed"
    assert statuses(result) == expected
    assert result["results"][7]["msg"].startswith("Moodle refused to create this user: password policy:")
    assert "already belongs to another Moodle account (id 7)" in result["results"][31]["msg"]
    assert len([u for u in moodle_sim.users() if u["email"].startswith("learner")]) == 37
    assert moodle_sim.request_counts()[CREATE_USERS] <= 1 + 3 * 2 * 6  # splitting, never one request per user


def test_lost_answer_after_commit_creates_nobody_twice(moodle_sim):
    people = [person(n) for n in range(250)]
    moodle_sim.inject_fault("commit_then_drop", wsfunction=CREATE_USERS, on_calls=[2])
    result, _run = play(moodle_sim, people=people)
    assert result["summary"]["created"] == 250 and not result.get("failed")
    for spec in people:
        assert len(accounts_with_email(moodle_sim, spec["email"])) == 1
    # 4 batches of at most 63 (250 spread over the 4 requests in flight); the batch whose answer was lost is found
    # committed by the lookup, and not sent again
    assert moodle_sim.request_counts()[CREATE_USERS] == 4


# -- check mode -----------------------------------------------------------------------------------------
def test_check_mode_writes_nothing_and_predicts_the_real_run_exactly(moodle_sim):
    play(moodle_sim, people=[person(n) for n in range(3)])
    people = [person(n, department="Ops" if n == 1 else None) for n in range(6)]
    people.append({"email": LEARNER.upper()})
    people.append(person(99, email="broken"))
    before = moodle_sim.users()
    moodle_sim.reset_counts()
    check, _run = play(moodle_sim, check=True, diff=True, people=people, update=True)
    assert moodle_sim.users() == before
    assert CREATE_USERS not in moodle_sim.request_counts()
    assert statuses(check) == [
        "exists",
        "would_update",
        "exists",
        "would_create",
        "would_create",
        "would_create",
        "exists",
        "failed",
    ]

    real, _run = play(moodle_sim, token_name="TOKEN_FULL", people=people, update=True)
    done = {"would_create": "created", "would_update": "updated"}
    assert [done.get(s, s) for s in statuses(check)] == statuses(real)
    assert check["changed"] is real["changed"] is True
    assert [r["username"] for r in check["results"]] == [r["username"] for r in real["results"]]


def test_check_mode_diff_shows_creations_without_passwords(moodle_sim):
    result, run = play(
        moodle_sim,
        check=True,
        diff=True,
        email="new.person@example.org",
        firstname="New",
        lastname="Person",
        password=PASSWORD,
    )
    assert result["user"]["status"] == "would_create" and result["changed"] is True
    assert result["diff"][0]["after"]["new.person@example.org"]["firstname"] == "New"
    assert "new.person@example.org" in run.output
    assert not accounts_with_email(moodle_sim, "new.person@example.org")


# -- permissions ----------------------------------------------------------------------------------------
def test_token_that_cannot_see_users_fails_clearly_and_creates_nobody(moodle_sim):
    result, _run = play(moodle_sim, token_name="TOKEN_NOCAP_RESTONLY", people=[person(n) for n in range(3)])
    assert result.get("failed") is True
    assert "cannot see other users' e-mail addresses" in result["msg"]
    assert "moodle/site:viewuseridentity" in result["msg"]
    assert statuses(result) == ["failed"] * 3
    assert CREATE_USERS not in moodle_sim.request_counts()
    assert not accounts_with_email(moodle_sim, "learner00000@example.org")


# -- absent and update ----------------------------------------------------------------------------------
def test_absent_deletes_the_user_then_reports_absent(moodle_sim):
    result, _run = play(moodle_sim, token_name="TOKEN_FULL", email=LEARNER, state="absent")
    assert result["changed"] is True and result["user"]["status"] == "deleted"
    assert not accounts_with_email(moodle_sim, LEARNER)
    again, _run = play(moodle_sim, token_name="TOKEN_FULL", email=LEARNER, state="absent")
    assert again["changed"] is False and again["user"]["status"] == "absent"


def test_update_changes_only_differing_fields_with_the_full_token(moodle_sim):
    left, _run = play(moodle_sim, email=LEARNER, department="Ops", city="Lyon")
    assert left["user"]["status"] == "exists" and "city, department" in left["user"]["msg"]
    assert accounts_with_email(moodle_sim, LEARNER)[0]["department"] == ""

    result, _run = play(moodle_sim, token_name="TOKEN_FULL", email=LEARNER, department="Ops", city="Lyon", update=True)
    assert result["changed"] is True and result["user"]["status"] == "updated"
    account = accounts_with_email(moodle_sim, LEARNER)[0]
    assert (account["department"], account["city"], account["firstname"]) == ("Ops", "Lyon", "Existing")

    again, _run = play(moodle_sim, token_name="TOKEN_FULL", email=LEARNER, department="Ops", city="Lyon", update=True)
    assert again["changed"] is False and again["user"]["status"] == "exists"


# -- concurrency and limits -----------------------------------------------------------------------------
def test_two_runs_at_once_on_overlapping_input_create_each_person_once(moodle_sim):
    first = [person(n) for n in range(0, 600)]
    second = [person(n) for n in range(300, 900)]
    results = {}

    def run(name, people):
        results[name] = play(moodle_sim, people=people, batch_size=50)[0]

    threads = [
        threading.Thread(target=run, args=("first", first)),
        threading.Thread(target=run, args=("second", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("first", "second"):
        assert results[name]["summary"]["failed"] == 0, results[name]["msg"]
    for number in range(900):
        assert len(accounts_with_email(moodle_sim, "learner%05d@example.org" % number)) == 1
    created = results["first"]["summary"]["created"] + results["second"]["summary"]["created"]
    assert created == 900


def test_low_max_input_vars_on_the_server_loses_nobody(moodle_sim):
    moodle_sim.settings(max_input_vars=120)
    people = [person(n) for n in range(300)]
    result, _run = play(moodle_sim, people=people, max_input_vars=120)
    assert result["summary"]["created"] == 300 and not result.get("failed")
    for spec in people:
        assert len(accounts_with_email(moodle_sim, spec["email"])) == 1
    again, _run = play(moodle_sim, people=people, max_input_vars=120)
    assert again["summary"]["exists"] == 300 and again["changed"] is False
