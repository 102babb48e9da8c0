# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing ``users`` and resolving people to Moodle user ids."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._users import lookup as user_lookup
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import (
    diff_accounts,
    parse_users,
    resolve_people,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import GET_USERS_BY_FIELD, SEARCH_USERS

from support.moodle_stub import parsed
from support.recorded import body, make_client

ADMIN = body("lookup_admin_by_id_token_ok")


def values(fields):
    return [v for k, v in sorted(fields.items()) if k.startswith("values[")]


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


def test_emails_resolve_in_one_batched_lookup_in_both_spellings(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_email_existing"))
    people = resolve_people(make_client(), parse_users(["Existing.Learner@Example.com"]))
    assert people[0].userid == 7
    assert values(moodle.calls(GET_USERS_BY_FIELD)[0]) == [
        "Existing.Learner@Example.com",
        "existing.learner@example.com",
    ]


def test_an_unknown_email_is_missing_once_the_token_is_proven_to_see_users(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_email_empty"), ADMIN)
    moodle.on(SEARCH_USERS, body("m2_get_users_not_in_service"))
    person = resolve_people(make_client(), parse_users(["nobody@example.org"]))[0]
    assert (person.missing, person.userid, person.error) == (True, None, None)
    assert values(moodle.calls(GET_USERS_BY_FIELD)[1]) == ["2"]


def test_an_email_found_only_case_insensitively_is_resolved(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_email_mixed_case"), ADMIN)
    moodle.on(SEARCH_USERS, body("m2_get_users_email_mixed_case"))
    person = resolve_people(make_client(), parse_users(["EXISTING.Learner@example.com"]))[0]
    assert (person.missing, person.userid) == (False, 7)


def test_an_empty_lookup_proves_nothing_when_the_token_cannot_see_users(moodle):
    moodle.on(
        GET_USERS_BY_FIELD, body("lookup_email_token_nocap_restonly"), body("lookup_admin_by_id_token_nocap_restonly")
    )
    with pytest.raises(user_lookup.UsersNotVisibleError, match="lab.bob@example.com"):
        resolve_people(make_client(), parse_users(["lab.bob@example.com"]))


def test_an_email_shared_by_two_accounts_fails_naming_both(moodle):
    learner = parsed("m2_lookup_email_two_accounts")[0]
    twin = dict(learner, id=17, username="existing.twin", email="Existing.Learner@example.com")
    moodle.on(GET_USERS_BY_FIELD, [learner, twin])
    person = resolve_people(make_client(), parse_users(["existing.learner@example.com"]))[0]
    assert person.userid is None and person.candidates == (7, 17)
    assert "ambiguous" in person.error and "7, 17" in person.error


def test_an_invalid_email_is_refused_without_a_lookup(moodle):
    person = resolve_people(make_client(), parse_users(["not-an-email"]))[0]
    assert person.error == "not a valid e-mail address"
    assert moodle.sent == []


def test_usernames_are_looked_up_in_lowercase_as_moodle_stores_them(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_username_existing"))
    person = resolve_people(make_client(), parse_users([{"username": "Existing.Learner"}]))[0]
    assert person.userid == 7
    assert values(moodle.calls(GET_USERS_BY_FIELD)[0]) == ["existing.learner"]


def test_a_username_moodle_refuses_is_looked_up_alone_and_is_missing(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_username_existing"), body("lookup_username_mixed_case"), ADMIN)
    people = resolve_people(make_client(), parse_users([{"username": "existing.learner"}, {"username": "jo smith"}]))
    assert [(p.userid, p.missing) for p in people] == [(7, False), (None, True)]
    assert [values(c) for c in moodle.calls(GET_USERS_BY_FIELD)] == [["existing.learner"], ["jo smith"], ["2"]]


def test_ids_are_taken_as_given_without_a_lookup(moodle):
    person = resolve_people(make_client(), parse_users([{"id": 999999}]))[0]
    assert (person.userid, person.missing) == (999999, False)
    assert moodle.sent == []


def test_ids_to_verify_are_looked_up_and_a_deleted_account_fails(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("m2_lookup_deleted_user_by_id"))
    people = resolve_people(make_client(), parse_users([{"id": 15}, {"id": 7}]), verify_ids=[15])
    assert "deleted" in people[0].error
    assert people[1].error is None and values(moodle.calls(GET_USERS_BY_FIELD)[0]) == ["15"]


def test_an_id_to_verify_that_does_not_exist_is_missing(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_email_empty"), ADMIN)
    person = resolve_people(make_client(), parse_users([{"id": 999999}]), verify_ids=[999999])[0]
    assert person.missing


# -- naming the members of a diff ------------------------------------------------------------------------
def test_diff_accounts_names_people_as_given_and_looks_up_only_the_ids(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("lookup_id_existing"))
    people = parse_users(["Ann@Example.org", {"username": "bob"}, {"id": 7}])
    people[0].userid, people[1].userid = 3, 4
    accounts = diff_accounts(make_client(), people, {3, 4, 7})
    assert accounts[3] == {"email": "Ann@Example.org"} and accounts[4] == {"username": "bob"}
    assert accounts[7]["email"] == "existing.learner@example.com"
    assert moodle.count(GET_USERS_BY_FIELD) == 1 and values(moodle.calls(GET_USERS_BY_FIELD)[0]) == ["7"]


def test_diff_accounts_leaves_ids_bare_when_moodle_refuses_the_lookup(moodle):
    moodle.on(GET_USERS_BY_FIELD, body("wsfunction_not_in_service"))
    assert diff_accounts(make_client(), parse_users([{"id": 7}]), {7}) == {}


def test_diff_accounts_sends_nothing_when_everyone_is_named(moodle):
    people = parse_users(["ann@example.org"])
    people[0].userid = 3
    assert diff_accounts(make_client(), people, {3}) == {3: {"email": "ann@example.org"}}
    assert moodle.count(GET_USERS_BY_FIELD) == 0
