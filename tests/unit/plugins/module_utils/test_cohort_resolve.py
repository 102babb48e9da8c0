# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the cohort and reading its members with whatever the token's service offers."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import resolve as cr
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    GET_COHORT_MEMBERS,
    GET_COHORTS,
    SEARCH_COHORTS,
)

from support.moodle_stub import parsed
from support.recorded import body, make_client

NOT_IN_SERVICE = body("wsfunction_not_in_service")


def test_cohort_by_id_is_read_with_its_name(moodle):
    moodle.on(GET_COHORTS, [parsed("get_cohorts")[0]])
    cohort = cr.resolve_cohort(make_client(), cohort_id=1)
    assert cohort.to_result() == {"id": 1, "idnumber": "onemembership", "name": "OneMembership"}
    assert moodle.calls(GET_COHORTS)[0]["cohortids[0]"] == "1"


def test_unknown_cohort_id_is_not_found_when_cohorts_are_readable(moodle):
    moodle.on(GET_COHORTS, body("m2_get_cohorts_unknown_only"))
    with pytest.raises(cr.CohortNotFoundError, match="999999"):
        cr.resolve_cohort(make_client(), cohort_id=999999)


def test_cohort_id_is_kept_as_given_when_the_service_cannot_read_cohorts(moodle):
    moodle.on(GET_COHORTS, NOT_IN_SERVICE)
    cohort = cr.resolve_cohort(make_client(), cohort_id=1)
    assert cohort.to_result() == {"id": 1}
    assert cohort.reference() == {"type": "id", "value": 1}


def test_cohort_idnumber_is_searched_in_all_contexts_and_matched_exactly(moodle):
    moodle.on(SEARCH_COHORTS, body("m2_search_cohorts_idnumber"))
    cohort = cr.resolve_cohort(make_client(), cohort_idnumber="categorycohort")
    assert (cohort.id, cohort.name) == (3, "Category Cohort")
    sent = moodle.calls(SEARCH_COHORTS)[0]
    assert (sent["query"], sent["context[contextlevel]"], sent["includes"]) == ("categorycohort", "system", "all")


def test_a_substring_match_is_not_the_cohort(moodle):
    # Searching "member" finds OneMembership (idnumber onemembership): not an exact idnumber.
    moodle.on(SEARCH_COHORTS, body("m2_search_cohorts_partial"))
    with pytest.raises(cr.CohortNotFoundError, match="member"):
        cr.resolve_cohort(make_client(), cohort_idnumber="member")


def test_cohort_idnumber_falls_back_to_all_cohorts_when_search_is_not_in_the_service(moodle):
    moodle.on(SEARCH_COHORTS, NOT_IN_SERVICE).on(GET_COHORTS, body("m2_get_cohorts_all"))
    assert cr.resolve_cohort(make_client(), cohort_idnumber="second").id == 2


def test_cohort_idnumber_stays_unresolved_with_only_the_guide_functions(moodle):
    moodle.on(SEARCH_COHORTS, NOT_IN_SERVICE).on(GET_COHORTS, NOT_IN_SERVICE)
    cohort = cr.resolve_cohort(make_client(), cohort_idnumber="onemembership")
    assert cohort.id is None
    assert cohort.reference() == {"type": "idnumber", "value": "onemembership"}
    assert cohort.to_result() == {"id": None, "idnumber": "onemembership"}


def test_members_are_read_as_a_set_of_ids(moodle):
    moodle.on(GET_COHORT_MEMBERS, [parsed("get_cohort_members")[0]])
    assert cr.read_members(make_client(), cr.Cohort(1)) == {8, 9}


@pytest.mark.parametrize("name", ["m2_get_cohort_members_not_in_service", "m2_get_cohort_members_nocap"])
def test_members_are_unreadable_without_the_function_or_the_view_capability(moodle, name):
    moodle.on(GET_COHORT_MEMBERS, body(name))
    assert cr.read_members(make_client(), cr.Cohort(1)) is None


def test_reading_the_members_of_an_unknown_cohort_proves_it_does_not_exist(moodle):
    moodle.on(GET_COHORT_MEMBERS, body("get_cohort_members_nonexistent"))
    with pytest.raises(cr.CohortNotFoundError):
        cr.read_members(make_client(), cr.Cohort(999999))


def test_members_of_an_unresolved_idnumber_are_not_read(moodle):
    assert cr.read_members(make_client(), cr.Cohort(idnumber="x")) is None
    assert moodle.sent == []
