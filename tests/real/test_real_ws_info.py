# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_ws_info against a real Moodle: each set-up mistake made for real (a token of the lab, a setting).

Asserts the check ids, statuses and remediations of docs/checks.md, and that a probe writes nothing.
"""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import InvalidTokenError

WS = "Site administration > Server > Web services"
PROBE_EMAIL = "preflight.probe@example.invalid"  # what the create probe sends, and Moodle must never store
DEBUG_ALL = "32767"


def ws_info(site, token="TOKEN_OK", check=False, verbosity=0, **options):
    run = site.module("moodle_ws_info", options, token=token, check=check, verbosity=verbosity)
    assert run.rc in (0, 2) and run.result is not None, run
    assert run.result.get("changed") is False
    assert site.token_of(token) not in run.output
    return run


def checks(run):
    return dict((c["id"], c) for c in run.result["checks"])


def world(site):
    """What a probe must never change: the cohorts' members, and no account for the probe's e-mail."""
    return dict((c, site.members(c)) for c in (1, 2, 3)), site.find(PROBE_EMAIL)


# -- ready ---------------------------------------------------------------------------------------
def test_the_guide_token_is_ready_and_the_probes_write_nothing(real_site, lab):
    before = world(real_site)

    run = ws_info(real_site, cohort_id=real_site.cohort_id)

    assert run.rc == 0 and run.result["ready"] is True, run
    assert dict((c["id"], c["status"]) for c in run.result["checks"]) == {
        "endpoint": "pass",
        "transport": "warn",
        "webservices_rest": "pass",
        "token": "pass",
        "service_access": "pass",
        "function:core_user_get_users_by_field": "pass",
        "function:core_user_create_users": "pass",
        "function:core_cohort_add_cohort_members": "pass",
        "user_visibility": "pass",
        "capability:moodle/user:create": "pass",
        "cohort": "pass",
        "least_privilege": "skip",
    }
    assert run.result["missing_functions"] == []
    assert world(real_site) == before == (before[0], [])


def test_check_mode_gives_the_same_report(real_site):
    normal = ws_info(real_site, cohort_id=real_site.cohort_id).result["checks"]

    assert ws_info(real_site, check=True, cohort_id=real_site.cohort_id).result["checks"] == normal


def test_the_full_token_reports_the_site_and_warns_about_its_extra_functions(real_site, lab):
    run = ws_info(real_site, "TOKEN_FULL", cohort_idnumber="onemembership")
    result = run.result

    assert result["ready"] is True
    assert result["site"]["username"] == "ds-enroll-api" and result["site"]["userissiteadmin"] is False
    assert result["site"]["release"].startswith(lab.release.rstrip("+"))
    assert "userprivateaccesskey" not in str(result)
    least = checks(run)["least_privilege"]
    assert least["status"] == "warn"
    assert "core_user_delete_users" in least["summary"] and "core_cohort_delete_cohort_members" in least["summary"]
    assert least["remediation"].startswith(WS + " > External services >")
    assert "Functions: remove" in least["remediation"]


def test_the_site_administrators_token_warns_least_privilege(real_site, lab):
    run = ws_info(real_site, "TOKEN_SITEADMIN")
    least = checks(run)["least_privilege"]

    assert run.result["site"]["userissiteadmin"] is True
    assert least["status"] == "warn"
    assert "site administrator" in least["summary"]
    assert "Site administration > Users > Accounts > Add a new user" in least["remediation"]


# -- the site's settings --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, value", [("enablewebservices", "0"), ("webserviceprotocols", "")], ids=["web services off", "REST off"]
)
def test_web_services_or_rest_off_fails_webservices_rest_with_both_admin_pages(real_site, setting, name, value):
    setting(name, value)

    run = ws_info(real_site)

    item = checks(run)["webservices_rest"]
    assert item["status"] == "fail"
    assert "Site administration > Advanced features > Enable web services" in item["remediation"]
    assert WS + " > Manage protocols" in item["remediation"]
    assert checks(run)["endpoint"]["status"] == "pass"
    assert checks(run)["token"]["status"] == "skip"
    assert run.result["ready"] is False


def test_maintenance_mode_fails_the_endpoint_with_the_maintenance_page(real_site, setting):
    setting("maintenance_enabled", "1")

    run = ws_info(real_site)

    item = checks(run)["endpoint"]
    assert item["status"] == "fail"
    assert "maintenance mode" in item["summary"]
    assert "Site administration > Server > Maintenance mode" in item["remediation"]
    assert run.result["ready"] is False


# -- the token ------------------------------------------------------------------------------------
def test_an_unknown_token_fails_token_with_manage_tokens(real_site, lab):
    run = real_site.module("moodle_ws_info", {"moodle_token": "f" * 32})

    item = checks(run)["token"]
    assert item["status"] == "fail"
    assert WS + " > Manage tokens" in item["remediation"]
    assert checks(run)["service_access"]["status"] == "skip"


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
def test_an_expired_token_fails_token_says_create_a_new_one_and_moodle_deletes_it(
    real_site, setting, expired_token, debug
):
    if debug:
        setting("debug", DEBUG_ALL)

    run = real_site.module("moodle_ws_info", {"moodle_token": expired_token})

    item = checks(run)["token"]
    assert item["status"] == "fail", run.result["checks"]
    assert "expired" in item["summary"]
    assert "create a new token at " + WS + " > Manage tokens" in item["remediation"]
    assert expired_token not in run.output
    # Moodle deleted the token on its first use: it is now unknown.
    with pytest.raises(InvalidTokenError):
        MoodleClient(real_site.url, expired_token).call("core_user_get_users_by_field", {"field": "id", "values": [2]})


# -- service access: causes that look alike without debuginfo -----------------------------------------
@pytest.mark.parametrize(
    "token, debug, page, definite",
    [
        ("TOKEN_IPRESTRICTED", False, "Manage tokens", None),
        ("TOKEN_IPRESTRICTED", True, "Manage tokens", "127.0.0.1"),
        ("TOKEN_UNAUTHORISED", False, "Authorised users", None),
        ("TOKEN_UNAUTHORISED", True, "Authorised users", "not an authorised user"),
        ("TOKEN_NOCAP", False, "Define roles", None),
        ("TOKEN_NOCAP", True, "Define roles", "lacks webservice/rest:use"),
    ],
)
def test_a_refused_api_user_fails_service_access_naming_the_admin_page(
    real_site, setting, token, debug, page, definite
):
    real_site.token_of(token)
    if debug:
        setting("debug", DEBUG_ALL)

    run = ws_info(real_site, token)

    found = checks(run)
    item = found["service_access"]
    assert item["status"] == "fail", run.result["checks"]
    assert found["token"]["status"] == "pass"
    assert page in item["remediation"]
    if definite:
        assert definite in item["summary"]
    else:
        assert "most likely first" in item["summary"]
        assert item["remediation"].startswith("(1) Give the API user the capability webservice/rest:use")
    assert found["function:core_user_create_users"]["status"] == "skip"


def test_without_rest_use_and_with_debugging_the_only_cause_given_is_rest_use(real_site, setting):
    real_site.token_of("TOKEN_NOCAP")
    setting("debug", DEBUG_ALL)

    item = checks(ws_info(real_site, "TOKEN_NOCAP"))["service_access"]

    assert "webservice/rest:use" in item["remediation"]
    assert "Authorised users" not in item["remediation"]
    assert "Manage tokens" not in item["remediation"]


# -- functions, visibility, cohort ----------------------------------------------------------------
def test_missing_functions_are_named_with_the_functions_page(real_site):
    run = ws_info(real_site, "TOKEN_MISSING_FN", cohort_id=real_site.cohort_id)

    found = checks(run)
    assert found["service_access"]["status"] == "pass"
    assert found["function:core_user_get_users_by_field"]["status"] == "pass"
    item = found["function:core_user_create_users"]
    assert item["status"] == "fail"
    assert item["remediation"] == (
        WS + " > External services > <the token's service> > Functions: add core_user_create_users."
    )
    assert run.result["missing_functions"] == ["core_user_create_users", "core_cohort_add_cohort_members"]
    assert run.result["ready"] is False


def test_a_token_that_cannot_see_other_users_fails_user_visibility(real_site):
    found = checks(ws_info(real_site, "TOKEN_NOCAP_RESTONLY"))

    item = found["user_visibility"]
    assert item["status"] == "fail"
    assert "Site administration > Users > Permissions > Define roles" in item["remediation"]
    assert "Show user identity" in item["remediation"]


@pytest.mark.parametrize(
    "token, cohort",
    [
        ("TOKEN_OK", {"cohort_id": 999999}),
        ("TOKEN_FULL", {"cohort_idnumber": "OneMembership"}),  # read by the collection: matched exactly
        ("TOKEN_FULL", {"cohort_id": 999999}),
    ],
    ids=["guide token, id", "full token, idnumber in capitals", "full token, id"],
)
def test_an_unknown_cohort_fails_cohort_with_the_cohorts_page(real_site, lab, token, cohort):
    before = world(real_site)

    run = ws_info(real_site, token, **cohort)

    item = checks(run)["cohort"]
    assert item["status"] == "fail"
    assert "Site administration > Users > Accounts > Cohorts" in item["remediation"]
    assert run.result["ready"] is False
    assert world(real_site) == before


def test_an_idnumber_in_capitals_without_cohort_reads_is_what_moodle_s_database_says(real_site, lab):
    # Only the add probe can tell, and Moodle resolves the idnumber in SQL: exactly on PostgreSQL, without
    # letter case on MariaDB, where the enrolment would then add to that cohort too (README, Support).
    item = checks(ws_info(real_site, "TOKEN_OK", cohort_idnumber="OneMembership"))["cohort"]

    assert item["status"] == ("pass" if lab.db == "mariadb" else "fail")


def test_the_category_cohort_is_found_by_idnumber(real_site, lab):
    item = checks(ws_info(real_site, cohort_idnumber="categorycohort"))["cohort"]

    assert item["status"] == "pass"


def test_without_capability_probes_no_write_function_runs_and_the_site_is_ready(real_site):
    run = ws_info(real_site, cohort_id=real_site.cohort_id, probe_capabilities=False)

    found = checks(run)
    assert found["function:core_user_create_users"]["status"] == "pass"
    assert found["capability:moodle/user:create"]["status"] == "skip"
    assert found["cohort"]["status"] == "skip"
    assert run.result["ready"] is True
