# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and applying cohort membership: outcomes from warnings, batching, lost answers, removals, report.

Applied on the simulated Moodle, but for warnings that name no member, which only the stub Moodle can send.
"""

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

from support.people import people_with_ids
from support.recorded import body, make_client
from support.site import ENROLMENT_TOKEN, FULL_TOKEN, REST_ONLY_TOKEN, SentCalls, member_ids, new_users, sim_client

COHORT = Cohort(1, "onemembership", "OneMembership")


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
def test_no_warning_means_added_and_warning_3_means_member(moodle_sim):
    (member,) = new_users(moodle_sim, 1, cohort=1)
    plan = cm.apply_plan(sim_client(moodle_sim), COHORT, cm.plan_membership(people_with_ids(7, member), members=None))
    assert statuses(plan) == [(7, status.ADDED), (member, status.MEMBER)]
    assert report.changed(plan)
    assert moodle_sim.cohort_members(1) == [member, 7]


def test_rerun_where_everyone_is_a_member_reports_no_change(moodle_sim):
    client = sim_client(moodle_sim)
    cm.apply_plan(client, COHORT, cm.plan_membership(people_with_ids(7), members=None))
    plan = cm.apply_plan(client, COHORT, cm.plan_membership(people_with_ids(7), members=None))
    assert statuses(plan) == [(7, status.MEMBER)] and not report.changed(plan)
    assert moodle_sim.cohort_members(1) == [7]


def test_an_unknown_user_id_fails_and_the_others_are_added(moodle_sim):
    plan = cm.apply_plan(sim_client(moodle_sim), COHORT, cm.plan_membership(people_with_ids(7, 999999), members=None))
    assert statuses(plan) == [(7, status.ADDED), (999999, status.FAILED)]
    assert "user id=999999 not exists" in plan.memberships[1].msg
    assert moodle_sim.cohort_members(1) == [7]


def test_adds_are_batched_under_max_input_vars(moodle_sim):
    ids = new_users(moodle_sim, 5)
    # 3 fixed fields + 4 per member: 11 fields hold 2 members.
    client = sim_client(moodle_sim, max_input_vars=11)
    sent = SentCalls(client)
    plan = cm.apply_plan(client, COHORT, cm.plan_membership(people_with_ids(*ids), members=None))
    assert [member_ids(fields) for fields in sent.of(ADD_COHORT_MEMBERS)] == [ids[:2], ids[2:4], ids[4:]]
    assert all(p.status == status.ADDED for p in plan.memberships)
    assert moodle_sim.cohort_members(1) == ids


def test_an_unknown_cohort_stops_before_the_next_batch(moodle_sim):
    ids = new_users(moodle_sim, 3)
    plan = cm.apply_plan(
        sim_client(moodle_sim, max_input_vars=11),
        Cohort(999999),
        cm.plan_membership(people_with_ids(*ids), members=None),
    )
    assert moodle_sim.request_counts() == {ADD_COHORT_MEMBERS: 1}
    assert isinstance(plan.fatal, CohortNotFoundError) and "cohort id=999999 not exists" in str(plan.fatal)
    assert all(p.status == status.FAILED for p in plan.memberships)


def test_missing_assign_capability_names_the_capability_and_the_cohort(moodle_sim):
    plan = cm.apply_plan(
        sim_client(moodle_sim, REST_ONLY_TOKEN), COHORT, cm.plan_membership(people_with_ids(7), members=None)
    )
    assert isinstance(plan.fatal, cm.CohortAssignDeniedError)
    assert "moodle/cohort:assign" in str(plan.fatal) and "cohort id=1 (OneMembership)" in str(plan.fatal)
    assert statuses(plan) == [(7, status.FAILED)] and not report.changed(plan)
    assert moodle_sim.cohort_members(1) == []


def test_a_lost_answer_with_members_readable_is_reconciled_by_reading(moodle_sim):
    (other,) = new_users(moodle_sim, 1, prefix="other", cohort=1)
    (newcomer,) = new_users(moodle_sim, 1)
    moodle_sim.inject_fault("commit_then_drop", ADD_COHORT_MEMBERS, on_calls=[1])
    plan = cm.apply_plan(
        sim_client(moodle_sim, FULL_TOKEN), COHORT, cm.plan_membership(people_with_ids(7, newcomer), members={other})
    )
    assert statuses(plan) == [(7, status.ADDED), (newcomer, status.ADDED)]
    assert moodle_sim.request_counts() == {ADD_COHORT_MEMBERS: 1, GET_COHORT_MEMBERS: 1}
    assert moodle_sim.cohort_members(1) == [other, 7, newcomer]


def test_a_lost_answer_that_committed_nothing_is_proven_by_the_re_add(moodle_sim):
    (member,) = new_users(moodle_sim, 1, cohort=1)
    moodle_sim.inject_fault("reset_before", ADD_COHORT_MEMBERS, on_calls=[1])
    plan = cm.apply_plan(sim_client(moodle_sim), COHORT, cm.plan_membership(people_with_ids(7, member), members=None))
    # The re-add added 7, so the lost call (one transaction) committed nothing: the member was one before.
    assert statuses(plan) == [(7, status.ADDED), (member, status.MEMBER)]
    assert moodle_sim.request_counts() == {ADD_COHORT_MEMBERS: 2}


def test_a_lost_answer_that_may_have_committed_leaves_members_unknown(moodle_sim):
    (newcomer,) = new_users(moodle_sim, 1)
    moodle_sim.inject_fault("commit_then_drop", ADD_COHORT_MEMBERS, on_calls=[1])
    plan = cm.apply_plan(sim_client(moodle_sim), COHORT, cm.plan_membership(people_with_ids(7, newcomer), members=None))
    assert statuses(plan) == [(7, status.UNKNOWN), (newcomer, status.UNKNOWN)]
    assert "is a member now" in plan.memberships[0].msg and report.changed(plan)
    assert moodle_sim.request_counts() == {ADD_COHORT_MEMBERS: 2}
    assert moodle_sim.cohort_members(1) == [7, newcomer]


def test_an_answer_lost_twice_fails_the_users(moodle_sim):
    moodle_sim.inject_fault("reset_before", ADD_COHORT_MEMBERS)
    plan = cm.apply_plan(sim_client(moodle_sim), COHORT, cm.plan_membership(people_with_ids(7), members=None))
    assert statuses(plan) == [(7, status.FAILED)] and "lost twice" in plan.memberships[0].msg
    assert moodle_sim.request_counts() == {ADD_COHORT_MEMBERS: 2}


def test_unattributable_warnings_are_rechecked_by_adding_again(moodle):
    # The simulator, like Moodle, names the member in every warning it sends: only the stub sends one that does not.
    moodle.on(
        ADD_COHORT_MEMBERS, {"warnings": [{"warningcode": "3", "message": "unparseable"}]}, {"warnings": [already(8)]}
    )
    plan = cm.apply_plan(make_client(), COHORT, cm.plan_membership(people_with_ids(7, 8), members=None))
    # 7 added by one of the two calls; 8 is a member, but maybe thanks to the first call.
    assert statuses(plan) == [(7, status.ADDED), (8, status.UNKNOWN)]


def test_unattributable_warnings_are_rechecked_by_reading_when_possible(moodle):
    # The simulator, like Moodle, names the member in every warning it sends: only the stub sends one that does not.
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
def test_absent_removes_members_in_one_call(moodle_sim):
    members = new_users(moodle_sim, 2, cohort=1)
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    plan = cm.apply_plan(
        client, COHORT, cm.plan_membership(people_with_ids(*members), members=set(members), state="absent")
    )
    assert statuses(plan) == [(members[0], status.REMOVED), (members[1], status.REMOVED)]
    assert [member_ids(fields) for fields in sent.of(DELETE_COHORT_MEMBERS)] == [members]
    assert moodle_sim.cohort_members(1) == []


def test_absent_without_members_is_unknown(moodle_sim):
    plan = cm.apply_plan(
        sim_client(moodle_sim, FULL_TOKEN), COHORT, cm.plan_membership(people_with_ids(7), members=None, state="absent")
    )
    assert statuses(plan) == [(7, status.UNKNOWN)]
    assert moodle_sim.request_counts() == {DELETE_COHORT_MEMBERS: 1}


def test_an_unknown_user_in_a_removal_is_isolated_by_splitting(moodle_sim):
    (member,) = new_users(moodle_sim, 1, cohort=1)
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    plan = cm.apply_plan(
        client, COHORT, cm.plan_membership(people_with_ids(member, 99999), members=None, state="absent")
    )
    assert statuses(plan) == [(member, status.UNKNOWN), (99999, status.NOT_MEMBER)]
    assert [member_ids(fields) for fields in sent.of(DELETE_COHORT_MEMBERS)] == [[member, 99999], [member], [99999]]
    assert moodle_sim.cohort_members(1) == []


def test_a_lost_removal_is_sent_again(moodle_sim):
    (member,) = new_users(moodle_sim, 1, cohort=1)
    moodle_sim.inject_fault("commit_then_drop", DELETE_COHORT_MEMBERS, on_calls=[1])
    plan = cm.apply_plan(
        sim_client(moodle_sim, FULL_TOKEN),
        COHORT,
        cm.plan_membership(people_with_ids(member), members={member}, state="absent"),
    )
    assert statuses(plan) == [(member, status.REMOVED)]
    assert moodle_sim.request_counts() == {DELETE_COHORT_MEMBERS: 2}
    assert moodle_sim.cohort_members(1) == []


def test_removal_without_the_delete_function_names_it(moodle_sim):
    (member,) = new_users(moodle_sim, 1, cohort=1)
    plan = cm.apply_plan(
        sim_client(moodle_sim, ENROLMENT_TOKEN),
        COHORT,
        cm.plan_membership(people_with_ids(member), members={member}, state="absent"),
    )
    assert isinstance(plan.fatal, FunctionRequiredError) and DELETE_COHORT_MEMBERS in plan.fatal.remediation
    assert statuses(plan) == [(member, status.FAILED)]
    assert moodle_sim.cohort_members(1) == [member]


def test_exclusive_adds_then_removes_the_others(moodle_sim):
    others = new_users(moodle_sim, 2, cohort=1)
    plan = cm.apply_plan(
        sim_client(moodle_sim, FULL_TOKEN),
        COHORT,
        cm.plan_membership(people_with_ids(7), members=set(others), exclusive=True, max_removals=2),
    )
    assert statuses(plan) == [(7, status.ADDED)]
    assert plan.extra_status == {others[0]: status.REMOVED, others[1]: status.REMOVED}
    assert report.summary(plan)["removed"] == 2
    assert report.diff(plan, COHORT, exclusive=True)["after"]["members"] == ["id 7"]
    assert moodle_sim.cohort_members(1) == [7]


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
