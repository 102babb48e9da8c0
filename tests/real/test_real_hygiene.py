# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token hygiene against a real Moodle: no token of the site (nor a person's password) in anything a run leaves.

Each run goes at -vvvv with ANSIBLE_LOG_PATH, the ansible.builtin.junit callback and diff mode on; stdout,
stderr, the log, the JUnit XML and the report file are searched for every spelling of every token the run
knows (all of the lab's) and of the passwords (support/leaks.py).
"""

import os

import pytest

import harness
from harness import checklist
from support import leaks

UNKNOWN_TOKEN = "5f1e0c6a9b7d4e2f8a3c1b0d9e8f7a6b"  # 32 hex, like a real token, unknown to the site
ENROL = os.path.join(harness.REPO, "playbooks", "enrol.yml")
VERIFY = "dsenroll.moodle.verify"


def people_with_passwords(site, prefix, weak=False):
    people = [
        {
            "email": site.email(prefix + "-ann"),
            "firstname": "Ann",
            "lastname": "O'Hygiene",
            "password": "Hyg!ene-Pass#1 é" + site.password(),
        },
        {
            "email": site.email(prefix + "-bob"),
            "firstname": "Bob",
            "lastname": "Hygiene, Jr.",
            "password": "S3cr3t&Value=2" + site.password(),
        },
    ]
    if weak:  # refused by the site's password policy: an error answer about a password
        people.append(
            {"email": site.email(prefix + "-cy"), "firstname": "Cy", "lastname": "Weak", "password": "weak&pw"}
        )
    return people


def passwords(people):
    return dict(("password of %s" % p["email"], p["password"]) for p in people)


def test_the_lab_token_of_an_enrolment_at_vvvv_is_in_no_output_log_junit_report_or_diff(real_site, tmp_path, traced):
    site = real_site
    env, texts = traced
    people = people_with_passwords(site, "traced", weak=True)
    report = tmp_path / "report.json"

    run = site.playbook(
        ENROL,
        env=env,
        verbosity=4,
        diff=True,
        extra_vars={"moodle_enrol_users": people, "moodle_enrol_report": str(report)},
    )

    assert run.rc != 0, run  # the weak password: reported, and the play fails at the end
    assert report.exists(), run
    assert [len(site.find(p["email"])) for p in people] == [1, 1, 0]
    leaks.assert_no_secret(texts(run, report), dict(site.secrets(), **passwords(people)), require_log=True)


def test_moodles_debug_answers_at_vvvv_leak_no_token_and_no_password(real_site, setting, tmp_path, traced):
    site = real_site
    env, texts = traced
    setting("debug", "32767")  # debuginfo in every error envelope
    people = people_with_passwords(site, "debugged", weak=True)
    report = tmp_path / "report.json"

    run = site.playbook(
        ENROL,
        env=env,
        verbosity=4,
        diff=True,
        token="TOKEN_FULL",
        extra_vars={"moodle_enrol_users": people, "moodle_enrol_report": str(report)},
    )

    assert run.rc != 0, run
    assert [len(site.find(p["email"])) for p in people] == [1, 1, 0]
    leaks.assert_no_secret(texts(run, report), dict(site.secrets(), **passwords(people)), require_log=True)


def test_verify_with_an_unknown_token_and_a_leaked_copy_names_the_file_never_the_token(real_site, tmp_path, traced):
    site = real_site
    env, texts = traced
    env_file = tmp_path / "app" / ".env"
    env_file.parent.mkdir()
    env_file.write_text(
        "MOODLE_BASE_URL=%s\nMOODLE_TOKEN=%s\nMOODLE_ONEMEMBERSHIP_COHORT_ID=%s\n"
        % (site.url, UNKNOWN_TOKEN, site.cohort_id)
    )
    env_file.chmod(0o600)
    leaked = tmp_path / "app" / "storage" / "laravel.log"
    leaked.parent.mkdir()
    leaked.write_text("[2026-01-01] moodle call failed\nwstoken=%s&wsfunction=core_user_create_users\n" % UNKNOWN_TOKEN)

    run = site.playbook(
        VERIFY,
        env=dict(env, MOODLE_TOKEN=UNKNOWN_TOKEN),
        verbosity=4,
        diff=True,
        extra_vars={
            "moodle_preflight_env_file": str(env_file),
            "moodle_preflight_leak_scan_paths": [str(leaked.parent)],
        },
    )

    assert run.rc != 0, run
    statuses, _fixes = checklist(run)
    assert statuses["token"] == "fail" and statuses["token_leaks"] == "fail"
    assert "laravel.log" in run.stdout
    leaks.assert_no_secret(texts(run), dict(site.secrets(), unknown=UNKNOWN_TOKEN), require_log=True)


def test_verify_with_a_token_missing_functions_at_vvvv_never_prints_it(real_site, traced):
    site = real_site
    env, texts = traced
    site.token_of("TOKEN_MISSING_FN")

    run = site.playbook(VERIFY, token="TOKEN_MISSING_FN", env=env, verbosity=4, diff=True)

    assert run.rc != 0, run
    assert checklist(run)[0]["function:core_user_create_users"] == "fail"
    leaks.assert_no_secret(texts(run), site.secrets(), require_log=True)


def test_an_ip_restricted_token_leaked_in_the_app_is_reported_by_path_at_vvvv_never_printed(
    real_site, setting, tmp_path, traced
):
    site = real_site
    env, texts = traced
    token = site.token_of("TOKEN_IPRESTRICTED")
    setting("debug", "32767")
    root = tmp_path / "ds-enroll-ms"
    (root / "public" / "js").mkdir(parents=True)
    env_file = root / ".env"
    env_file.write_text(
        "MOODLE_BASE_URL=%s\nMOODLE_TOKEN=%s\nMOODLE_ONEMEMBERSHIP_COHORT_ID=%s\n" % (site.url, token, site.cohort_id)
    )
    env_file.chmod(0o644)
    (root / "public" / "js" / "app.js").write_text("const token = '%s';\n" % token)

    run = site.playbook(
        VERIFY,
        token="TOKEN_IPRESTRICTED",
        env=env,
        verbosity=4,
        extra_vars={"moodle_preflight_env_file": str(env_file), "moodle_preflight_leak_scan_paths": [str(root)]},
    )

    assert run.rc != 0
    statuses, _fixes = checklist(run)
    assert statuses["service_access"] == "fail"
    assert statuses["token_leaks"] == "fail" and statuses["env_file:permissions"] == "fail"
    assert "app.js" in run.stdout
    leaks.assert_no_secret(texts(run), site.secrets(), require_log=True)


def test_an_enrolment_with_an_unknown_token_stops_at_preflight_creates_nobody_and_prints_nothing(real_site, traced):
    site = real_site
    env, texts = traced
    people = people_with_passwords(site, "unknown")

    run = site.playbook(
        ENROL,
        env=dict(env, MOODLE_TOKEN=UNKNOWN_TOKEN),
        verbosity=4,
        diff=True,
        extra_vars={"moodle_enrol_users": people},
    )

    assert run.rc != 0, run
    assert all(site.find(p["email"]) == [] for p in people)
    leaks.assert_no_secret(
        texts(run), dict(site.secrets(), unknown=UNKNOWN_TOKEN, **passwords(people)), require_log=True
    )


@pytest.mark.parametrize(
    "module, args",
    [
        ("moodle_ws_info", {"probe_capabilities": True}),
        ("moodle_cohort_member", {"users": ["existing.learner@example.com"]}),
    ],
    ids=["moodle_ws_info", "moodle_cohort_member"],
)
def test_every_lab_token_stays_out_of_a_modules_vvvv_output(real_site, lab, setting, module, args):
    site = real_site
    setting("debug", "32767")
    for token in ("TOKEN_OK", "TOKEN_NOCAP", "TOKEN_IPRESTRICTED", "TOKEN_UNAUTHORISED"):
        run = site.module(module, dict(args, cohort_id=site.cohort_id), token=token, diff=True, verbosity=4)
        assert run.result is not None, run
        assert leaks.find_secrets({"output": run.output}, site.secrets()) == []
