# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Matching input users against the simulated Moodle's accounts and planning what to do (lookups only)."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import UsersNotVisibleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import finish_check_mode, plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import GET_USERS_BY_FIELD, SEARCH_USERS

from support.site import FULL_TOKEN, REST_ONLY_TOKEN, SentCalls, sim_client


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


def test_existing_user_found_in_another_letter_case_exists_and_new_one_is_planned(moodle_sim):
    client = sim_client(moodle_sim)
    sent_calls = SentCalls(client)
    outcomes = plan(client, records({"email": "EXISTING.Learner@Example.com"}, {"email": "new@example.org"}))
    assert statuses(outcomes) == [("exists", None), (None, "create")]
    assert outcomes[0].id == 7 and outcomes[0].username == "existing.learner"
    # the visibility proof, then one batched lookup with both spellings
    assert [fn for fn, _fields in sent_calls.calls] == [GET_USERS_BY_FIELD] * 2
    sent = [v for k, v in sent_calls.calls[1][1] if k.startswith("values")]
    assert sent == ["EXISTING.Learner@Example.com", "existing.learner@example.com", "new@example.org"]


def test_token_that_cannot_see_users_fails_before_trusting_not_found(moodle_sim):
    with pytest.raises(UsersNotVisibleError) as caught:
        plan(sim_client(moodle_sim, token=REST_ONLY_TOKEN), records({"email": "new@example.org"}))
    assert "moodle/site:viewuseridentity" in caught.value.remediation


def test_two_accounts_with_one_email_are_ambiguous_never_a_guess(moodle_sim):
    moodle_sim.settings(allowaccountssameemail=True)
    first = moodle_sim.add_user("twin1", "Twin@example.org")
    second = moodle_sim.add_user("twin2", "twin@example.org")
    outcome = plan(sim_client(moodle_sim), records({"email": "Twin@example.org"}))[0]
    assert outcome.status == "failed"
    assert outcome.msg.startswith(
        "ambiguous: 2 Moodle accounts match this e-mail (ids %d, %d)" % (first["id"], second["id"])
    )


def test_invalid_records_are_failed_without_any_request(moodle_sim):
    outcomes = plan(sim_client(moodle_sim), records({"email": "bad"}, {"email": "x@example.org", "username": "X"}))
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert moodle_sim.request_counts() == {}


def test_new_user_without_names_or_password_is_failed_with_the_reason(moodle_sim):
    client = sim_client(moodle_sim)
    outcomes = plan(
        client,
        records({"email": "a@example.org", "firstname": None}, {"email": "b@example.org", "create_password": None}),
    )
    assert [o.msg for o in outcomes] == [
        "firstname is required to create the user",
        "password or create_password is required to create a user with auth manual",
    ]


def test_existing_user_without_names_is_fine(moodle_sim):
    client = sim_client(moodle_sim)
    outcome = plan(client, records({"email": "existing.learner@example.com", "firstname": None, "lastname": None}))[0]
    assert outcome.status == "exists" and outcome.msg == ""


def test_derived_usernames_that_collide_fail_both_new_users(moodle_sim):
    client = sim_client(moodle_sim)
    outcomes = plan(client, records({"email": "a+b@example.org"}, {"email": "a_b@example.org"}))
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "username (given or derived) appears in input items 1, 2" in outcomes[0].msg


def test_differences_without_update_are_reported_and_left_alone(moodle_sim):
    client = sim_client(moodle_sim)
    outcome = plan(
        client,
        records(
            {
                "email": "existing.learner@example.com",
                "department": "Ops",
                "firstname": "Existing",
                "lastname": "Learner",
            }
        ),
    )[0]
    assert outcome.status == "exists"
    assert outcome.msg == "differs from the input in department; left as it is (update is false)"
    assert outcome.diffs == {"department": ("", "Ops")}


def test_differences_with_update_plan_an_update_and_check_mode_says_would_update(moodle_sim):
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = finish_check_mode(
        plan(
            client,
            records(
                {"email": "existing.learner@example.com", "department": "Ops"},
                {"email": "existing.learner@example.com".replace("existing", "new")},
            ),
            update=True,
        )
    )
    assert [o.status for o in outcomes] == ["would_update", "would_create"]


def test_absent_plans_delete_for_found_and_absent_for_missing(moodle_sim):
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = plan(
        client,
        records({"email": "existing.learner@example.com"}, {"email": "gone@example.org"}, state="absent"),
        state="absent",
    )
    assert statuses(outcomes) == [(None, "delete"), ("absent", None)]


def test_match_by_idnumber_is_exact(moodle_sim):
    client = sim_client(moodle_sim)
    outcomes = plan(
        client,
        records(
            {"email": "x@example.org", "idnumber": "EXT-0001", "firstname": None, "lastname": None},
            {"email": "y@example.org", "idnumber": "ext-0001"},
            match_by="idnumber",
        ),
    )
    assert statuses(outcomes) == [("exists", None), (None, "create")]
    assert outcomes[0].diffs == {"email": ("existing.learner@example.com", "x@example.org")}


def test_check_mode_on_case_sensitive_site_finds_stored_mixed_case_email_with_get_users(moodle_sim):
    moodle_sim.add_user("mixed", "Mixed.Case@Example.org", firstname="Lab", lastname="User")
    outcome = plan(
        sim_client(moodle_sim, token=FULL_TOKEN), records({"email": "mixed.case@example.org"}), confirm_case=True
    )[0]
    assert outcome.status == "exists" and outcome.username == "mixed"
    assert moodle_sim.request_counts()[SEARCH_USERS] == 1


def test_check_mode_on_case_insensitive_site_needs_no_get_users(moodle_sim):
    moodle_sim.settings(email_case_sensitive=False)
    outcome = plan(sim_client(moodle_sim, token=FULL_TOKEN), records({"email": "new@example.org"}), confirm_case=True)[
        0
    ]
    assert outcome.action == "create"
    assert SEARCH_USERS not in moodle_sim.request_counts()


def test_lookups_are_batched_under_max_input_vars(moodle_sim):
    specs = [{"email": "user%03d@example.org" % i} for i in range(300)]
    client = sim_client(moodle_sim, max_input_vars=100)
    sent_calls = SentCalls(client)
    outcomes = plan(client, records(*specs))
    assert all(o.action == "create" for o in outcomes)
    lookups = [fields for _fn, fields in sent_calls.calls[1:]]
    assert len(lookups) == 4  # 300 values, 96 per request
    assert all(len(fields) <= 100 for fields in lookups)
