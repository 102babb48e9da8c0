# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared user lookups: batching, e-mail spellings, ambiguity and the visibility proof."""

import json
from urllib.parse import parse_qsl

import pytest
import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._users import lookup as user_lookup
from support.recorded import ENDPOINT, load_transcript, make_client


def fields(call):
    return dict(parse_qsl(call.request.body))


def existing_learner():
    return load_transcript("lookup_email_existing")["body_parsed"][0]


def test_email_spellings_are_as_given_and_lowercased_without_repeats():
    assert user_lookup.email_spellings([" Ann@Example.org ", "ann@example.org", "bob@example.org"]) == [
        "Ann@Example.org",
        "ann@example.org",
        "bob@example.org",
    ]


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Lab.Bob", "lab.bob"),
        (" jane doe ", "janedoe"),
        ("o'neil+x@y", "oneilx@y"),
        ("ok_name-1.2@x", "ok_name-1.2@x"),
    ],
)
def test_clean_username_mirrors_param_username(raw, clean):
    assert user_lookup.clean_username(raw) == clean
    assert user_lookup.is_clean_username(clean)


def test_extended_username_chars_keep_other_characters():
    assert user_lookup.clean_username("José Ñ", extended_chars=True) == "josé ñ"


@responses.activate
def test_find_by_email_queries_both_spellings_and_groups_case_insensitively():
    responses.add(responses.POST, ENDPOINT, json=[existing_learner()])
    found = user_lookup.find_by_email(make_client(), ["Existing.Learner@Example.com", "new@example.org"])
    sent = parse_qsl(responses.calls[0].request.body)
    assert [v for k, v in sent if k.startswith("values")] == [
        "Existing.Learner@Example.com",
        "existing.learner@example.com",
        "new@example.org",
    ]
    assert [u["id"] for u in found["existing.learner@example.com"]] == [7]
    assert found["new@example.org"] == []


@responses.activate
def test_two_accounts_with_one_email_in_different_cases_are_both_reported():
    # With allowaccountssameemail on, m2_create_same_email_allowed made "existing.twin" with
    # Existing.Learner@example.com; an exact lookup of each spelling finds one account each.
    learner = load_transcript("m2_lookup_email_two_accounts")["body_parsed"][0]
    twin = dict(learner, id=17, username="existing.twin", email="Existing.Learner@example.com")
    responses.add(responses.POST, ENDPOINT, json=[learner, twin])
    found = user_lookup.find_by_email(make_client(), ["Existing.Learner@example.com"])
    assert len(found["existing.learner@example.com"]) == 2


@responses.activate
def test_lookups_are_batched_under_max_input_vars_and_deduplicated_by_id():
    responses.add(responses.POST, ENDPOINT, json=[existing_learner()])
    responses.add(responses.POST, ENDPOINT, json=[existing_learner()])
    users = user_lookup.get_users_by_field(make_client(max_input_vars=10), "username", ["u%d" % i for i in range(10)])
    assert [u["id"] for u in users] == [7]
    assert [sum(1 for k in fields(c) if k.startswith("values")) for c in responses.calls] == [6, 4]


def test_no_values_means_no_call():
    assert user_lookup.get_users_by_field(make_client(), "email", []) == []


@responses.activate
def test_visibility_proof_passes_when_the_admin_email_is_visible():
    record = load_transcript("lookup_admin_by_id_token_ok")
    responses.add(responses.POST, ENDPOINT, body=record["body"], content_type="application/json")
    user_lookup.prove_email_visibility(make_client())
    assert fields(responses.calls[0])["values[0]"] == "2"


@responses.activate
def test_visibility_proof_fails_with_a_remediation_when_the_filter_hides_users():
    record = load_transcript("lookup_admin_by_id_token_nocap_restonly")
    assert record["body_parsed"] == []
    responses.add(responses.POST, ENDPOINT, body=record["body"], content_type="application/json")
    with pytest.raises(user_lookup.UsersNotVisibleError) as caught:
        user_lookup.prove_email_visibility(make_client())
    assert "Define roles" in caught.value.remediation
    assert "proves nothing" in str(caught.value)


@responses.activate
def test_case_insensitive_search_escapes_wildcards_and_filters_exactly():
    record = load_transcript("m2_get_users_email_underscore_wildcard")
    responses.add(responses.POST, ENDPOINT, body=record["body"], content_type="application/json")
    # The LIKE found existing.learner@... for existing_learner@...; an exact filter must drop it.
    assert user_lookup.search_email_case_insensitive(make_client(), "existing_learner@example.com") == []
    assert fields(responses.calls[0])["criteria[0][value]"] == "existing\\_learner@example.com"


@responses.activate
def test_case_insensitive_search_finds_another_letter_case():
    record = load_transcript("m2_get_users_email_mixed_case")
    responses.add(responses.POST, ENDPOINT, body=record["body"], content_type="application/json")
    found = user_lookup.search_email_case_insensitive(make_client(), "EXISTING.Learner@example.com")
    assert [u["id"] for u in found] == [7]
    assert json.loads(record["body"])["users"][0]["email"] == "existing.learner@example.com"
