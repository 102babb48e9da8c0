# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests over bad input: moodle_user's validation and planning never crash, never
pass on a record Moodle would refuse, and give every record they hold back a reason.

The oracle is tests/support/model.py, an independent model of Moodle's create rules
(docs/moodle-behaviour.md#create-transaction). Moodle is an empty site behind ``responses`` that answers with recorded bodies: the
admin account for the visibility proof, ``[]`` for every e-mail lookup, so every valid record is
planned for creation and every planned create is what a real run would send.
"""

from urllib.parse import parse_qsl

import pytest
import responses
from hypothesis import HealthCheck, Phase, example, given, settings

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate

from support.recorded import ENDPOINT, load_transcript, make_client
from support import model, strategies

# Deterministic and quick enough for CI: a fixed number of examples derived from the test itself, and
# no shrinking (a failure is reported as found, which keeps a failing run as short as a passing one).
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _empty_site_callback(request):
    fields = dict(parse_qsl(request.body))
    if fields.get("field") == "id" and fields.get("values[0]") == "2":
        return 200, {"Content-Type": "application/json"}, load_transcript("lookup_admin_by_id_token_ok")["body"]
    assert fields.get("wsfunction") == "core_user_get_users_by_field", "planning must only read"
    return 200, {"Content-Type": "application/json"}, load_transcript("lookup_email_mixed_case")["body"]


def planned(people):
    """Validate and plan ``people`` against an empty site; return the outcomes."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=_empty_site_callback)
        client = make_client()
        records = validate([UserRecord(i, spec, "email") for i, spec in enumerate(people)], "present")
        return plan(client, records, "present")


@PROPERTY
@given(strategies.people())
@example(
    [
        {"email": "Ann@Example.org", "firstname": "Ann", "lastname": "Lee", "create_password": True},
        {"email": "ann@example.org ", "firstname": "Ann", "lastname": "Lee", "create_password": True},
    ]
)
@example(
    [
        {"email": "a+b@example.org", "firstname": "A", "lastname": "B", "create_password": True},
        {"email": "a'b@example.org", "firstname": "A", "lastname": "B", "create_password": True},
    ]
)
def test_planned_creates_pass_moodles_rules_and_every_other_record_has_a_reason(people):
    outcomes = planned(people)

    assert len(outcomes) == len(people)
    held_back = [o for o in outcomes if o.action != "create"]
    for outcome in held_back:
        assert outcome.status == "failed", outcome.result()
        assert outcome.msg.strip(), outcome.result()
    sent = [o.record.create_payload() for o in outcomes if o.action == "create"]
    refused = [(payload, problem) for payload, problem in zip(sent, model.batch_problems(sent)) if problem]
    assert refused == [], "planned creates Moodle refuses: %r" % refused


@PROPERTY
@given(strategies.benign_people())
def test_awkward_but_valid_people_are_sent_exactly_as_given(people):
    outcomes = planned(people)

    assert [o.action for o in outcomes] == ["create"] * len(people), [o.result() for o in outcomes]
    for person, outcome in zip(people, outcomes):
        payload = outcome.record.create_payload()
        assert (payload["firstname"], payload["lastname"], payload["email"]) == (
            person["firstname"],
            person["lastname"],
            person["email"],
        )
        assert model.field_problem(payload) is None


@pytest.mark.parametrize(
    "firstname, lastname",
    [
        ("Anne<b>", "Lee"),  # an HTML tag
        ("Anne", "Lee<3"),  # "<" not followed by whitespace opens a tag for PHP's strip_tags()
        ("An\0ne", "Lee"),  # fix_utf8() and strip_tags() drop NUL bytes
        ("\0", "Lee"),  # blank once the NUL is gone
    ],
)
def test_names_that_param_notags_would_alter_are_held_back_with_a_reason(firstname, lastname):
    # firstname/lastname are PARAM_NOTAGS and validate_param() refuses any value its cleaning
    # changes (docs/moodle-behaviour.md#create-transaction); sending one rolls back the whole batch.
    people = [{"email": "notags@example.org", "firstname": firstname, "lastname": lastname, "create_password": True}]

    outcomes = planned(people)

    assert model.field_problem(outcomes[0].record.create_payload()) is not None
    assert (outcomes[0].status, outcomes[0].action) == ("failed", None), outcomes[0].result()
    assert outcomes[0].msg.strip()


def test_a_lone_less_than_sign_followed_by_a_space_is_sent_unchanged():
    people = [{"email": "lt@example.org", "firstname": "A < B", "lastname": "Lee >", "create_password": True}]

    outcomes = planned(people)

    assert outcomes[0].action == "create"
    assert outcomes[0].record.create_payload()["firstname"] == "A < B"


def test_the_same_person_twice_in_other_letter_case_fails_both_with_the_positions():
    people = [
        {"email": "Ann@Example.org", "firstname": "Ann", "lastname": "Lee", "create_password": True},
        {"email": "bob@example.org", "firstname": "Bob", "lastname": "Lee", "create_password": True},
        {"email": " ann@example.ORG", "firstname": "Ann", "lastname": "Lee", "create_password": True},
    ]

    outcomes = planned(people)

    assert [o.status for o in outcomes] == ["failed", None, "failed"]
    assert [o.action for o in outcomes] == [None, "create", None]
    assert all("items 1, 3" in outcomes[i].msg for i in (0, 2))


def test_two_emails_deriving_one_username_are_both_held_back():
    # derive_username maps both + and ' to _, so both would become a_b@example.org (docs/moodle-behaviour.md#create-transaction:
    # Moodle refuses a username twice in one create).
    people = [
        {"email": "a+b@example.org", "firstname": "A", "lastname": "B", "create_password": True},
        {"email": "a'b@example.org", "firstname": "A", "lastname": "B", "create_password": True},
    ]

    outcomes = planned(people)

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("username" in o.msg for o in outcomes)
