# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moodle 5.0 does not name a missing record unless debugging is on (docs/moodle-behaviour.md#releases-and-databases).

The simulator answers as Moodle 5.0 (its profile was recorded from a real 5.0 lab); the collection must still
tell an unknown function, an unknown user and an unknown cohort apart from the context of the call.
"""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks import site as readiness
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    NotFoundError,
    UnknownFunctionError,
    error_from_envelope,
    is_unnamed_missing_record,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import membership as cm
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import status
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    Cohort,
    CohortNotFoundError,
    read_members,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import ENROLMENT_FUNCTIONS
from moodlesim import Simulator

from support.people import people_with_ids
from support.recorded import load_transcript
from support.site import ENROLMENT_TOKEN, FULL_TOKEN, sim_client

UNKNOWN_USER = 99999


@pytest.fixture
def moodle_50():
    sim = Simulator(seed="transcript-site", profile="5.0-pgsql").start(host="127.0.0.1", port=0)
    yield sim
    sim.stop()


def test_the_recorded_unnamed_missing_record_is_a_not_found_error():
    body = load_transcript("wsfunction_unknown")["body_parsed"]
    body = dict(body, errorcode="invalidrecordunknown", message="Can't find data record in database.")
    err = error_from_envelope(body, "core_user_does_not_exist")
    assert isinstance(err, NotFoundError) and not isinstance(err, UnknownFunctionError)
    assert is_unnamed_missing_record(err)
    assert not is_unnamed_missing_record(error_from_envelope(load_transcript("wsfunction_unknown")["body_parsed"]))


def test_readiness_names_an_unknown_function_on_moodle_50(moodle_50):
    report = readiness.assess(
        sim_client(moodle_50, ENROLMENT_TOKEN),
        required_functions=list(ENROLMENT_FUNCTIONS) + ["core_user_no_such_function"],
    )
    check = dict((c["id"], c) for c in report["checks"])["function:core_user_no_such_function"]
    assert (check["status"], check["summary"]) == ("fail", "Moodle has no function of this name")


def test_an_unknown_cohort_on_moodle_50_is_reported_as_such_when_its_members_are_read(moodle_50):
    with pytest.raises(CohortNotFoundError, match="no cohort with id 999999"):
        read_members(sim_client(moodle_50, FULL_TOKEN), Cohort(999999))


def test_an_unknown_user_in_a_removal_is_isolated_on_moodle_50_once_the_cohort_is_known(moodle_50):
    member = moodle_50.add_user("m50.member", "m50.member@example.org")["id"]
    moodle_50.add_cohort_member(1, member)
    client = sim_client(moodle_50, FULL_TOKEN)
    cohort = Cohort(1, "onemembership", "OneMembership")
    plan = cm.apply_plan(
        client, cohort, cm.plan_membership(people_with_ids(member, UNKNOWN_USER), members={member}, state="absent")
    )
    assert plan.fatal is None
    assert [(m.person.userid, m.status) for m in plan.memberships] == [
        (member, status.REMOVED),
        (UNKNOWN_USER, status.NOT_MEMBER),
    ]
    assert moodle_50.cohort_members(1) == []


def test_a_removal_from_a_cohort_never_read_on_moodle_50_says_the_cohort_or_a_user_is_missing(moodle_50):
    plan = cm.apply_plan(
        sim_client(moodle_50, FULL_TOKEN),
        Cohort(999999),
        cm.plan_membership(people_with_ids(7), members=None, state="absent"),
    )
    assert isinstance(plan.fatal, CohortNotFoundError)
    assert "cohort id=999999 or one of the users does not exist" in str(plan.fatal)
