# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input users: local validation, username derivation, create and update payloads (no HTTP)."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.form import flatten
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import (
    UserRecord,
    create_problem,
    derive_username,
    differences,
    is_valid_email,
    update_payload,
    validate,
)

from support.recorded import load_transcript


def rec(index=0, match_by="email", **spec):
    base = {"firstname": "Lab", "lastname": "User", "create_password": True}
    base.update(spec)
    return UserRecord(index, base, match_by)


def existing_learner():
    return load_transcript("lookup_email_existing")["body_parsed"][0]


@pytest.mark.parametrize(
    "email, username",
    [
        ("Ada.Lovelace@Example.org", "ada.lovelace@example.org"),
        ("Anne-Marie.O'Neil+x@Example.org", "anne-marie.o_neil_x@example.org"),
        ("  first_last@example.org ", "first_last@example.org"),
    ],
)
def test_username_is_derived_from_the_email_with_rejected_characters_replaced(email, username):
    assert derive_username(email) == username
    assert rec(email=email).username == username


@pytest.mark.parametrize(
    "address, valid",
    [
        ("ada@example.org", True),
        ("o'neil+tag@sub.example.org", True),
        ("no-at-sign.example.org", False),
        ("two@@example.org", False),
        ("space in@example.org", False),
        ("<ada>@example.org", False),
        ("", False),
    ],
)
def test_email_syntax_follows_moodles_validate_email(address, valid):
    assert is_valid_email(address) is valid


def test_invalid_records_get_a_reason_and_valid_ones_none():
    records = validate(
        [
            rec(0, email="ok@example.org"),
            rec(1, email="not-an-email"),
            rec(2, email=None),
            rec(3, email="upper@example.org", username="Upper.Case"),
            rec(4, email="bad@example.org", username="has space"),
        ],
        "present",
    )
    problems = [r.problem for r in records]
    assert problems[0] is None
    assert "not a valid e-mail" in problems[1]
    assert problems[2] == "email is required"
    assert "username 'Upper.Case' is not valid" in problems[3]
    assert "username 'has space' is not valid" in problems[4]


def test_duplicate_emails_in_any_case_fail_every_occurrence():
    records = validate(
        [rec(0, email="Ann@example.org"), rec(1, email="bob@example.org"), rec(2, email="ann@EXAMPLE.org")], "present"
    )
    assert records[1].problem is None
    assert (
        records[0].problem
        == records[2].problem
        == ("the same e-mail address (in any letter case) appears in input items 1, 3")
    )


def test_match_by_username_needs_no_email_for_absent_but_a_valid_username():
    ok = validate([UserRecord(0, {"username": "lab.bob"}, "username")], "absent")[0]
    missing = validate([UserRecord(0, {"idnumber": None}, "idnumber")], "absent")[0]
    assert ok.problem is None and ok.match_value == "lab.bob"
    assert missing.problem == "idnumber is required to find the user (match_by=idnumber)"


def test_overlong_field_is_refused_before_sending():
    record = validate([rec(email="a@example.org", phone1="0" * 21)], "present")[0]
    assert record.problem == "phone1 is longer than the 20 characters Moodle allows"


@pytest.mark.parametrize(
    "spec, problem",
    [
        ({"firstname": " "}, "firstname is required to create the user"),
        ({"lastname": None}, "lastname is required to create the user"),
        ({"create_password": False}, "password or create_password is required to create a user with auth manual"),
        ({"create_password": False, "auth": "ldap"}, None),
        ({"create_password": False, "password": "Str0ng#Passw0rd"}, None),
    ],
)
def test_create_problems_mirror_moodles_create_checks(spec, problem):
    assert create_problem(rec(email="a@example.org", **spec)) == problem


def test_create_payload_has_only_keys_moodle_accepts_and_booleans_as_0_1():
    record = rec(
        email=" Ada@Example.org ",
        password="Str0ng#Passw0rd",
        department="Ops",
        customfields={"team": "blue", "level": 3},
        city=None,
    )
    fields = dict(flatten({"users": [record.create_payload()]}))
    assert fields == {
        "users[0][username]": "ada@example.org",
        "users[0][firstname]": "Lab",
        "users[0][lastname]": "User",
        "users[0][email]": "Ada@Example.org",
        "users[0][department]": "Ops",
        "users[0][auth]": "manual",
        "users[0][password]": "Str0ng#Passw0rd",
        "users[0][createpassword]": "1",
        "users[0][customfields][0][type]": "level",
        "users[0][customfields][0][value]": "3",
        "users[0][customfields][1][type]": "team",
        "users[0][customfields][1][value]": "blue",
    }


def test_public_view_never_contains_the_password():
    record = rec(email="ada@example.org", password="Str0ng#Passw0rd")
    assert "password" not in record.public()
    assert "Str0ng#Passw0rd" not in repr(record.public())


def test_differences_ignore_email_case_and_missing_empty_fields():
    learner = existing_learner()
    same = rec(email="EXISTING.Learner@example.com", firstname="Existing", lastname="Learner", city="")
    assert differences(same, learner) == {}


def test_differences_name_each_given_field_that_differs():
    learner = existing_learner()
    record = rec(
        email="existing.learner@example.com",
        firstname="Existing",
        lastname="Learner",
        department="Ops",
        auth="manual",
        customfields={"team": "blue"},
    )
    assert differences(record, learner) == {"department": ("", "Ops"), "customfields.team": ("", "blue")}


def test_update_payload_sends_the_id_and_changed_fields_only():
    learner = existing_learner()
    payload = update_payload(learner, {"department": ("", "Ops"), "customfields.team": ("", "blue")})
    assert payload == {"id": 7, "department": "Ops", "customfields": [{"type": "team", "value": "blue"}]}


@pytest.mark.parametrize(
    "spec, problem",
    [
        ({"firstname": "Anne<b>"}, "firstname contains markup or a NUL byte that Moodle would strip"),
        ({"department": "R&D <script>"}, "department contains markup or a NUL byte that Moodle would strip"),
        ({"lastname": "Lee\0"}, "lastname contains markup or a NUL byte that Moodle would strip"),
        ({"country": "France"}, "country must be a two-letter code such as FR, not 'France'"),
        ({"firstname": "A < B", "country": "fr"}, None),
    ],
)
def test_values_moodles_param_cleaning_would_change_are_refused_locally(spec, problem):
    record = validate([rec(email="a@example.org", **spec)], "present")[0]
    assert (record.problem or "").startswith(problem or "") and bool(record.problem) is bool(problem)


def test_email_with_a_line_break_inside_is_invalid():
    assert not is_valid_email("a@example.org\nb@example.org")
    assert not is_valid_email("a@example.org\n")
