# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness checks against real Moodle 4.4 answers (tests/fixtures/transcripts)."""

import json
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks import site as readiness
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import ENROLMENT_FUNCTIONS

from support.checks import GUIDE_CHECK_ORDER
from support.recorded import BASE_URL, ENDPOINT, TOKEN, load_transcript

GUIDE = list(ENROLMENT_FUNCTIONS)
ORDER = GUIDE_CHECK_ORDER

# The transcript site's TOKEN_OK: the three enrolment functions, Manager + webservice/rest:use.
TOKEN_OK = {
    "core_webservice_get_site_info": "site_info_token_ok",
    "lookup": "lookup_admin_by_id_token_ok",
    "create": "probe_create_blank_username_token_ok",
    "key:core_cohort_add_cohort_members": "create_users_empty_array_omitted_token_ok",  # invalidparameter
    "core_cohort_get_cohorts": "wsfunction_not_in_service",
    "cohort:known": "add_cohort_nonexistent_user_id",
    "cohort:unknown": "add_cohort_nonexistent_cohort_id",
}
TOKEN_FULL = {
    "core_webservice_get_site_info": "site_info_token_full",
    "lookup": "lookup_admin_by_id_token_ok",
    "create": "probe_create_blank_username_token_ok",
    "core_cohort_get_cohorts": "get_cohorts",
}


def routed(fields):
    """Which recorded answer a request gets: keyed on the function and on the probe it is."""
    wsfunction = fields["wsfunction"]
    if readiness.PROBE_KEY in fields:
        return "key:" + wsfunction
    if wsfunction == "core_user_get_users_by_field":
        return "lookup"
    if wsfunction == "core_user_create_users":
        return "create"
    if wsfunction == "core_cohort_add_cohort_members":
        value = fields.get("members[0][cohorttype][value]")
        return "cohort:known" if value in ("1", "onemembership") else "cohort:unknown"
    return wsfunction


class FakeSite(object):
    """Answers each request with a transcript body chosen by ``routes``; records what was asked."""

    def __init__(self, routes, default=None):
        self.routes = routes
        self.default = default
        self.asked = []

    def __call__(self, request):
        fields = dict(parse_qsl(request.body, keep_blank_values=True))
        key = routed(fields)
        self.asked.append((key, fields))
        name = self.routes.get(key, self.default)
        if isinstance(name, list):
            name = name.pop(0) if len(name) > 1 else name[0]
        if name is None:
            raise AssertionError("unexpected request %s" % key)
        record = load_transcript(name)
        return record["http_status"], {"Content-Type": record["content_type"]}, record["body"]


def assess(routes, default=None, url=BASE_URL, **kwargs):
    site = FakeSite(routes, default)
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, url.rstrip("/") + "/webservice/rest/server.php", callback=site)
        client = MoodleClient(url, TOKEN, retry_policy=RetryPolicy(total=0), sleep=lambda s: None)
        report = readiness.assess(client, **kwargs)
    report["asked"] = [key for key, _fields in site.asked]
    report["fields"] = [fields for _key, fields in site.asked]
    report["by_id"] = dict((c["id"], c) for c in report["checks"])
    return report


def status(report, check_id):
    return report["by_id"][check_id]["status"]


# -- the ready set-up ---------------------------------------------------------------------------


def test_guide_token_is_ready_with_every_check_in_order():
    report = assess(TOKEN_OK, cohort_id=1)
    assert [c["id"] for c in report["checks"]] == ORDER
    assert report["ready"] is True
    assert set(c["status"] for c in report["checks"]) <= {"pass", "skip"}
    assert status(report, "cohort") == "pass"
    assert status(report, "least_privilege") == "skip"
    assert "core_webservice_get_site_info" in report["by_id"]["least_privilege"]["remediation"]
    assert report["functions"] == sorted(GUIDE)
    assert report["missing_functions"] == []
    assert report["site"] == {}


def test_every_check_has_the_four_keys_and_a_known_status():
    report = assess(TOKEN_OK, cohort_id=1)
    for item in report["checks"]:
        assert sorted(item) == ["id", "remediation", "status", "summary"]
        assert item["status"] in ("pass", "fail", "warn", "skip")
        assert item["summary"]


def test_probes_never_send_a_writable_request():
    report = assess(TOKEN_OK, cohort_id=1)
    for fields in report["fields"]:
        if fields["wsfunction"] == "core_user_create_users":
            assert fields["users[0][username]"] == ""
        if fields["wsfunction"] == "core_cohort_add_cohort_members" and readiness.PROBE_KEY not in fields:
            assert fields["members[0][usertype][type]"] == "id"
            assert fields["members[0][usertype][value]"] == "0"


def test_guide_token_makes_few_calls():
    report = assess(TOKEN_OK, cohort_id=1)
    assert len(report["asked"]) <= 5
    # The add probe that finds the cohort proves the function callable too: no second probe of it.
    assert "key:core_cohort_add_cohort_members" not in report["asked"]
    assert "key:core_cohort_add_cohort_members" in assess(TOKEN_OK)["asked"]


def test_no_probe_runs_a_write_function_when_probe_capabilities_is_false():
    routes = dict(TOKEN_OK, **{"key:core_user_create_users": "create_users_empty_array_omitted_token_ok"})
    report = assess(routes, cohort_id=1, probe_capabilities=False)
    writes = [
        f for f in report["fields"] if f["wsfunction"] in ("core_user_create_users", "core_cohort_add_cohort_members")
    ]
    assert writes and all(readiness.PROBE_KEY in f for f in writes)
    assert status(report, "function:core_user_create_users") == "pass"
    assert status(report, "capability:moodle/user:create") == "skip"
    assert status(report, "cohort") == "skip"
    assert report["ready"] is True


def test_http_url_warns_and_https_passes():
    report = assess(TOKEN_OK, url="http://moodle.example.org")
    assert status(report, "transport") == "warn"
    assert "https" in report["by_id"]["transport"]["remediation"]
    assert assess(TOKEN_OK)["by_id"]["transport"]["status"] == "pass"


def test_unverified_certificate_warns():
    assert status(assess(TOKEN_OK, validate_certs=False), "transport") == "warn"


# -- site info -----------------------------------------------------------------------------------


def test_full_service_lists_site_and_warns_about_extra_functions():
    report = assess(TOKEN_FULL, cohort_id=1)
    assert report["ready"] is True
    assert report["site"] == {
        "sitename": "Moodle Lab",
        "release": "4.4.3+ (Build: 20240910)",
        "version": "2024042203.03",
        "username": "ds-enroll-api",
        "userid": 3,
        "userissiteadmin": False,
    }
    assert "core_user_get_users" in report["functions"]
    least = report["by_id"]["least_privilege"]
    assert least["status"] == "warn"
    assert "core_user_delete_users" in least["summary"]
    assert "core_webservice_get_site_info" not in least["summary"]
    assert "Functions: remove" in least["remediation"]
    assert "OneMembership" in report["by_id"]["cohort"]["summary"]


def test_site_info_is_the_only_call_that_lists_functions_so_no_function_is_probed():
    report = assess(TOKEN_FULL)
    assert not any(key.startswith("key:") for key in report["asked"])


def test_site_admin_token_warns_least_privilege():
    routes = dict(TOKEN_FULL, core_webservice_get_site_info="site_info_token_siteadmin")
    report = assess(routes, required_functions=[])
    least = report["by_id"]["least_privilege"]
    assert least["status"] == "warn"
    assert "site administrator" in least["summary"]
    assert "Add a new user" in least["remediation"]
    assert report["ready"] is True


def test_private_access_key_is_never_returned():
    report = assess(TOKEN_FULL)
    assert "userprivateaccesskey" not in json.dumps(report)


def test_function_missing_from_listed_service_fails_with_the_functions_page():
    routes = dict(TOKEN_FULL)
    report = assess(routes, required_functions=GUIDE + ["core_course_get_courses"])
    item = report["by_id"]["function:core_course_get_courses"]
    assert item["status"] == "fail"
    assert item["remediation"].startswith("Site administration > Server > Web services > External services")
    assert item["remediation"].endswith("Functions: add core_course_get_courses.")
    assert report["missing_functions"] == ["core_course_get_courses"]
    assert report["ready"] is False


# -- probing when site info is refused ---------------------------------------------------------


def test_missing_functions_found_by_probing_while_lookup_answers():
    routes = {
        "core_webservice_get_site_info": "m2_site_info_token_missing_fn",
        "lookup": "lookup_admin_by_id_token_ok",
        "create": "negtoken_missing_fn_create",
        # With a cohort given, the cohort probe is the function's probe too; Moodle refuses a function outside the
        # service before it reads the parameters.
        "cohort:known": "negtoken_missing_fn_add_cohort",
        "core_cohort_get_cohorts": "wsfunction_not_in_service",
    }
    report = assess(routes, cohort_id=1)
    assert status(report, "service_access") == "pass"
    assert status(report, "function:core_user_get_users_by_field") == "pass"
    for name in ("core_user_create_users", "core_cohort_add_cohort_members"):
        item = report["by_id"]["function:" + name]
        assert item["status"] == "fail"
        assert "Functions: add %s" % name in item["remediation"]
    assert report["missing_functions"] == ["core_user_create_users", "core_cohort_add_cohort_members"]
    assert status(report, "capability:moodle/user:create") == "skip"
    assert status(report, "cohort") == "skip"


def test_unknown_function_name_is_reported_as_such():
    routes = dict(TOKEN_OK, **{"key:core_nosuch_function": "wsfunction_unknown"})
    report = assess(routes, required_functions=GUIDE + ["core_nosuch_function"])
    item = report["by_id"]["function:core_nosuch_function"]
    assert item["status"] == "fail"
    assert "no function of this name" in item["summary"]


@pytest.mark.parametrize(
    "transcript",
    ["negtoken_token_nocap_lookup", "negtoken_token_iprestricted_lookup", "negtoken_token_unauthorised_lookup"],
)
def test_refused_everywhere_without_debuginfo_lists_the_remaining_causes_most_likely_first(transcript):
    report = assess({}, default=transcript)
    item = report["by_id"]["service_access"]
    assert item["status"] == "fail"
    assert status(report, "token") == "pass"
    remediation = item["remediation"]
    positions = [
        remediation.index(marker)
        for marker in ("webservice/rest:use", "Manage tokens", "Authorised users", "tick Enabled")
    ]
    assert positions == sorted(positions)
    assert all(status(report, check_id) == "skip" for check_id in ORDER[5:])
    assert report["ready"] is False


def test_debuginfo_names_the_missing_rest_use_capability():
    report = assess({}, default="negtoken_token_nocap_lookup__debug")
    item = report["by_id"]["service_access"]
    assert "webservice/rest:use" in item["summary"]
    assert "Define roles" in item["remediation"]
    assert "Authorised users" not in item["remediation"]


def test_debuginfo_names_the_ip_moodle_sees():
    report = assess({}, default="negtoken_token_iprestricted_lookup__debug")
    item = report["by_id"]["service_access"]
    assert "127.0.0.1" in item["summary"]
    assert "Manage tokens" in item["remediation"]
    assert "Define roles" not in item["remediation"]


def test_debuginfo_of_unauthorised_user_points_at_the_service():
    report = assess({}, default="negtoken_token_unauthorised_lookup__debug")
    item = report["by_id"]["service_access"]
    assert item["remediation"].startswith("(1) Add the API user at")
    assert "Authorised users" in item["remediation"]
    assert "webservice/rest:use" not in item["remediation"]


# -- the token -----------------------------------------------------------------------------------


def test_unknown_token_fails_token_and_skips_the_rest():
    report = assess({}, default="negtoken_invalid_token_lookup")
    item = report["by_id"]["token"]
    assert item["status"] == "fail"
    assert "Manage tokens" in item["remediation"]
    assert [status(report, i) for i in ORDER[4:]] == ["skip"] * len(ORDER[4:])
    assert len(report["asked"]) == 1


def test_expired_token_is_told_by_accessexception_then_invalidtoken():
    routes = {"core_webservice_get_site_info": "negtoken_token_expired_lookup"}
    report = assess(routes, default="negtoken_token_expired_second_use__debug")
    item = report["by_id"]["token"]
    assert item["status"] == "fail"
    assert "expired" in item["summary"]
    assert "create a new token at Site administration > Server > Web services > Manage tokens" in item["remediation"]
    assert status(report, "service_access") == "skip"


def test_expired_token_with_debuginfo_is_told_on_the_first_call():
    report = assess({}, default="negtoken_token_expired_first_use__debug")
    assert status(report, "token") == "fail"
    assert "expired" in report["by_id"]["token"]["summary"]
    assert len(report["asked"]) == 1


def test_suspended_api_user_fails_service_access():
    report = assess({}, default="m2_api_user_suspended_lookup")
    assert status(report, "token") == "pass"
    item = report["by_id"]["service_access"]
    assert item["status"] == "fail"
    assert "Browse list of users" in item["remediation"]


# -- web services, endpoint ---------------------------------------------------------------------


def test_web_services_or_rest_disabled_names_both_admin_pages():
    report = assess({}, default="ws_disabled_lookup")
    assert status(report, "endpoint") == "pass"
    item = report["by_id"]["webservices_rest"]
    assert item["status"] == "fail"
    assert "Site administration > Advanced features > Enable web services" in item["remediation"]
    assert "Site administration > Server > Web services > Manage protocols" in item["remediation"]
    assert status(report, "token") == "skip"


def test_maintenance_mode_fails_endpoint():
    report = assess({}, default="m2_maintenance_lookup")
    item = report["by_id"]["endpoint"]
    assert item["status"] == "fail"
    assert "Maintenance mode" in item["remediation"]


def test_html_login_page_is_not_a_moodle_endpoint():
    login_page = (
        '<!DOCTYPE html><html><body><form action="https://moodle.example.org/login/index.php"></form></body></html>'
    )
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, ENDPOINT, body=login_page, status=200, content_type="text/html")
        report = readiness.assess(MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0)))
    endpoint = report["checks"][0]
    assert endpoint["id"] == "endpoint" and endpoint["status"] == "fail"
    assert "login page" in endpoint["summary"]
    assert "wwwroot" in endpoint["remediation"]


def test_not_found_page_asks_for_the_site_root():
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, ENDPOINT, body="Not Found", status=404)
        report = readiness.assess(MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0)))
    assert report["checks"][0]["status"] == "fail"
    assert "root (wwwroot)" in report["checks"][0]["remediation"]


def test_connection_refused_fails_endpoint_and_skips_transport():
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("Connection refused"))
        report = readiness.assess(MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0)))
    by_id = dict((c["id"], c["status"]) for c in report["checks"])
    assert by_id["endpoint"] == "fail"
    assert by_id["transport"] == "skip"
    assert report["ready"] is False


def test_tls_failure_fails_transport():
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, ENDPOINT, body=requests.exceptions.SSLError("certificate verify failed"))
        report = readiness.assess(MoodleClient(BASE_URL, TOKEN, retry_policy=RetryPolicy(total=0)))
    by_id = dict((c["id"], c) for c in report["checks"])
    assert by_id["transport"]["status"] == "fail"
    assert "ca_path" in by_id["transport"]["remediation"]


# -- visibility, capability, cohort ----------------------------------------------------------------


def test_rest_only_user_cannot_see_users_nor_create():
    routes = dict(
        TOKEN_OK,
        lookup="lookup_admin_by_id_token_nocap_restonly",
        create="probe_create_blank_username_token_nocap_restonly",
    )
    report = assess(routes)
    visibility = report["by_id"]["user_visibility"]
    assert visibility["status"] == "fail"
    assert "Define roles" in visibility["remediation"]
    assert "Show user identity" in visibility["remediation"]
    create = report["by_id"]["capability:moodle/user:create"]
    assert create["status"] == "fail"
    assert "moodle/user:create" in create["remediation"] and "Define roles" in create["remediation"]
    assert status(report, "function:core_user_create_users") == "pass"


def test_unknown_cohort_id_fails_through_the_add_probe():
    report = assess(TOKEN_OK, cohort_id=999999)
    item = report["by_id"]["cohort"]
    assert item["status"] == "fail"
    assert "Site administration > Users > Accounts > Cohorts" in item["remediation"]
    assert report["ready"] is False


def test_unknown_cohort_idnumber_fails_through_get_cohorts():
    report = assess(TOKEN_FULL, cohort_idnumber="OneMembership")  # idnumbers match case-sensitively
    assert status(report, "cohort") == "fail"
    assert status(assess(TOKEN_FULL, cohort_idnumber="onemembership"), "cohort") == "pass"


def test_no_cohort_given_skips_the_cohort_check():
    item = assess(TOKEN_OK)["by_id"]["cohort"]
    assert item["status"] == "skip"
    assert "cohort_id" in item["summary"]


def test_the_token_never_appears_in_the_report():
    for routes, default in (
        (TOKEN_OK, None),
        ({}, "negtoken_token_nocap_lookup__debug"),
        ({}, "negtoken_invalid_token_lookup"),
    ):
        report = assess(routes, default=default, cohort_id=1)
        del report["fields"]  # what the fake site received, token included
        assert TOKEN not in json.dumps(report)
