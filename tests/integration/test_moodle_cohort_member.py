# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_cohort_member through ansible-playbook against the Moodle simulator."""

import json

from moodlesim import TOKENS

from harness import connection, run_module, run_task
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    DELETE_COHORT_MEMBERS,
)

LEARNER = "existing.learner@example.com"  # user 7 of the transcript site, in no cohort


def play(sim, token_name="TOKEN_OK", check=False, diff=False, **args):
    """Run the module as one playbook task; return (the registered result, the Run)."""
    task_args = dict(args)
    task_args.update(
        moodle_url="{{ moodle_url }}", moodle_token="{{ moodle_token }}", retries={"total": 1, "backoff_factor": 0.05}
    )
    extra = {"moodle_url": sim.url, "moodle_token": TOKENS[token_name]}
    result, run = run_task("moodle_cohort_member", task_args, extra, check=check, diff=diff)
    assert TOKENS[token_name] not in run.output
    assert result is not None, run
    assert TOKENS[token_name] not in json.dumps(result)
    return result, run


def statuses(result):
    return [r["status"] for r in result["results"]]


def add_people(sim, count, prefix="learner"):
    """``count`` users in the site (not in any cohort); returns their e-mails and ids."""
    emails, ids = [], []
    for number in range(count):
        user = sim.add_user("%s%05d" % (prefix, number), "%s%05d@example.org" % (prefix, number))
        emails.append(user["email"])
        ids.append(user["id"])
    return emails, ids


# -- adding -------------------------------------------------------------------------------------------
def test_add_one_user_by_email_then_rerun_reports_no_change(moodle_sim):
    result, _run = play(moodle_sim, cohort_id=1, users=[LEARNER])
    assert result["changed"] is True and not result.get("failed")
    assert result["results"] == [{"email": LEARNER, "id": 7, "status": "added", "msg": "added to the cohort"}]
    assert moodle_sim.cohort_members(1) == [7]

    again, _run = play(moodle_sim, cohort_id=1, users=[LEARNER])
    assert again["changed"] is False and statuses(again) == ["member"]
    assert moodle_sim.cohort_members(1) == [7]


def test_add_5000_in_one_task_in_few_requests_and_rerun_changes_nothing(moodle_sim):
    emails, ids = add_people(moodle_sim, 5000)
    result, _run = play(moodle_sim, cohort_id=2, users=emails)
    assert result["summary"]["added"] == 5000 and result["changed"] is True
    assert sorted(moodle_sim.cohort_members(2)) == ids
    counts = moodle_sim.request_counts()
    # 4 form fields a member under max_input_vars=1000: 249 a request.
    assert counts[ADD_COHORT_MEMBERS] == 21 and counts["core_user_get_users_by_field"] <= 6

    moodle_sim.reset_counts()
    again, _run = play(moodle_sim, cohort_id=2, users=emails)
    assert again["changed"] is False and again["summary"]["member"] == 5000
    assert [r["id"] for r in again["results"]] == ids


def test_full_token_reads_members_first_and_sends_only_newcomers(moodle_sim):
    emails, ids = add_people(moodle_sim, 3)
    moodle_sim.add_cohort_member(1, ids[0])
    result, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, users=emails)
    assert statuses(result) == ["member", "added", "added"]
    assert result["cohort"] == {"id": 1, "idnumber": "onemembership", "name": "OneMembership"}
    assert moodle_sim.request_counts()[ADD_COHORT_MEMBERS] == 1

    moodle_sim.reset_counts()
    again, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, users=emails)
    assert again["changed"] is False and ADD_COHORT_MEMBERS not in moodle_sim.request_counts()


def test_guide_token_needs_only_the_three_functions(moodle_sim):
    emails, ids = add_people(moodle_sim, 2)
    moodle_sim.add_cohort_member(1, ids[1])
    result, _run = play(moodle_sim, "TOKEN_OK", cohort_id=1, users=emails + [{"username": "existing.learner"}])
    assert statuses(result) == ["added", "member", "added"]
    assert sorted(moodle_sim.cohort_members(1)) == sorted(ids + [7])


def test_cohort_by_idnumber_with_guide_and_full_tokens(moodle_sim):
    result, _run = play(moodle_sim, "TOKEN_OK", cohort_idnumber="second", users=[{"id": 7}])
    assert statuses(result) == ["added"] and result["cohort"] == {"id": None, "idnumber": "second"}
    assert moodle_sim.cohort_members(2) == [7]

    full, _run = play(moodle_sim, "TOKEN_FULL", cohort_idnumber="categorycohort", users=[{"id": 7}])
    assert statuses(full) == ["added"] and full["cohort"]["id"] == 3
    assert moodle_sim.cohort_members(3) == [7]


def test_unknown_cohort_fails_after_one_request(moodle_sim):
    emails, _ids = add_people(moodle_sim, 300)
    result, _run = play(moodle_sim, "TOKEN_OK", cohort_id=999999, users=emails)
    assert result["failed"] is True and "cohort id=999999 not exists" in result["msg"]
    assert moodle_sim.request_counts()[ADD_COHORT_MEMBERS] == 1  # not one per batch
    assert set(statuses(result)) == {"failed"}

    by_idnumber, _run = play(moodle_sim, "TOKEN_FULL", cohort_idnumber="OneMembership", users=emails[:1])
    assert by_idnumber["failed"] is True and "no cohort with idnumber" in by_idnumber["msg"]


def test_unknown_users_fail_and_the_others_are_added(moodle_sim):
    result, _run = play(
        moodle_sim,
        "TOKEN_OK",
        cohort_id=1,
        users=[{"id": 999999}, LEARNER, "nobody@example.org", {"username": "nobody"}],
    )
    assert result["failed"] is True
    assert statuses(result) == ["failed", "added", "failed", "failed"]
    assert result["results"][2]["msg"] == "no Moodle user with this e-mail"
    assert "999999" in result["results"][0]["msg"]
    assert moodle_sim.cohort_members(1) == [7]


def test_missing_assign_capability_fails_naming_it_and_the_cohort(moodle_sim):
    result, _run = play(moodle_sim, "TOKEN_NOCAP_RESTONLY", cohort_id=2, users=[{"id": 7}])
    assert result["failed"] is True and result["changed"] is False
    assert "moodle/cohort:assign" in result["msg"] and "cohort id=2" in result["msg"]
    assert statuses(result) == ["failed"]
    assert moodle_sim.cohort_members(2) == []


def test_without_assign_capability_an_existing_member_is_still_reported(moodle_sim):
    moodle_sim.add_cohort_member(1, 7)
    result, _run = play(moodle_sim, "TOKEN_NOCAP_RESTONLY", cohort_id=1, users=[{"id": 7}])
    assert not result.get("failed") and result["changed"] is False and statuses(result) == ["member"]


# -- removing -----------------------------------------------------------------------------------------
def test_absent_removes_members_and_rerun_reports_no_change(moodle_sim):
    emails, ids = add_people(moodle_sim, 2)
    moodle_sim.add_cohort_member(1, ids[0])
    result, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, state="absent", users=emails + ["gone@example.org"])
    assert statuses(result) == ["removed", "not_member", "not_member"] and result["changed"] is True
    assert moodle_sim.cohort_members(1) == []
    again, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, state="absent", users=emails)
    assert again["changed"] is False and statuses(again) == ["not_member", "not_member"]


def test_exclusive_refuses_to_remove_without_max_removals_and_changes_nothing(moodle_sim):
    _emails, ids = add_people(moodle_sim, 3)
    for uid in ids[1:]:
        moodle_sim.add_cohort_member(1, uid)
    result, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, exclusive=True, users=[{"id": ids[0]}])
    assert result["failed"] is True and "max_removals=0" in result["msg"]
    assert sorted(moodle_sim.cohort_members(1)) == ids[1:]  # not even the add was sent


def test_exclusive_with_max_removals_makes_the_cohort_exactly_the_users(moodle_sim):
    emails, ids = add_people(moodle_sim, 3)
    for uid in ids[1:]:
        moodle_sim.add_cohort_member(1, uid)
    result, run = play(
        moodle_sim, "TOKEN_FULL", diff=True, cohort_id=1, exclusive=True, max_removals=2, users=[{"id": ids[0]}]
    )
    assert statuses(result) == ["added"] and result["summary"]["removed"] == 2
    assert moodle_sim.cohort_members(1) == [ids[0]]
    # Given by id, the members are named by one lookup: who leaves and who joins, not bare ids.
    named = ["%s (id %d)" % (email, uid) for email, uid in zip(emails, ids)]
    assert result["diff"]["before"]["members"] == named[1:] and result["diff"]["after"]["members"] == named[:1]
    assert '-        "%s",' % named[1] in run.stdout and '+        "%s"' % named[0] in run.stdout


# -- check mode and diff ------------------------------------------------------------------------------
def test_check_mode_with_the_read_function_is_exact_and_writes_nothing(moodle_sim):
    emails, ids = add_people(moodle_sim, 2)
    moodle_sim.add_cohort_member(1, ids[0])
    result, run = play(
        moodle_sim, "TOKEN_FULL", check=True, diff=True, cohort_id=1, users=emails + ["future@example.org"]
    )
    assert statuses(result) == ["member", "would_add", "would_add"] and result["changed"] is True
    assert result["diff"]["before"]["members"] == ["%s (id %d)" % (emails[0], ids[0])]
    assert result["diff"]["after"]["members"] == ["%s (id %d)" % pair for pair in zip(emails, ids)] + [
        "future@example.org"
    ]
    assert moodle_sim.cohort_members(1) == [ids[0]]
    assert (
        ADD_COHORT_MEMBERS not in moodle_sim.request_counts()
        and DELETE_COHORT_MEMBERS not in moodle_sim.request_counts()
    )
    assert "[WARNING]" not in run.output


def test_check_mode_without_the_read_function_is_unknown_and_says_what_to_add(moodle_sim):
    moodle_sim.add_cohort_member(1, 7)
    result, run = play(moodle_sim, "TOKEN_OK", check=True, cohort_id=1, users=[LEARNER, "future@example.org"])
    assert statuses(result) == ["unknown", "would_add"] and result["changed"] is True
    assert "core_cohort_get_cohort_members" in run.output
    assert ADD_COHORT_MEMBERS not in moodle_sim.request_counts()
    assert moodle_sim.cohort_members(1) == [7]


def test_check_mode_predicts_a_member_that_is_already_there_as_no_change(moodle_sim):
    moodle_sim.add_cohort_member(1, 7)
    result, _run = play(moodle_sim, "TOKEN_FULL", check=True, cohort_id=1, users=[{"id": 7}])
    assert result["changed"] is False and statuses(result) == ["member"]


# -- lost answers -------------------------------------------------------------------------------------
def test_lost_answer_after_commit_is_reconciled_by_reading(moodle_sim):
    emails, ids = add_people(moodle_sim, 3)
    moodle_sim.inject_fault("commit_then_drop", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1])
    result, _run = play(moodle_sim, "TOKEN_FULL", cohort_id=1, users=emails)
    assert statuses(result) == ["added"] * 3 and not result.get("failed")
    assert sorted(moodle_sim.cohort_members(1)) == ids
    assert moodle_sim.request_counts()[ADD_COHORT_MEMBERS] == 1


def test_lost_answer_after_commit_with_the_guide_token_is_re_added_safely(moodle_sim):
    emails, ids = add_people(moodle_sim, 3)
    moodle_sim.inject_fault("commit_then_drop", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1])
    result, _run = play(moodle_sim, "TOKEN_OK", cohort_id=1, users=emails)
    # Re-adding answers "already a member" for all three: maybe added by the lost call, maybe before.
    assert statuses(result) == ["unknown"] * 3 and result["changed"] is True and not result.get("failed")
    assert sorted(moodle_sim.cohort_members(1)) == ids
    again, _run = play(moodle_sim, "TOKEN_OK", cohort_id=1, users=emails)
    assert again["changed"] is False


def test_module_output_never_contains_the_token(moodle_sim):
    run = run_module(
        "moodle_cohort_member",
        dict(connection(moodle_sim, "TOKEN_OK"), cohort_id=1, users=[LEARNER]),
        diff=True,
        verbosity=3,
    )
    assert run.rc == 0 and run.result["changed"] is True
    assert TOKENS["TOKEN_OK"] not in run.output
