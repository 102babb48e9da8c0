# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the cohort and reading its members with whatever the token's service offers, on the simulated Moodle."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import resolve as cr
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    GET_COHORT_MEMBERS,
    GET_COHORTS,
    SEARCH_COHORTS,
)

from support.site import ENROLMENT_TOKEN, FULL_TOKEN, REST_ONLY_TOKEN, SentCalls, new_users, service_token, sim_client


def test_cohort_by_id_is_read_with_its_name(moodle_sim):
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    cohort = cr.resolve_cohort(client, cohort_id=1)
    assert cohort.to_result() == {"id": 1, "idnumber": "onemembership", "name": "OneMembership"}
    assert dict(sent.of(GET_COHORTS)[0])["cohortids[0]"] == "1"


def test_unknown_cohort_id_is_not_found_when_cohorts_are_readable(moodle_sim):
    with pytest.raises(cr.CohortNotFoundError, match="999999"):
        cr.resolve_cohort(sim_client(moodle_sim, FULL_TOKEN), cohort_id=999999)


def test_cohort_id_is_kept_as_given_when_the_service_cannot_read_cohorts(moodle_sim):
    cohort = cr.resolve_cohort(sim_client(moodle_sim, ENROLMENT_TOKEN), cohort_id=1)
    assert cohort.to_result() == {"id": 1}
    assert cohort.reference() == {"type": "id", "value": 1}
    assert moodle_sim.request_counts() == {GET_COHORTS: 1}


def test_cohort_idnumber_is_searched_in_all_contexts_and_matched_exactly(moodle_sim):
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    cohort = cr.resolve_cohort(client, cohort_idnumber="categorycohort")
    assert (cohort.id, cohort.name) == (3, "Category Cohort")
    fields = dict(sent.of(SEARCH_COHORTS)[0])
    assert (fields["query"], fields["context[contextlevel]"], fields["includes"]) == ("categorycohort", "system", "all")


def test_a_substring_match_is_not_the_cohort(moodle_sim):
    # Searching "member" finds OneMembership (idnumber onemembership): not an exact idnumber.
    with pytest.raises(cr.CohortNotFoundError, match="member"):
        cr.resolve_cohort(sim_client(moodle_sim, FULL_TOKEN), cohort_idnumber="member")
    assert moodle_sim.request_counts() == {SEARCH_COHORTS: 1}


def test_cohort_idnumber_falls_back_to_all_cohorts_when_search_is_not_in_the_service(moodle_sim):
    token = service_token(moodle_sim, "cohorts_without_search", [GET_COHORTS])
    assert cr.resolve_cohort(sim_client(moodle_sim, token), cohort_idnumber="second").id == 2
    assert moodle_sim.request_counts() == {SEARCH_COHORTS: 1, GET_COHORTS: 1}


def test_cohort_idnumber_stays_unresolved_with_only_the_guide_functions(moodle_sim):
    cohort = cr.resolve_cohort(sim_client(moodle_sim, ENROLMENT_TOKEN), cohort_idnumber="onemembership")
    assert cohort.id is None
    assert cohort.reference() == {"type": "idnumber", "value": "onemembership"}
    assert cohort.to_result() == {"id": None, "idnumber": "onemembership"}


def test_members_are_read_as_a_set_of_ids(moodle_sim):
    members = new_users(moodle_sim, 2, cohort=1)
    assert cr.read_members(sim_client(moodle_sim, FULL_TOKEN), cr.Cohort(1)) == set(members)


@pytest.mark.parametrize("token", [ENROLMENT_TOKEN, REST_ONLY_TOKEN], ids=["not-in-service", "no-view-capability"])
def test_members_are_unreadable_without_the_function_or_the_view_capability(moodle_sim, token):
    assert cr.read_members(sim_client(moodle_sim, token), cr.Cohort(1)) is None
    assert moodle_sim.request_counts() == {GET_COHORT_MEMBERS: 1}


def test_reading_the_members_of_an_unknown_cohort_proves_it_does_not_exist(moodle_sim):
    with pytest.raises(cr.CohortNotFoundError):
        cr.read_members(sim_client(moodle_sim, FULL_TOKEN), cr.Cohort(999999))


def test_members_of_an_unresolved_idnumber_are_not_read(moodle_sim):
    assert cr.read_members(sim_client(moodle_sim, FULL_TOKEN), cr.Cohort(idnumber="x")) is None
    assert moodle_sim.request_counts() == {}
