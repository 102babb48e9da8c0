# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing ``users`` and resolving people to Moodle user ids on the simulated Moodle."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._users import lookup as user_lookup
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import (
    diff_accounts,
    parse_users,
    resolve_people,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    GET_USERS_BY_FIELD,
    SEARCH_USERS,
)

from support.site import FULL_TOKEN, REST_ONLY_TOKEN, SentCalls, service_token, sim_client


def values(fields):
    return [v for k, v in fields if k.startswith("values[")]


def test_users_are_parsed_in_order_with_a_plain_string_as_an_email():
    people = parse_users(["Ann@Example.org ", {"username": "bob"}, {"id": "8"}, {"id": 9}])
    assert [(p.key, p.value) for p in people] == [
        ("email", "Ann@Example.org"),
        ("username", "bob"),
        ("id", 8),
        ("id", 9),
    ]
    assert (people[0].given(), people[0].userid) == ({"email": "Ann@Example.org"}, None)


@pytest.mark.parametrize(
    "item", [{"id": 8, "email": "a@b.c"}, {}, {"name": "x"}, {"id": 0}, {"id": True}, {"id": "8a"}, 8]
)
def test_an_item_without_exactly_one_identifier_is_refused(item):
    with pytest.raises(ValueError, match=r"users\[1\]"):
        parse_users(["a@b.c", item])


def test_emails_resolve_in_one_batched_lookup_in_both_spellings(moodle_sim):
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    people = resolve_people(client, parse_users(["Existing.Learner@Example.com"]))
    assert people[0].userid == 7
    assert [values(fields) for fields in sent.of(GET_USERS_BY_FIELD)] == [
        ["Existing.Learner@Example.com", "existing.learner@example.com"]
    ]


def test_an_unknown_email_is_missing_once_the_token_is_proven_to_see_users(moodle_sim):
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    person = resolve_people(client, parse_users(["nobody@example.org"]))[0]
    assert (person.missing, person.userid, person.error) == (True, None, None)
    assert values(sent.of(GET_USERS_BY_FIELD)[1]) == ["2"]
    # The case-insensitive second look is not in the guide's service: the lookup stands.
    assert moodle_sim.request_counts() == {GET_USERS_BY_FIELD: 2, SEARCH_USERS: 1}


def test_an_email_found_only_case_insensitively_is_resolved(moodle_sim):
    # Stored in a letter case that neither the given spelling nor its lowercase matches exactly.
    userid = moodle_sim.add_user("mixed.case", "Mixed.Case@Example.org")["id"]
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    person = resolve_people(client, parse_users(["MIXED.case@example.org"]))[0]
    assert (person.missing, person.userid) == (False, userid)
    assert [fn for fn, _fields in sent.calls] == [GET_USERS_BY_FIELD, GET_USERS_BY_FIELD, SEARCH_USERS]


def test_an_empty_lookup_proves_nothing_when_the_token_cannot_see_users(moodle_sim):
    with pytest.raises(user_lookup.UsersNotVisibleError, match="lab.bob@example.com"):
        resolve_people(sim_client(moodle_sim, REST_ONLY_TOKEN), parse_users(["lab.bob@example.com"]))


def test_an_email_shared_by_two_accounts_fails_naming_both(moodle_sim):
    moodle_sim.settings(allowaccountssameemail=True)
    twin = moodle_sim.add_user("existing.twin", "Existing.Learner@example.com")["id"]
    # Given in the twin's letter case: the exact spelling finds the twin, its lowercase finds user 7.
    person = resolve_people(sim_client(moodle_sim), parse_users(["Existing.Learner@example.com"]))[0]
    assert person.userid is None and person.candidates == (7, twin)
    assert "ambiguous" in person.error and "7, %d" % twin in person.error


def test_an_invalid_email_is_refused_without_a_lookup(moodle_sim):
    person = resolve_people(sim_client(moodle_sim), parse_users(["not-an-email"]))[0]
    assert person.error == "not a valid e-mail address"
    assert moodle_sim.request_counts() == {}


def test_usernames_are_looked_up_in_lowercase_as_moodle_stores_them(moodle_sim):
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    person = resolve_people(client, parse_users([{"username": "Existing.Learner"}]))[0]
    assert person.userid == 7
    assert [values(fields) for fields in sent.of(GET_USERS_BY_FIELD)] == [["existing.learner"]]


def test_a_username_moodle_refuses_is_looked_up_alone_and_is_missing(moodle_sim):
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    people = resolve_people(client, parse_users([{"username": "existing.learner"}, {"username": "jo smith"}]))
    assert [(p.userid, p.missing) for p in people] == [(7, False), (None, True)]
    assert [values(fields) for fields in sent.of(GET_USERS_BY_FIELD)] == [["existing.learner"], ["jo smith"], ["2"]]


def test_ids_are_taken_as_given_without_a_lookup(moodle_sim):
    person = resolve_people(sim_client(moodle_sim), parse_users([{"id": 999999}]))[0]
    assert (person.userid, person.missing) == (999999, False)
    assert moodle_sim.request_counts() == {}


def test_ids_to_verify_are_looked_up_and_a_deleted_account_fails(moodle_sim):
    gone = moodle_sim.add_user("gone", "gone@example.org", deleted=True)["id"]
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    people = resolve_people(client, parse_users([{"id": gone}, {"id": 7}]), verify_ids=[gone])
    assert "deleted" in people[0].error
    assert people[1].error is None and values(sent.of(GET_USERS_BY_FIELD)[0]) == [str(gone)]


def test_an_id_to_verify_that_does_not_exist_is_missing(moodle_sim):
    person = resolve_people(sim_client(moodle_sim), parse_users([{"id": 999999}]), verify_ids=[999999])[0]
    assert person.missing


# -- naming the members of a diff ------------------------------------------------------------------------
def test_diff_accounts_names_people_as_given_and_looks_up_only_the_ids(moodle_sim):
    client = sim_client(moodle_sim)
    sent = SentCalls(client)
    people = parse_users(["Ann@Example.org", {"username": "bob"}, {"id": 7}])
    people[0].userid, people[1].userid = 3, 4
    accounts = diff_accounts(client, people, {3, 4, 7})
    assert accounts[3] == {"email": "Ann@Example.org"} and accounts[4] == {"username": "bob"}
    assert accounts[7]["email"] == "existing.learner@example.com"
    assert [values(fields) for fields in sent.of(GET_USERS_BY_FIELD)] == [["7"]]


def test_diff_accounts_leaves_ids_bare_when_moodle_refuses_the_lookup(moodle_sim):
    token = service_token(moodle_sim, "no_lookups", [ADD_COHORT_MEMBERS])
    assert diff_accounts(sim_client(moodle_sim, token), parse_users([{"id": 7}]), {7}) == {}
    assert moodle_sim.request_counts() == {GET_USERS_BY_FIELD: 1}


def test_diff_accounts_sends_nothing_when_everyone_is_named(moodle_sim):
    people = parse_users(["ann@example.org"])
    people[0].userid = 3
    assert diff_accounts(sim_client(moodle_sim), people, {3}) == {3: {"email": "ann@example.org"}}
    assert moodle_sim.request_counts() == {}
