# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Matching input users against Moodle's accounts and planning what to do (lookups only)."""

import pytest
import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import UsersNotVisibleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import finish_check_mode, plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate

from recorded import make_client
from user_fake_moodle import FULL_SERVICE, FakeMoodle


def records(*specs, **kwargs):
    match_by = kwargs.get("match_by", "email")
    state = kwargs.get("state", "present")
    full = []
    for spec in specs:
        base = {"firstname": "Lab", "lastname": "User", "create_password": True}
        base.update(spec)
        full.append(base)
    return validate([UserRecord(i, s, match_by) for i, s in enumerate(full)], state)


def statuses(outcomes):
    return [(o.status, o.action) for o in outcomes]


@responses.activate
def test_existing_user_found_in_another_letter_case_exists_and_new_one_is_planned():
    moodle = FakeMoodle().install()
    outcomes = plan(make_client(), records({"email": "EXISTING.Learner@Example.com"}, {"email": "new@example.org"}))
    assert statuses(outcomes) == [("exists", None), (None, "create")]
    assert outcomes[0].id == 7 and outcomes[0].username == "existing.learner"
    # the visibility proof, then one batched lookup with both spellings
    assert [fn for fn, _pairs in moodle.calls] == ["core_user_get_users_by_field"] * 2
    sent = [v for k, v in moodle.calls[1][1] if k.startswith("values")]
    assert sent == ["EXISTING.Learner@Example.com", "existing.learner@example.com", "new@example.org"]


@responses.activate
def test_token_that_cannot_see_users_fails_before_trusting_not_found():
    FakeMoodle(visible=False).install()
    with pytest.raises(UsersNotVisibleError) as caught:
        plan(make_client(), records({"email": "new@example.org"}))
    assert "moodle/site:viewuseridentity" in caught.value.remediation


@responses.activate
def test_two_accounts_with_one_email_are_ambiguous_never_a_guess():
    moodle = FakeMoodle().install()
    moodle.add_user("Twin@example.org", "twin1")
    moodle.add_user("twin@example.org", "twin2")
    outcome = plan(make_client(), records({"email": "Twin@example.org"}))[0]
    assert outcome.status == "failed"
    assert outcome.msg.startswith("ambiguous: 2 Moodle accounts match this e-mail (ids 100, 101)")


@responses.activate
def test_invalid_records_are_failed_without_any_request():
    moodle = FakeMoodle().install()
    outcomes = plan(make_client(), records({"email": "bad"}, {"email": "x@example.org", "username": "X"}))
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert moodle.calls == []


@responses.activate
def test_new_user_without_names_or_password_is_failed_with_the_reason():
    FakeMoodle().install()
    outcomes = plan(make_client(), records({"email": "a@example.org", "firstname": None},
                                           {"email": "b@example.org", "create_password": None}))
    assert [o.msg for o in outcomes] == [
        "firstname is required to create the user",
        "password or create_password is required to create a user with auth manual"]


@responses.activate
def test_existing_user_without_names_is_fine():
    FakeMoodle().install()
    outcome = plan(make_client(), records({"email": "existing.learner@example.com", "firstname": None,
                                           "lastname": None}))[0]
    assert outcome.status == "exists" and outcome.msg == ""


@responses.activate
def test_derived_usernames_that_collide_fail_both_new_users():
    FakeMoodle().install()
    outcomes = plan(make_client(), records({"email": "a+b@example.org"}, {"email": "a_b@example.org"}))
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "username (given or derived) appears in input items 1, 2" in outcomes[0].msg


@responses.activate
def test_differences_without_update_are_reported_and_left_alone():
    FakeMoodle().install()
    outcome = plan(make_client(), records({"email": "existing.learner@example.com", "department": "Ops",
                                                    "firstname": "Existing", "lastname": "Learner"}))[0]
    assert outcome.status == "exists"
    assert outcome.msg == "differs from the input in department; left as it is (update is false)"
    assert outcome.diffs == {"department": ("", "Ops")}


@responses.activate
def test_differences_with_update_plan_an_update_and_check_mode_says_would_update():
    FakeMoodle(functions=FULL_SERVICE).install()
    outcomes = finish_check_mode(plan(make_client(), records(
        {"email": "existing.learner@example.com", "department": "Ops"},
        {"email": "existing.learner@example.com".replace("existing", "new")}), update=True))
    assert [o.status for o in outcomes] == ["would_update", "would_create"]


@responses.activate
def test_absent_plans_delete_for_found_and_absent_for_missing():
    FakeMoodle(functions=FULL_SERVICE).install()
    outcomes = plan(make_client(), records({"email": "existing.learner@example.com"}, {"email": "gone@example.org"},
                                           state="absent"), state="absent")
    assert statuses(outcomes) == [(None, "delete"), ("absent", None)]


@responses.activate
def test_match_by_idnumber_is_exact():
    FakeMoodle().install()
    outcomes = plan(make_client(), records({"email": "x@example.org", "idnumber": "EXT-0001", "firstname": None, "lastname": None},
                                           {"email": "y@example.org", "idnumber": "ext-0001"}, match_by="idnumber"))
    assert statuses(outcomes) == [("exists", None), (None, "create")]
    assert outcomes[0].diffs == {"email": ("existing.learner@example.com", "x@example.org")}


@responses.activate
def test_check_mode_on_case_sensitive_site_finds_stored_mixed_case_email_with_get_users():
    moodle = FakeMoodle(functions=FULL_SERVICE, case_sensitive=True).install()
    moodle.add_user("Mixed.Case@Example.org", "mixed")
    outcome = plan(make_client(), records({"email": "mixed.case@example.org"}), confirm_case=True)[0]
    assert outcome.status == "exists" and outcome.username == "mixed"
    assert moodle.count("core_user_get_users") == 1


@responses.activate
def test_check_mode_on_case_insensitive_site_needs_no_get_users():
    moodle = FakeMoodle(functions=FULL_SERVICE, case_sensitive=False).install()
    outcome = plan(make_client(), records({"email": "new@example.org"}), confirm_case=True)[0]
    assert outcome.action == "create"
    assert moodle.count("core_user_get_users") == 0


@responses.activate
def test_lookups_are_batched_under_max_input_vars():
    moodle = FakeMoodle().install()
    specs = [{"email": "user%03d@example.org" % i} for i in range(300)]
    outcomes = plan(make_client(max_input_vars=100), records(*specs))
    assert all(o.action == "create" for o in outcomes)
    lookups = [pairs for fn, pairs in moodle.calls[1:]]
    assert len(lookups) == 4  # 300 values, 96 per request
    assert all(len(pairs) <= 100 for pairs in lookups)
