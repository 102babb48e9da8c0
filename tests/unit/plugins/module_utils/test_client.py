# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Moodle REST client against real Moodle 4.4 answers (tests/fixtures/transcripts)."""

from urllib.parse import parse_qsl

import pytest
import requests
import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._client import errors
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import (
    MASK,
    MoodleClient,
    InputTruncatedError,
    RequestTooLargeError,
    endpoint_url,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy

from support.recorded import BASE_URL, ENDPOINT, TOKEN, load_transcript


def make_client(**kwargs):
    kwargs.setdefault("retry_policy", RetryPolicy(total=2, backoff_factor=0.01))
    kwargs.setdefault("sleep", lambda seconds: None)
    return MoodleClient(BASE_URL, TOKEN, **kwargs)


def replay(name, rsps=None):
    """Register the recorded answer of transcript ``name`` for the endpoint."""
    record = load_transcript(name)
    (rsps or responses).add(
        responses.POST, ENDPOINT, body=record["body"], status=record["http_status"], content_type=record["content_type"]
    )
    return record


def sent_fields(call):
    return parse_qsl(call.request.body, keep_blank_values=True)


# -- the request -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "https://moodle.example.org",
        "https://moodle.example.org/",
        "https://moodle.example.org/webservice/rest/server.php",
    ],
)
def test_endpoint_url_accepts_root_or_endpoint(given):
    assert endpoint_url(given) == ENDPOINT


def test_endpoint_url_keeps_a_subdirectory():
    assert endpoint_url("https://example.org/moodle/") == "https://example.org/moodle/webservice/rest/server.php"


@pytest.mark.parametrize(
    "bad",
    [
        "moodle.example.org",
        "ftp://moodle.example.org",
        "https://moodle.example.org/webservice/rest/server.php?wstoken=abc",
        "https://m.example.org/#x",
    ],
)
def test_endpoint_url_refuses_what_could_leak_or_misroute(bad):
    with pytest.raises(ValueError):
        endpoint_url(bad)


@responses.activate
def test_call_posts_token_and_function_first_format_last_and_nothing_in_the_url():
    replay("lookup_email_existing")
    make_client().call("core_user_get_users_by_field", {"field": "email", "values": ["existing.learner@example.com"]})
    call = responses.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == ENDPOINT
    assert TOKEN not in call.request.url
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # Token and function first (never lost to truncation), format last (the truncation canary).
    assert sent_fields(call) == [
        ("wstoken", TOKEN),
        ("wsfunction", "core_user_get_users_by_field"),
        ("field", "email"),
        ("values[0]", "existing.learner@example.com"),
        ("moodlewsrestformat", "json"),
    ]


@responses.activate
def test_nested_parameters_use_php_brackets_and_booleans_are_0_or_1():
    replay("create_user_createpassword")
    make_client().call(
        "core_user_create_users",
        {
            "users": [
                {
                    "username": "lab.bob",
                    "createpassword": True,
                    "firstname": "Lab",
                    "lastname": "User",
                    "email": "lab.bob@example.com",
                    "customfields": [{"type": "level", "value": False}],
                }
            ]
        },
    )
    fields = dict(sent_fields(responses.calls[0]))
    assert fields["users[0][createpassword]"] == "1"
    assert fields["users[0][customfields][0][type]"] == "level"
    assert fields["users[0][customfields][0][value]"] == "0"


@responses.activate
def test_keep_alive_one_session_for_many_calls():
    for _i in range(3):
        replay("lookup_email_empty")
    client = make_client()
    session = client.session
    for _i in range(3):
        assert client.call("core_user_get_users_by_field", {"field": "email", "values": ["x@example.com"]}) == []
    assert client.session is session
    assert client.calls["core_user_get_users_by_field"] == 3


def test_tls_verification_on_by_default_and_ca_path_wins():
    assert make_client().session.verify is True
    assert make_client(validate_certs=False).session.verify is False
    assert make_client(ca_path="/etc/ca.pem").session.verify == "/etc/ca.pem"


# -- decoding results and errors -------------------------------------------------------------


@responses.activate
def test_result_is_decoded_json():
    record = replay("create_user_with_password")
    result = make_client().call("core_user_create_users", {"users": [{"username": "lab.alice"}]})
    assert result == record["body_parsed"] == [{"id": 8, "username": "lab.alice"}]


@responses.activate
def test_null_result_is_none():
    replay("delete_cohort_members")
    assert make_client().call("core_cohort_delete_cohort_members", {"members": [{"cohortid": 1, "userid": 8}]}) is None


@pytest.mark.parametrize(
    "name, error_class, errorcode",
    [
        ("negtoken_invalid_token_lookup", errors.InvalidTokenError, "invalidtoken"),
        ("negtoken_token_nocap_lookup", errors.AccessDeniedError, "accessexception"),
        ("create_user_token_nocap_restonly", errors.MissingCapabilityError, "nopermissions"),
        ("lookup_missing_values", errors.InvalidParameterError, "invalidparameter"),
        ("wsfunction_unknown", errors.UnknownFunctionError, "invalidrecord"),
        ("get_cohort_members_nonexistent", errors.NotFoundError, "invalidrecord"),
        ("m2_delete_users_unknown", errors.NotFoundError, "invaliduser"),
        ("m2_maintenance_lookup", errors.MaintenanceError, "sitemaintenance"),
        ("m2_api_user_suspended_lookup", errors.ApiUserRefusedError, "wsaccessusersuspended"),
        ("lookup_invalid_field", errors.MoodleAPIError, "codingerror"),
    ],
)
@responses.activate
def test_error_envelopes_become_typed_errors_keyed_on_errorcode(name, error_class, errorcode):
    record = replay(name)
    with pytest.raises(error_class) as caught:
        make_client().call(record["request"].get("wsfunction") or "core_user_get_users_by_field")
    assert caught.type is error_class  # exactly this class, not merely a subclass of it
    assert caught.value.errorcode == errorcode
    assert caught.value.remediation


@responses.activate
def test_error_classes_do_not_depend_on_the_exception_class_name():
    # Moodle 4.5 namespaces exception classes (docs/moodle-behaviour.md#error-envelope).
    responses.add(
        responses.POST,
        ENDPOINT,
        json={
            "exception": "core\\exception\\moodle_exception",
            "errorcode": "invalidtoken",
            "message": "Ungültiges Token",
        },
    )
    with pytest.raises(errors.InvalidTokenError):
        make_client().call("core_user_get_users_by_field")


@responses.activate
def test_debuginfo_is_kept_when_the_site_sends_it():
    replay("create_batch3_one_duplicate_email__debug")
    with pytest.raises(errors.InvalidParameterError) as caught:
        make_client().call("core_user_create_users", {"users": [{"username": "x"}]})
    assert "Email address already exists" in caught.value.debuginfo
    assert "Email address already exists" in str(caught.value)


@responses.activate
def test_password_policy_error_reads_as_plain_rules():
    replay("create_password_policy_violation")
    with pytest.raises(errors.PasswordPolicyError) as caught:
        make_client().call("core_user_create_users", {"users": [{"username": "x"}]})
    assert "<div>" not in str(caught.value)
    assert "Passwords must be at least 8 characters long." in str(caught.value)


@responses.activate
def test_http_403_with_empty_body_means_web_services_or_rest_disabled():
    record = replay("ws_disabled_lookup")
    assert record["http_status"] == 403 and record["body"] == ""
    with pytest.raises(errors.WebServicesDisabledError) as caught:
        make_client().call("core_user_get_users_by_field")
    assert "Enable web services" in caught.value.remediation
    assert "Manage protocols" in caught.value.remediation
    assert len(responses.calls) == 1  # never retried


@responses.activate
def test_html_login_page_is_a_clear_non_moodle_error_with_status_and_excerpt():
    responses.add(
        responses.POST,
        ENDPOINT,
        status=200,
        content_type="text/html",
        body="<!DOCTYPE html><html><head><title>Log in to the site</title></head><body>login</body></html>",
    )
    with pytest.raises(errors.NotMoodleResponseError) as caught:
        make_client().call("core_user_get_users_by_field")
    assert "login page" in str(caught.value)
    assert caught.value.http_status == 200
    assert "Log in to the site" in caught.value.excerpt


@responses.activate
def test_userprivateaccesskey_is_never_returned():
    replay("site_info_token_full")
    info = make_client().call("core_webservice_get_site_info")
    assert "userprivateaccesskey" not in info
    assert info["username"] == "ds-enroll-api"


# -- retries and lost answers ----------------------------------------------------------------


@responses.activate
def test_read_is_retried_on_transient_status_then_succeeds():
    responses.add(responses.POST, ENDPOINT, status=503, body="<html>busy</html>")
    responses.add(responses.POST, ENDPOINT, status=502, body="bad gateway")
    replay("lookup_email_empty")
    assert make_client().call("core_user_get_users_by_field", {"field": "email", "values": ["a@b.c"]}) == []
    assert len(responses.calls) == 3


@responses.activate
def test_read_gives_up_after_the_policy_total():
    for _i in range(5):
        responses.add(responses.POST, ENDPOINT, status=500, body="fatal")
    with pytest.raises(errors.HTTPStatusError) as caught:
        make_client(retry_policy=RetryPolicy(total=2, backoff_factor=0)).call("core_user_get_users_by_field")
    assert caught.value.http_status == 500
    assert len(responses.calls) == 3


@responses.activate
def test_read_is_retried_after_a_connection_reset():
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    replay("lookup_email_empty")
    assert make_client().call("core_user_get_users_by_field") == []
    assert len(responses.calls) == 2


@responses.activate
def test_write_with_lost_answer_is_outcome_unknown_and_not_repeated():
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        make_client().call("core_user_create_users", {"users": [{"username": "x"}]})
    assert len(responses.calls) == 1
    assert caught.value.wsfunction == "core_user_create_users"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_write_with_server_error_is_outcome_unknown_and_not_repeated(status):
    responses.add(responses.POST, ENDPOINT, status=status, body="error")
    with pytest.raises(errors.OutcomeUnknownError):
        make_client().call("core_cohort_add_cohort_members", {"members": [{"cohorttype": {"type": "id", "value": 1}}]})
    assert len(responses.calls) == 1


@responses.activate
def test_write_timeout_is_outcome_unknown():
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.OutcomeUnknownError):
        make_client().call("core_user_create_users", {"users": [{"username": "x"}]})


@responses.activate
def test_write_refused_before_sending_is_retried():
    refused = requests.exceptions.ConnectionError("NewConnectionError: [Errno 111] Connection refused")
    responses.add(responses.POST, ENDPOINT, body=refused)
    replay("create_user_with_password")
    assert make_client().call("core_user_create_users", {"users": [{"username": "lab.alice"}]})[0]["id"] == 8
    assert len(responses.calls) == 2


@responses.activate
def test_rate_limited_write_is_retried():
    responses.add(responses.POST, ENDPOINT, status=429, body="slow down", headers={"Retry-After": "0"})
    replay("add_cohort_member_new")
    assert make_client().call("core_cohort_add_cohort_members", {"members": []}) == {"warnings": []}
    assert len(responses.calls) == 2


@responses.activate
def test_tls_failure_is_not_retried_and_says_what_to_do():
    responses.add(responses.POST, ENDPOINT, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(errors.TransportError) as caught:
        make_client().call("core_user_get_users_by_field")
    assert caught.value.kind == "tls"
    assert "ca_path" in caught.value.remediation
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "value, total, backoff",
    [
        (None, 3, 0.5),
        (0, 0, 0.5),
        (5, 5, 0.5),
        ("2", 2, 0.5),
        ({"total": 4, "backoff_factor": 1}, 4, 1.0),
    ],
)
def test_retry_option_accepts_int_or_dict(value, total, backoff):
    policy = RetryPolicy.from_option(value)
    assert (policy.total, policy.backoff_factor) == (total, backoff)


@pytest.mark.parametrize("value", [True, -1, {"tries": 3}, [1], "many"])
def test_retry_option_rejects_nonsense(value):
    with pytest.raises(ValueError):
        RetryPolicy.from_option(value)


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(total=5, backoff_factor=0.5, max_backoff=3)
    assert [policy.delay(n) for n in range(4)] == [0.5, 1.0, 2.0, 3.0]


# -- batching under max_input_vars -----------------------------------------------------------


def test_batches_count_every_leaf_field_and_the_fixed_ones():
    client = make_client(max_input_vars=20)
    users = [{"username": "u%d" % i, "firstname": "F", "lastname": "L", "email": "u%d@x.org" % i} for i in range(10)]
    chunks = client.batches(users)
    # 20 fields - 3 fixed = 17 per call; 4 fields per user -> 4 users per call.
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert [u for c in chunks for u in c] == users


def test_batches_count_the_other_parameters_too():
    client = make_client(max_input_vars=10)
    assert [len(c) for c in client.batches(list(range(10)), params={"field": "email"})] == [6, 4]


def test_batches_honour_max_items():
    assert [len(c) for c in make_client().batches(list(range(7)), max_items=3)] == [3, 3, 1]


def test_an_item_larger_than_the_budget_is_refused_not_truncated():
    with pytest.raises(RequestTooLargeError):
        make_client(max_input_vars=5).batches([{"a": 1, "b": 2, "c": 3}])


@responses.activate
def test_call_batched_concatenates_and_never_exceeds_max_input_vars():
    for _i in range(3):
        replay("lookup_email_empty")
    client = make_client(max_input_vars=10)
    assert (
        client.call_batched(
            "core_user_get_users_by_field", "values", ["v%d" % i for i in range(15)], params={"field": "email"}
        )
        == []
    )
    sizes = [len(sent_fields(call)) for call in responses.calls]
    assert sizes == [10, 10, 7]


def test_a_call_over_max_input_vars_is_refused_before_sending():
    with pytest.raises(RequestTooLargeError):
        make_client(max_input_vars=5).call("core_user_get_users_by_field", {"field": "email", "values": [1, 2, 3]})


# -- PHP's silent truncation past the site's max_input_vars (docs/moodle-behaviour.md#silent-truncation)---------


def xml_answer(name):
    """A recorded XML answer: what Moodle sends when moodlewsrestformat did not arrive."""
    record = load_transcript(name)
    assert record["content_type"].startswith("application/xml")
    return record["body"]


@responses.activate
def test_a_write_whose_tail_php_dropped_is_outcome_unknown_naming_max_input_vars():
    responses.add(responses.POST, ENDPOINT, body=xml_answer("m2_create_xml"), content_type="application/xml")
    client = make_client(max_input_vars=1000)
    users = [{"username": "u%d" % i, "firstname": "F", "lastname": "L", "email": "u%d@x.org" % i} for i in range(10)]
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.call("core_user_create_users", {"users": users})
    assert "max_input_vars" in str(caught.value) and "max_input_vars" in caught.value.remediation
    assert isinstance(caught.value.cause, InputTruncatedError)
    assert len(responses.calls) == 1  # never repeated blindly
    assert client.max_input_vars == 43 // 2  # learnt: the next batches are smaller than what was cut


@responses.activate
def test_a_read_whose_tail_php_dropped_is_sent_again_in_smaller_batches():
    responses.add(
        responses.POST, ENDPOINT, body=xml_answer("format_omitted_xml_lookup"), content_type="application/xml"
    )
    responses.add(responses.POST, ENDPOINT, json=[{"id": 7, "email": "a0@x.org"}])
    responses.add(responses.POST, ENDPOINT, json=[{"id": 8, "email": "a5@x.org"}])
    responses.add(responses.POST, ENDPOINT, json=[])
    responses.add(responses.POST, ENDPOINT, json=[])
    client = make_client(max_input_vars=1000)
    found = client.call_batched(
        "core_user_get_users_by_field", "values", ["a%d@x.org" % i for i in range(10)], params={"field": "email"}
    )
    assert [u["id"] for u in found] == [7, 8]
    # 14 fields were cut, so the client now sends at most 14 // 2 = 7 fields: 3 values a call.
    assert [len(sent_fields(c)) for c in responses.calls] == [14, 7, 7, 7, 5]


@responses.activate
def test_a_single_read_whose_tail_php_dropped_says_what_to_fix():
    responses.add(responses.POST, ENDPOINT, body=xml_answer("format_omitted_xml_error"), content_type="application/xml")
    with pytest.raises(InputTruncatedError) as caught:
        make_client().call("core_user_get_users_by_field", {"field": "email", "values": ["a@x.org"]})
    assert "php.ini" in caught.value.remediation


# -- token hygiene ---------------------------------------------------------------------------


@responses.activate
def test_token_echoed_by_the_server_is_scrubbed_from_errors():
    responses.add(
        responses.POST,
        ENDPOINT,
        json={
            "exception": "moodle_exception",
            "errorcode": "invalidtoken",
            "message": "Invalid token %s" % TOKEN,
            "debuginfo": "token=%s" % TOKEN,
        },
    )
    with pytest.raises(errors.InvalidTokenError) as caught:
        make_client().call("core_user_get_users_by_field")
    text = "%s %r %s" % (caught.value, caught.value.to_result(), caught.value.debuginfo)
    assert TOKEN not in text
    assert MASK in text


@responses.activate
def test_token_is_scrubbed_from_non_moodle_excerpts_and_transport_errors():
    responses.add(responses.POST, ENDPOINT, status=502, body="proxy saw wstoken=%s" % TOKEN)
    with pytest.raises(errors.HTTPStatusError) as caught:
        make_client(retry_policy=RetryPolicy(total=0)).call("core_user_get_users_by_field")
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.excerpt
    responses.replace(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("reset " + TOKEN))
    with pytest.raises(errors.TransportError) as caught:
        make_client(retry_policy=RetryPolicy(total=0)).call("core_user_get_users_by_field")
    assert TOKEN not in str(caught.value)


@responses.activate
def test_passwords_sent_are_scrubbed_raw_and_form_encoded_from_what_the_server_echoes():
    password = "Hyg!ene-Pass#1 é"
    encoded = "users%5B0%5D%5Bpassword%5D=Hyg%21ene-Pass%231+%C3%A9"
    responses.add(
        responses.POST,
        ENDPOINT,
        json={
            "exception": "invalid_parameter_exception",
            "errorcode": "invalidparameter",
            "message": "Invalid parameter value detected",
            "debuginfo": "%s %s %s" % (password, encoded, TOKEN),
        },
    )
    with pytest.raises(errors.InvalidParameterError) as caught:
        make_client().call("core_user_create_users", {"users": [{"username": "x", "password": password}]})
    text = str(caught.value)
    assert password not in text and "Hyg%21ene-Pass%231+%C3%A9" not in text and TOKEN not in text
    assert text.count(MASK) == 3


def test_client_repr_names_the_endpoint_and_never_the_token():
    client = make_client()
    assert repr(client) == "MoodleClient(url=%r)" % ENDPOINT
    assert TOKEN not in str(client)
