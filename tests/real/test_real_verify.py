# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ansible-playbook dsenroll.moodle.verify`` (the preflight role) against a real Moodle."""

import xml.etree.ElementTree as ET

from harness import checklist
from support.checks import GUIDE_CHECK_ORDER

VERIFY = "dsenroll.moodle.verify"
ROLES = "Site administration > Users > Permissions > Define roles"


def verify(site, token="TOKEN_OK", **options):
    run = site.playbook(VERIFY, token=token, **options)
    assert site.token_of(token) not in run.output
    return run


def test_the_guide_token_is_ready_with_one_checklist_line_per_check(real_site, lab):
    run = verify(real_site)

    assert run.rc == 0, run.output
    statuses, fixes = checklist(run)
    assert list(statuses) == GUIDE_CHECK_ORDER
    assert "fail" not in statuses.values()
    assert list(fixes) == ["transport"]  # the lab serves http: a warning, with its fix
    assert "Moodle set-up: READY" in run.stdout


def test_strict_mode_fails_on_the_http_warning(real_site, lab):
    run = verify(real_site, extra_vars={"moodle_preflight_strict": True})

    assert run.rc != 0
    assert "Moodle is not ready: transport failed or warned (moodle_preflight_strict)" in run.output


def test_a_service_missing_functions_fails_the_play_naming_them_and_their_page(real_site):
    run = verify(real_site, "TOKEN_MISSING_FN")

    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["function:core_user_create_users"] == "fail"
    assert fixes["function:core_user_create_users"].endswith("Functions: add core_user_create_users.")
    assert "Moodle is not ready: function:core_user_create_users, function:core_cohort_add_cohort_members" in run.output


def test_an_api_user_without_rest_use_fails_service_access_with_define_roles(real_site):
    run = verify(real_site, "TOKEN_NOCAP")

    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["service_access"] == "fail"
    assert ROLES in fixes["service_access"]


def test_an_unknown_cohort_in_the_environment_fails_cohort(real_site):
    run = verify(real_site, cohort="999999")

    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["cohort"] == "fail"
    assert "Site administration > Users > Accounts > Cohorts" in fixes["cohort"]


def test_the_cohort_idnumber_wins_over_the_environments_cohort_id(real_site, lab):
    run = verify(real_site, cohort="999999", extra_vars={"moodle_preflight_cohort_idnumber": "onemembership"})

    assert run.rc == 0, run.output
    assert checklist(run)[0]["cohort"] == "pass"


def test_no_cohort_in_the_environment_skips_the_cohort_check(real_site):
    run = verify(real_site, cohort="")

    assert run.rc == 0, run.output
    assert checklist(run)[0]["cohort"] == "skip"


def test_web_services_off_fails_the_play_at_webservices_rest(real_site, setting):
    setting("enablewebservices", "0")

    run = verify(real_site)

    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["webservices_rest"] == "fail"
    assert "Site administration > Advanced features > Enable web services" in fixes["webservices_rest"]


def test_the_junit_callback_reports_an_unauthorised_user_without_the_token(real_site, tmp_path):
    token = real_site.token_of("TOKEN_UNAUTHORISED")
    reports = tmp_path / "junit"

    run = verify(
        real_site,
        "TOKEN_UNAUTHORISED",
        env={
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit",
            "JUNIT_HIDE_TASK_ARGUMENTS": "true",
            "JUNIT_OUTPUT_DIR": str(reports),
        },
    )

    assert run.rc != 0
    files = list(reports.glob("*.xml"))
    assert len(files) == 1
    suite = ET.parse(str(files[0])).getroot()
    failures = [
        (case, case.find("error") if case.find("error") is not None else case.find("failure"))
        for case in suite.iter("testcase")
    ]
    failures = [(case, element) for case, element in failures if element is not None]
    assert [case.get("name") for case, _element in failures] == [
        "[localhost] Verify the Moodle web services set-up: dsenroll.moodle.preflight : "
        "Fail when the Moodle set-up is not ready"
    ]
    assert "Moodle is not ready: service_access failed" in failures[0][1].get("message")
    assert token not in files[0].read_text()
