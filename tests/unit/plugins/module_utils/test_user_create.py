# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batched creates on the simulated Moodle: splitting around refused records, lost answers, explaining refusals."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import error_from_envelope
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import UserCreator

from moodlesim import TOKENS

from support.recorded import load_transcript
from support.site import (
    API_USER_ID,
    FULL_TOKEN,
    MANAGER_WITHOUT_CREATE,
    SentCalls,
    accounts_with_email,
    planned,
    sim_client,
)


def create(client, outcomes, batch_size=100):
    creator = UserCreator(client, batch_size=batch_size)
    creator.run(outcomes)
    return creator


def ids_in_moodle(sim, outcomes):
    return [accounts_with_email(sim, o.record.email)[0]["id"] for o in outcomes]


def test_all_valid_users_are_created_in_one_call_with_their_ids(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(50)])
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 50
    assert [o.id for o in outcomes] == ids_in_moodle(moodle_sim, outcomes)
    assert moodle_sim.request_counts()[CREATE_USERS] == 1


def test_batches_respect_batch_size_and_max_input_vars(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=100)  # 6 fields per user: 16 users per call
    outcomes = planned(client, ["u%d@example.org" % i for i in range(40)])
    sent = SentCalls(client)
    create(client, outcomes, batch_size=10)
    assert [o.status for o in outcomes] == ["created"] * 40
    creates = sent.of(CREATE_USERS)
    assert len(creates) == 4 and all(len(fields) <= 100 for fields in creates)


def test_refused_record_is_isolated_by_splitting_and_the_others_are_created(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000)
    emails = ["u%d@example.org" % i for i in range(16)]
    accounts_before = len(moodle_sim.users())
    outcomes = planned(client, emails, **{"u5@example.org": {"password": "weak", "create_password": None}})
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 5 + ["failed"] + ["created"] * 10
    assert outcomes[5].msg.startswith("Moodle refused to create this user: password policy: Passwords must be")
    assert len(moodle_sim.users()) == accounts_before + 15
    # 1 whole batch + 1 lookup again + log2(16) levels of two halves at most, never one request per user
    assert moodle_sim.request_counts()[CREATE_USERS] <= 1 + 2 * 4


def test_user_created_meanwhile_by_another_run_exists_without_splitting(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(10)])
    rival = moodle_sim.add_user(
        "u3@example.org", "u3@example.org", firstname="Lab", lastname="User"
    )  # a concurrent run wins the race
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 3 + ["exists"] + ["created"] * 6
    assert outcomes[3].id == rival["id"]
    assert moodle_sim.request_counts()[CREATE_USERS] == 2
    assert len(accounts_with_email(moodle_sim, "u3@example.org")) == 1


def test_lost_answer_after_commit_is_reconciled_by_lookup_without_resending(moodle_sim):
    moodle_sim.inject_fault("commit_then_drop", wsfunction=CREATE_USERS, on_calls=[1])
    client = sim_client(moodle_sim, max_input_vars=5000)
    accounts_before = len(moodle_sim.users())
    outcomes = planned(client, ["a@example.org", "b@example.org"])
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created", "created"]
    assert [o.id for o in outcomes] == ids_in_moodle(moodle_sim, outcomes)
    assert moodle_sim.request_counts()[CREATE_USERS] == 1
    assert len(moodle_sim.users()) == accounts_before + 2


def test_lost_answer_without_commit_is_resent_after_the_lookup_proves_nothing_was_created(moodle_sim):
    moodle_sim.inject_fault("reset_before", wsfunction=CREATE_USERS, on_calls=[1])
    client = sim_client(moodle_sim, max_input_vars=5000)
    outcomes = planned(client, ["a@example.org"])
    create(client, outcomes)
    assert outcomes[0].status == "created"
    assert moodle_sim.request_counts()[CREATE_USERS] == 2
    assert len(accounts_with_email(moodle_sim, "a@example.org")) == 1


def test_email_taken_in_another_letter_case_is_found_with_get_users_and_exists(moodle_sim):
    moodle_sim.add_user("mixed", "Mixed.Case@Example.org", firstname="Lab", lastname="User")
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = planned(client, ["mixed.case@example.org", "new@example.org"])
    assert [o.action for o in outcomes] == ["create", "create"]  # the exact lookups cannot see it
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["exists", "created"]
    assert outcomes[0].username == "mixed"
    assert "another letter case" in outcomes[0].msg
    assert len(accounts_with_email(moodle_sim, "mixed.case@example.org")) == 1


def test_email_taken_in_another_case_without_get_users_fails_with_a_clear_reason(moodle_sim):
    moodle_sim.settings(debug=True)
    moodle_sim.add_user("mixed", "Mixed.Case@Example.org", firstname="Lab", lastname="User")
    client = sim_client(moodle_sim)
    outcomes = planned(client, ["mixed.case@example.org"])
    create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "Email address already exists" in outcomes[0].msg
    assert "add it to the token's service" in outcomes[0].msg
    assert len(accounts_with_email(moodle_sim, "mixed.case@example.org")) == 1


def test_username_taken_by_another_account_is_named(moodle_sim):
    owner = moodle_sim.add_user("taken@example.org", "someone.else@example.org", firstname="Lab", lastname="User")
    client = sim_client(moodle_sim)
    outcomes = planned(client, ["taken@example.org"])
    create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert outcomes[0].msg == (
        "username 'taken@example.org' already belongs to another Moodle account (id %d); "
        "give this user another username" % owner["id"]
    )


@pytest.mark.parametrize("token", ["TOKEN_OK", "TOKEN_FULL"])
def test_username_taken_by_the_same_email_in_another_case_is_that_account(moodle_sim, token):
    # The username was derived from the e-mail, so Moodle refuses the username before it compares e-mails.
    owner = moodle_sim.add_user("same.name@example.org", "Same.Name@Example.org", firstname="Lab", lastname="User")
    client = sim_client(moodle_sim, token=TOKENS[token])
    outcomes = planned(client, ["same.name@example.org"])
    create(client, outcomes)
    assert (outcomes[0].status, outcomes[0].id) == ("exists", owner["id"])
    assert "the same e-mail in another letter case" in outcomes[0].msg
    assert len(accounts_with_email(moodle_sim, "same.name@example.org")) == 1


def test_missing_create_capability_stops_the_creates_and_fails_every_new_user(moodle_sim):
    moodle_sim.set_capabilities(API_USER_ID, capabilities=MANAGER_WITHOUT_CREATE)
    client = sim_client(moodle_sim, max_input_vars=200)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(100)])
    creator = create(client, outcomes)
    assert [o.status for o in outcomes] == ["failed"] * 100
    assert "(Create users)" in outcomes[0].msg
    assert "Define roles" in creator.fatal.remediation
    assert moodle_sim.request_counts()[CREATE_USERS] == 1


def test_password_policy_error_keeps_errorcode_and_rules_apart():
    """The errorcode holds the rules as HTML (docs/moodle-behaviour.md#password-policy); users need the rules."""
    err = error_from_envelope(load_transcript("create_password_policy_violation")["body_parsed"], CREATE_USERS)
    assert err.errorcode == "passwordpolicy"
    assert err.message.startswith("password policy: Passwords must be at least 8 characters long.")


def test_user_too_large_for_max_input_vars_fails_with_what_to_raise_and_nothing_is_sent(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=8)
    outcomes = planned(client, ["a@example.org"])
    creator = create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "max_input_vars=8" in outcomes[0].msg
    assert "Raise max_input_vars" in creator.fatal.remediation
    assert CREATE_USERS not in moodle_sim.request_counts()
