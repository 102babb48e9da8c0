# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batched creates: splitting around refused records, lost answers, and explaining refusals."""

import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import UserCreator
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS

from recorded import body, make_client
from user_fake_moodle import FULL_SERVICE, FakeMoodle


def planned(client, emails, **extra):
    specs = []
    for email in emails:
        spec = {"email": email, "firstname": "Lab", "lastname": "User", "create_password": True}
        spec.update(extra.get(email, {}))
        specs.append(spec)
    return plan(client, validate([UserRecord(i, s) for i, s in enumerate(specs)], "present"))


def create(client, outcomes, batch_size=100):
    creator = UserCreator(client, batch_size=batch_size)
    creator.run(outcomes)
    return creator


@responses.activate
def test_all_valid_users_are_created_in_one_call_with_their_ids():
    moodle = FakeMoodle().install()
    client = make_client(max_input_vars=5000)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(50)])
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 50
    assert [o.id for o in outcomes] == list(range(100, 150))
    assert moodle.count(CREATE_USERS) == 1


@responses.activate
def test_batches_respect_batch_size_and_max_input_vars():
    moodle = FakeMoodle().install()
    client = make_client(max_input_vars=100)  # 6 fields per user: 16 users per call
    outcomes = planned(client, ["u%d@example.org" % i for i in range(40)])
    create(client, outcomes, batch_size=10)
    assert [o.status for o in outcomes] == ["created"] * 40
    creates = [pairs for fn, pairs in moodle.calls if fn == CREATE_USERS]
    assert len(creates) == 4 and all(len(pairs) <= 100 for pairs in creates)


@responses.activate
def test_refused_record_is_isolated_by_splitting_and_the_others_are_created():
    moodle = FakeMoodle().install()
    client = make_client(max_input_vars=5000)
    emails = ["u%d@example.org" % i for i in range(16)]
    outcomes = planned(client, emails, **{"u5@example.org": {"password": "weak", "create_password": None}})
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 5 + ["failed"] + ["created"] * 10
    assert outcomes[5].msg.startswith("Moodle refused to create this user: password policy: Passwords must be")
    assert len(moodle.users) == 2 + 15
    # 1 whole batch + 1 lookup again + log2(16) levels of two halves at most, never one request per user
    assert moodle.count(CREATE_USERS) <= 1 + 2 * 4


@responses.activate
def test_user_created_meanwhile_by_another_run_exists_without_splitting():
    moodle = FakeMoodle().install()
    client = make_client(max_input_vars=5000)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(10)])
    moodle.add_user("u3@example.org", "u3@example.org")  # a concurrent run wins the race
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created"] * 3 + ["exists"] + ["created"] * 6
    assert outcomes[3].id == 100
    assert moodle.count(CREATE_USERS) == 2
    assert len(moodle.by_email("u3@example.org")) == 1


@responses.activate
def test_lost_answer_after_commit_is_reconciled_by_lookup_without_resending():
    moodle = FakeMoodle().install()
    moodle.drop_after_commit[CREATE_USERS] = 1
    client = make_client(max_input_vars=5000)
    outcomes = planned(client, ["a@example.org", "b@example.org"])
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["created", "created"]
    assert [o.id for o in outcomes] == [100, 101]
    assert moodle.count(CREATE_USERS) == 1
    assert len(moodle.users) == 4


@responses.activate
def test_lost_answer_without_commit_is_resent_after_the_lookup_proves_nothing_was_created():
    moodle = FakeMoodle().install()
    moodle.fail_next[CREATE_USERS] = []
    client = make_client(max_input_vars=5000)
    outcomes = planned(client, ["a@example.org"])

    calls = {"n": 0}
    original = moodle.core_user_create_users

    def first_call_lost(fields, pairs):
        calls["n"] += 1
        if calls["n"] == 1:
            import requests
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return original(fields, pairs)

    moodle.core_user_create_users = first_call_lost
    create(client, outcomes)
    assert outcomes[0].status == "created"
    assert calls["n"] == 2
    assert len(moodle.by_email("a@example.org")) == 1


@responses.activate
def test_email_taken_in_another_letter_case_is_found_with_get_users_and_exists():
    moodle = FakeMoodle(functions=FULL_SERVICE).install()
    moodle.add_user("Mixed.Case@Example.org", "mixed")
    client = make_client()
    outcomes = planned(client, ["mixed.case@example.org", "new@example.org"])
    assert [o.action for o in outcomes] == ["create", "create"]  # the exact lookups cannot see it
    create(client, outcomes)
    assert [o.status for o in outcomes] == ["exists", "created"]
    assert outcomes[0].username == "mixed"
    assert "another letter case" in outcomes[0].msg
    assert len(moodle.by_email("mixed.case@example.org")) == 1


@responses.activate
def test_email_taken_in_another_case_without_get_users_fails_with_a_clear_reason():
    moodle = FakeMoodle(debug=True).install()
    moodle.add_user("Mixed.Case@Example.org", "mixed")
    client = make_client()
    outcomes = planned(client, ["mixed.case@example.org"])
    create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "Email address already exists: mixed.case@example.org" in outcomes[0].msg
    assert "add it to the token's service" in outcomes[0].msg


@responses.activate
def test_username_taken_by_another_account_is_named():
    moodle = FakeMoodle().install()
    moodle.add_user("someone.else@example.org", "taken@example.org")
    client = make_client()
    outcomes = planned(client, ["taken@example.org"])
    create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert outcomes[0].msg == ("username 'taken@example.org' already belongs to another Moodle account (id 100); "
                               "give this user another username")


@responses.activate
def test_missing_create_capability_stops_the_creates_and_fails_every_new_user():
    moodle = FakeMoodle().install()
    moodle.fail_next[CREATE_USERS] = [body("create_user_token_nocap_restonly")]
    client = make_client(max_input_vars=200)
    outcomes = planned(client, ["u%d@example.org" % i for i in range(100)])
    creator = create(client, outcomes)
    assert [o.status for o in outcomes] == ["failed"] * 100
    assert "(Create users)" in outcomes[0].msg
    assert "Define roles" in creator.fatal.remediation
    assert moodle.count(CREATE_USERS) == 1


def test_password_policy_error_keeps_errorcode_and_rules_apart():
    """errors.py once swapped them (message "passwordpolicy"); users' failure reasons need the rules."""
    from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import error_from_envelope
    from recorded import load_transcript
    err = error_from_envelope(load_transcript("create_password_policy_violation")["body_parsed"], CREATE_USERS)
    assert err.errorcode == "passwordpolicy"
    assert err.message.startswith("password policy: Passwords must be at least 8 characters long.")


@responses.activate
def test_user_too_large_for_max_input_vars_fails_with_what_to_raise_and_nothing_is_sent():
    moodle = FakeMoodle().install()
    client = make_client(max_input_vars=8)
    outcomes = planned(client, ["a@example.org"])
    creator = create(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "max_input_vars=8" in outcomes[0].msg
    assert "Raise max_input_vars" in creator.fatal.remediation
    assert moodle.count(CREATE_USERS) == 0
