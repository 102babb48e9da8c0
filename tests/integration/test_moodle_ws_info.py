# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_ws_info against the Moodle simulator: one set-up mistake per test, as a user would make it."""

import pytest

from moodlesim import TOKENS

from harness import connection, run_module

WS = "Site administration > Server > Web services"
MANAGER_WITHOUT_CREATE = [
    "webservice/rest:use",
    "moodle/user:viewdetails",
    "moodle/user:viewalldetails",
    "moodle/user:viewhiddendetails",
    "moodle/site:viewfullnames",
    "moodle/site:viewuseridentity",
    "moodle/cohort:assign",
    "moodle/cohort:view",
]


def ws_info(sim, token_name="TOKEN_OK", check=False, verbosity=0, **options):
    run = run_module("moodle_ws_info", connection(sim, token_name, **options), check=check, verbosity=verbosity)
    assert run.rc in (0, 2) and run.result is not None, run
    assert run.result.get("changed") is False
    return run


def checks(run):
    return dict((c["id"], c) for c in run.result["checks"])


def world(sim):
    """What a probe must never change: users and cohort memberships."""
    return sim.users(), dict((c, sim.cohort_members(c)) for c in (1, 2, 3))


# -- ready ---------------------------------------------------------------------------------------


def test_guide_token_is_ready_and_nothing_is_written(moodle_sim):
    before = world(moodle_sim)
    run = ws_info(moodle_sim, cohort_id=1)
    result = run.result
    assert result["ready"] is True
    assert run.rc == 0 and result.get("failed") is not True
    statuses = dict((c["id"], c["status"]) for c in result["checks"])
    assert statuses == {
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
    assert result["missing_functions"] == []
    assert world(moodle_sim) == before


def test_check_mode_gives_the_same_report(moodle_sim):
    normal = ws_info(moodle_sim, cohort_id=1).result["checks"]
    assert ws_info(moodle_sim, check=True, cohort_id=1).result["checks"] == normal


def test_full_service_reports_site_and_extra_functions(moodle_sim):
    result = ws_info(moodle_sim, "TOKEN_FULL", cohort_idnumber="onemembership").result
    assert result["ready"] is True
    assert result["site"]["username"] == "ds-enroll-api"
    assert result["site"]["userissiteadmin"] is False
    assert "userprivateaccesskey" not in str(result)
    least = checks(ws_info(moodle_sim, "TOKEN_FULL"))["least_privilege"]
    assert least["status"] == "warn"
    assert "core_user_delete_users" in least["summary"]
    assert least["remediation"].startswith(WS + " > External services >")
    assert "Functions: remove" in least["remediation"]


def test_site_admin_token_warns(moodle_sim):
    least = checks(ws_info(moodle_sim, "TOKEN_SITEADMIN"))["least_privilege"]
    assert least["status"] == "warn"
    assert "site administrator" in least["summary"]
    assert "Site administration > Users > Accounts > Add a new user" in least["remediation"]


# -- web services and the token ---------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["webservices", "rest"])
def test_web_services_or_rest_off_fails_webservices_rest(moodle_sim, setting):
    moodle_sim.settings(**{setting: False})
    run = ws_info(moodle_sim)
    item = checks(run)["webservices_rest"]
    assert item["status"] == "fail"
    assert "Site administration > Advanced features > Enable web services" in item["remediation"]
    assert WS + " > Manage protocols" in item["remediation"]
    assert run.result["ready"] is False
    assert checks(run)["token"]["status"] == "skip"


def test_invalid_token_fails_token(moodle_sim):
    run = run_module("moodle_ws_info", dict(connection(moodle_sim), moodle_token="f" * 32))
    item = checks(run)["token"]
    assert item["status"] == "fail"
    assert WS + " > Manage tokens" in item["remediation"]


@pytest.mark.parametrize("debug", [False, True])
def test_expired_token_says_create_a_new_one(moodle_sim, debug):
    moodle_sim.settings(debug=debug)
    item = checks(ws_info(moodle_sim, "TOKEN_EXPIRED"))["token"]
    assert item["status"] == "fail"
    assert "expired" in item["summary"]
    assert "create a new token at " + WS + " > Manage tokens" in item["remediation"]
    # Moodle deleted the token on first use (docs/moodle-behaviour.md#expired-tokens).
    assert TOKENS["TOKEN_EXPIRED"] not in [t["token"] for t in moodle_sim.state()["tokens"]]


# -- service access: causes that look alike without debuginfo -----------------------------------------


@pytest.mark.parametrize(
    "token_name, debug, page, definite",
    [
        ("TOKEN_IPRESTRICTED", False, "Manage tokens", None),
        ("TOKEN_IPRESTRICTED", True, "Manage tokens", "127.0.0.1"),
        ("TOKEN_UNAUTHORISED", False, "Authorised users", None),
        ("TOKEN_UNAUTHORISED", True, "Authorised users", "not an authorised user"),
        ("TOKEN_NOCAP", False, "Define roles", None),
        ("TOKEN_NOCAP", True, "Define roles", "lacks webservice/rest:use"),
    ],
)
def test_service_access_failure_names_the_admin_page(moodle_sim, token_name, debug, page, definite):
    moodle_sim.settings(debug=debug)
    run = ws_info(moodle_sim, token_name)
    item = checks(run)["service_access"]
    assert item["status"] == "fail"
    assert checks(run)["token"]["status"] == "pass"
    assert page in item["remediation"]
    if definite:
        assert definite in item["summary"]
    else:
        assert "most likely first" in item["summary"]
        assert item["remediation"].startswith("(1) Give the API user the capability webservice/rest:use")
    assert checks(run)["function:core_user_create_users"]["status"] == "skip"


def test_rest_use_missing_with_debug_is_the_only_cause_given(moodle_sim):
    moodle_sim.settings(debug=True)
    item = checks(ws_info(moodle_sim, "TOKEN_NOCAP"))["service_access"]
    assert "Authorised users" not in item["remediation"]
    assert "Manage tokens" not in item["remediation"]


# -- functions, visibility, capability, cohort -------------------------------------------------------


def test_missing_functions_are_named_with_the_functions_page(moodle_sim):
    run = ws_info(moodle_sim, "TOKEN_MISSING_FN", cohort_id=1)
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


def test_token_that_cannot_see_users_fails_visibility(moodle_sim):
    found = checks(ws_info(moodle_sim, "TOKEN_NOCAP_RESTONLY"))
    item = found["user_visibility"]
    assert item["status"] == "fail"
    assert "Site administration > Users > Permissions > Define roles" in item["remediation"]
    assert "Show user identity" in item["remediation"]


def test_user_without_create_capability_fails_only_that_check(moodle_sim):
    user = moodle_sim.add_user(
        "ds-enroll-nocreate", "ds-enroll-nocreate@example.com", capabilities=MANAGER_WITHOUT_CREATE
    )
    moodle_sim.authorise("ds_enroll_moodle_integration", user["id"])
    token = moodle_sim.add_token(user["id"], "ds_enroll_moodle_integration")
    before = world(moodle_sim)
    run = run_module("moodle_ws_info", dict(connection(moodle_sim), moodle_token=token))
    found = checks(run)
    item = found["capability:moodle/user:create"]
    assert item["status"] == "fail"
    assert "moodle/user:create" in item["remediation"]
    assert "Site administration > Users > Permissions > Define roles" in item["remediation"]
    assert found["user_visibility"]["status"] == "pass"
    assert [c["id"] for c in run.result["checks"] if c["status"] == "fail"] == ["capability:moodle/user:create"]
    assert world(moodle_sim) == before


@pytest.mark.parametrize(
    "token_name, cohort",
    [
        ("TOKEN_OK", {"cohort_id": 999999}),
        ("TOKEN_OK", {"cohort_idnumber": "OneMembership"}),  # idnumbers match exactly
        ("TOKEN_FULL", {"cohort_id": 999999}),
    ],
)
def test_unknown_cohort_fails_with_the_cohorts_page(moodle_sim, token_name, cohort):
    before = world(moodle_sim)
    run = ws_info(moodle_sim, token_name, **cohort)
    item = checks(run)["cohort"]
    assert item["status"] == "fail"
    assert "Site administration > Users > Accounts > Cohorts" in item["remediation"]
    assert run.result["ready"] is False
    assert world(moodle_sim) == before


def test_category_cohort_is_found_by_idnumber(moodle_sim):
    assert checks(ws_info(moodle_sim, cohort_idnumber="categorycohort"))["cohort"]["status"] == "pass"


def test_without_capability_probes_no_write_function_runs(moodle_sim):
    run = ws_info(moodle_sim, cohort_id=1, probe_capabilities=False)
    found = checks(run)
    assert found["function:core_user_create_users"]["status"] == "pass"
    assert found["capability:moodle/user:create"]["status"] == "skip"
    assert found["cohort"]["status"] == "skip"
    assert run.result["ready"] is True


# -- options and secrets ----------------------------------------------------------------------------


def test_bad_options_fail_the_module(moodle_sim):
    run = run_module("moodle_ws_info", connection(moodle_sim, cohort_id=1, cohort_idnumber="x"))
    assert run.rc != 0
    assert "mutually exclusive" in run.output


def test_token_never_appears_even_at_high_verbosity(moodle_sim):
    moodle_sim.settings(debug=True)
    for token_name in ("TOKEN_OK", "TOKEN_NOCAP", "TOKEN_IPRESTRICTED"):
        run = ws_info(moodle_sim, token_name, verbosity=4, cohort_id=1)
        assert TOKENS[token_name] not in run.output
