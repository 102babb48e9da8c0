# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and applying cohort membership: outcomes from warnings, batching, lost answers, removals, report."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import membership as cm
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import status
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import report
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import parse_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    DELETE_COHORT_MEMBERS,
    GET_COHORT_MEMBERS,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    Cohort,
    CohortNotFoundError,
    FunctionRequiredError,
)

from support.moodle_stub import LOST, member_ids
from support.people import people_with_ids
from support.recorded import body, make_client

COHORT = Cohort(1, "onemembership", "OneMembership")
NONE_WARNED = body("add_cohort_member_new")


def statuses(plan):
    return [(p.userid, p.status) for p in plan.memberships]


def already(uid):
    return {"warningcode": "3", "message": "record already exists: cohort(id=1 id=%d)" % uid}


# -- plan --------------------------------------------------------------------------------------------
def test_with_members_read_only_newcomers_are_sent():
    plan = cm.plan_membership(people_with_ids(8, 9), members={8})
    assert statuses(plan) == [(8, status.MEMBER), (9, None)]
    assert plan.to_add == [9]


def test_check_mode_with_members_read_is_exact():
    plan = cm.plan_membership(people_with_ids(8, 9), members={8}, check_mode=True)
    assert statuses(plan) == [(8, status.MEMBER), (9, status.WOULD_ADD)]
    assert plan.to_add == []


def test_check_mode_without_members_is_unknown_except_for_users_who_do_not_exist_yet():
    people = parse_users([{"id": 8}, "new@example.org"])
    people[1].missing = True
    plan = cm.plan_membership(people, members=None, check_mode=True)
    assert [p.status for p in plan.memberships] == [status.UNKNOWN, status.WOULD_ADD]
    assert report.changed(plan)


def test_a_missing_email_fails_in_a_real_run():
    people = parse_users(["new@example.org"])
    people[0].missing = True
    plan = cm.plan_membership(people, members=None)
    assert (plan.memberships[0].status, plan.memberships[0].msg) == (status.FAILED, "no Moodle user with this e-mail")


def test_a_user_given_twice_is_sent_once():
    people = parse_users([{"id": 8}, {"id": 8}])
    assert cm.plan_membership(people, members=None).to_add == [8]


def test_absent_removes_only_members_and_a_missing_user_is_not_a_member():
    people = parse_users([{"id": 8}, {"id": 9}, "gone@example.org"])
    people[2].missing = True
    plan = cm.plan_membership(people, members={8}, state="absent")
    assert [m.status for m in plan.memberships] == [None, status.NOT_MEMBER, status.NOT_MEMBER]
    assert plan.to_remove == [8]


def test_exclusive_removes_members_not_in_users_within_max_removals():
    plan = cm.plan_membership(people_with_ids(8), members={8, 9, 10}, exclusive=True, max_removals=2)
    assert plan.extra == [9, 10]


def test_exclusive_refuses_before_any_write_when_more_would_be_removed():
    with pytest.raises(cm.TooManyRemovalsError, match="remove 2 members .*9, 10.*max_removals=1"):
        cm.plan_membership(people_with_ids(8), members={8, 9, 10}, exclusive=True, max_removals=1)


def test_exclusive_never_removes_an_account_an_ambiguous_email_may_mean():
    people = parse_users(["twin@example.org"])
    people[0].error, people[0].candidates = "ambiguous", (9, 10)
    plan = cm.plan_membership(people, members={9, 10, 11}, exclusive=True, max_removals=5)
    assert plan.extra == [11]


def test_exclusive_needs_the_members():
    with pytest.raises(FunctionRequiredError) as info:
        cm.plan_membership(people_with_ids(8), members=None, exclusive=True)
    assert GET_COHORT_MEMBERS in info.value.remediation


# -- adding ------------------------------------------------------------------------------------------
def test_no_warning_means_added_and_warning_3_means_member(moodle):
    moodle.on(ADD_COHORT_MEMBERS, {"warnings": [already(8)]})
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members=None))
    assert statuses(plan) == [(7, status.ADDED), (8, status.MEMBER)]
    assert report.changed(plan)


def test_rerun_where_everyone_is_a_member_reports_no_change(moodle):
    moodle.on(ADD_COHORT_MEMBERS, body("add_cohort_member_again"))
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(8), members=None))
    assert statuses(plan) == [(8, status.MEMBER)] and not report.changed(plan)


def test_an_unknown_user_id_fails_and_the_others_are_added(moodle):
    moodle.on(ADD_COHORT_MEMBERS, body("add_cohort_nonexistent_user_id"))
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(8, 999999), members=None))
    assert statuses(plan) == [(8, status.ADDED), (999999, status.FAILED)]
    assert "user id=999999 not exists" in plan.memberships[1].msg


def test_adds_are_batched_under_max_input_vars(moodle):
    moodle.on(ADD_COHORT_MEMBERS, NONE_WARNED)
    # 3 fixed fields + 4 per member: 11 fields hold 2 members.
    plan = cm.apply_plan(
        make_client(max_input_vars=11), COHORT, cm.plan_membership(people_with_ids(1, 2, 3, 4, 5), members=None)
    )
    assert [member_ids(c) for c in moodle.calls(ADD_COHORT_MEMBERS)] == [[1, 2], [3, 4], [5]]
    assert all(p.status == status.ADDED for p in plan.memberships)


def test_an_unknown_cohort_stops_before_the_next_batch(moodle):
    moodle.on(ADD_COHORT_MEMBERS, body("add_cohort_nonexistent_cohort_id"))
    plan = cm.apply_plan(
        make_client(max_input_vars=11), Cohort(999999), cm.plan_membership(people_with_ids(1, 2, 3), members=None)
    )
    assert moodle.count(ADD_COHORT_MEMBERS) == 1
    assert isinstance(plan.fatal, CohortNotFoundError) and "cohort id=999999 not exists" in str(plan.fatal)
    assert all(p.status == status.FAILED for p in plan.memberships)


def test_missing_assign_capability_names_the_capability_and_the_cohort(moodle):
    moodle.on(ADD_COHORT_MEMBERS, body("add_cohort_member_token_nocap_restonly_new"))
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(9), members=None))
    assert isinstance(plan.fatal, cm.CohortAssignDeniedError)
    assert "moodle/cohort:assign" in str(plan.fatal) and "cohort id=1 (OneMembership)" in str(plan.fatal)
    assert statuses(plan) == [(9, status.FAILED)] and not report.changed(plan)


def test_a_lost_answer_with_members_readable_is_reconciled_by_reading(moodle):
    moodle.on(ADD_COHORT_MEMBERS, LOST).on(GET_COHORT_MEMBERS, [{"cohortid": 1, "userids": [7, 8]}])
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members={9}))
    assert statuses(plan) == [(7, status.ADDED), (8, status.ADDED)]
    assert moodle.count(ADD_COHORT_MEMBERS) == 1


def test_a_lost_answer_that_committed_nothing_is_proven_by_the_re_add(moodle):
    moodle.on(ADD_COHORT_MEMBERS, LOST, {"warnings": [already(8)]})
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members=None))
    # The re-add added 7, so the lost call (one transaction) committed nothing: 8 was a member before.
    assert statuses(plan) == [(7, status.ADDED), (8, status.MEMBER)]


def test_a_lost_answer_that_may_have_committed_leaves_members_unknown(moodle):
    moodle.on(ADD_COHORT_MEMBERS, LOST, {"warnings": [already(7), already(8)]})
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members=None))
    assert statuses(plan) == [(7, status.UNKNOWN), (8, status.UNKNOWN)]
    assert "is a member now" in plan.memberships[0].msg and report.changed(plan)


def test_an_answer_lost_twice_fails_the_users(moodle):
    moodle.on(ADD_COHORT_MEMBERS, LOST)
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7), members=None))
    assert statuses(plan) == [(7, status.FAILED)] and "lost twice" in plan.memberships[0].msg


def test_unattributable_warnings_are_rechecked_by_adding_again(moodle):
    moodle.on(
        ADD_COHORT_MEMBERS, {"warnings": [{"warningcode": "3", "message": "unparseable"}]}, {"warnings": [already(8)]}
    )
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members=None))
    # 7 added by one of the two calls; 8 is a member, but maybe thanks to the first call.
    assert statuses(plan) == [(7, status.ADDED), (8, status.UNKNOWN)]


def test_unattributable_warnings_are_rechecked_by_reading_when_possible(moodle):
    moodle.on(
        ADD_COHORT_MEMBERS,
        {"warnings": [{"warningcode": "2", "message": "unparseable"}]},
        body("add_cohort_nonexistent_user_id"),
    )
    moodle.on(GET_COHORT_MEMBERS, [{"cohortid": 1, "userids": [7]}])
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 999999), members=set()))
    assert statuses(plan) == [(7, status.ADDED), (999999, status.FAILED)]
    assert member_ids(moodle.calls(ADD_COHORT_MEMBERS)[1]) == [999999]


# -- removing ----------------------------------------------------------------------------------------
def test_absent_removes_members_in_one_call(moodle):
    moodle.on(DELETE_COHORT_MEMBERS, body("delete_cohort_members"))
    plan = cm.apply_plan(
        make_client(), COHORT, cm.plan_membership(people_with_ids(8, 9), members={8, 9}, state="absent")
    )
    assert statuses(plan) == [(8, status.REMOVED), (9, status.REMOVED)]
    assert member_ids(moodle.calls(DELETE_COHORT_MEMBERS)[0]) == [8, 9]


def test_absent_without_members_is_unknown(moodle):
    moodle.on(DELETE_COHORT_MEMBERS, body("delete_cohort_members_not_member"))
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(8), members=None, state="absent"))
    assert statuses(plan) == [(8, status.UNKNOWN)]


def test_an_unknown_user_in_a_removal_is_isolated_by_splitting(moodle):
    unknown = body("m2_delete_cohort_members_unknown_user")
    moodle.on(DELETE_COHORT_MEMBERS, unknown, "null", unknown)
    plan = cm.apply_plan(
        make_client(), COHORT, cm.plan_membership(people_with_ids(8, 99999), members=None, state="absent")
    )
    assert statuses(plan) == [(8, status.UNKNOWN), (99999, status.NOT_MEMBER)]
    assert [member_ids(c) for c in moodle.calls(DELETE_COHORT_MEMBERS)] == [[8, 99999], [8], [99999]]


def test_a_lost_removal_is_sent_again(moodle):
    moodle.on(DELETE_COHORT_MEMBERS, LOST, "null")
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(8), members={8}, state="absent"))
    assert statuses(plan) == [(8, status.REMOVED)] and moodle.count(DELETE_COHORT_MEMBERS) == 2


def test_removal_without_the_delete_function_names_it(moodle):
    moodle.on(DELETE_COHORT_MEMBERS, body("wsfunction_not_in_service"))
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(8), members={8}, state="absent"))
    assert isinstance(plan.fatal, FunctionRequiredError) and DELETE_COHORT_MEMBERS in plan.fatal.remediation
    assert statuses(plan) == [(8, status.FAILED)]


def test_exclusive_adds_then_removes_the_others(moodle):
    moodle.on(ADD_COHORT_MEMBERS, NONE_WARNED).on(DELETE_COHORT_MEMBERS, "null")
    plan = cm.apply_plan(
        make_client(), COHORT, cm.plan_membership(people_with_ids(7), members={8, 9}, exclusive=True, max_removals=2)
    )
    assert statuses(plan) == [(7, status.ADDED)]
    assert plan.extra_status == {8: status.REMOVED, 9: status.REMOVED}
    assert report.summary(plan)["removed"] == 2
    assert report.diff(plan, COHORT, exclusive=True)["after"]["members"] == ["id 7"]


# -- report ------------------------------------------------------------------------------------------
def test_diff_is_limited_to_the_users_involved_and_shows_newcomers_by_identifier():
    people = parse_users([{"id": 8}, {"id": 9}, "new@example.org"])
    people[2].missing = True
    plan = cm.plan_membership(people, members={8, 50}, check_mode=True)
    accounts = {8: {"email": "ada@example.org", "username": "ada"}, 9: {"username": "alan"}}
    assert report.diff_user_ids(plan) == {8, 9}
    assert report.diff(plan, COHORT, accounts=accounts) == {
        "before": {"cohort": "cohort id=1 (OneMembership)", "members": ["ada@example.org (id 8)"]},
        "after": {
            "cohort": "cohort id=1 (OneMembership)",
            "members": ["ada@example.org (id 8)", "alan (id 9)", "new@example.org"],
        },
    }
    assert report.summary(plan)["would_add"] == 2


def test_diff_names_the_whole_cohort_when_exclusive_and_an_unnamed_member_by_id():
    plan = cm.plan_membership(people_with_ids(7), members={8, 9}, exclusive=True, max_removals=2, check_mode=True)
    assert report.diff_user_ids(plan, exclusive=True) == {7, 8, 9}
    accounts = {7: {"email": "new.member@example.org"}, 8: {"email": "leaving@example.org"}}
    assert report.diff(plan, COHORT, exclusive=True, accounts=accounts) == {
        "before": {"cohort": "cohort id=1 (OneMembership)", "members": ["leaving@example.org (id 8)", "id 9"]},
        "after": {"cohort": "cohort id=1 (OneMembership)", "members": ["new.member@example.org (id 7)"]},
    }
