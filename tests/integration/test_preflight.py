# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role through ``ansible-playbook dsenroll.moodle.verify``, against the simulator."""

import os
import shutil
from collections import Counter
import subprocess
import xml.etree.ElementTree as ET

import pytest

from moodlesim import TOKENS

from harness import checklist, run_module, run_playbook
from support.checks import GUIDE_CHECK_ORDER

VERIFY = "dsenroll.moodle.verify"


def environment(sim, token_name="TOKEN_OK", cohort="1"):
    """What the application's .env would export."""
    return {"MOODLE_BASE_URL": sim.url, "MOODLE_TOKEN": TOKENS[token_name], "MOODLE_ONEMEMBERSHIP_COHORT_ID": cohort}


def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


def app(tmp_path, token, env_mode=0o600):
    """A Laravel-like application tree with its .env."""
    root = tmp_path / "ds-enroll-ms"
    env = write(
        str(root / ".env"),
        "MOODLE_BASE_URL=https://moodle.example.org\nMOODLE_TOKEN=%s\nMOODLE_ONEMEMBERSHIP_COHORT_ID=1\n" % token,
        env_mode,
    )
    write(str(root / "resources/views/welcome.blade.php"), "<h1>Welcome</h1>\n", 0o644)
    write(str(root / "storage/logs/laravel.log"), "[2024-01-01] local.INFO: started\n", 0o644)
    return root, env


# -- the site ------------------------------------------------------------------------------------


def test_guide_token_is_ready_and_the_checklist_has_one_line_per_check(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim))
    assert run.rc == 0, run.output
    statuses, fixes = checklist(run)
    assert list(statuses) == GUIDE_CHECK_ORDER
    assert "fail" not in statuses.values()
    assert list(fixes) == ["transport"]  # http to the simulator: a warning, with its fix
    assert "Moodle set-up: READY" in run.stdout


def test_strict_mode_fails_on_warnings(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim), extra_vars={"moodle_preflight_strict": True})
    assert run.rc != 0
    assert "Moodle is not ready: transport failed or warned (moodle_preflight_strict)" in run.output


def test_missing_function_fails_the_play_with_its_admin_page(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim, "TOKEN_MISSING_FN"))
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["function:core_user_create_users"] == "fail"
    assert fixes["function:core_user_create_users"].endswith("Functions: add core_user_create_users.")
    assert "Moodle is not ready: function:core_user_create_users, function:core_cohort_add_cohort_members" in run.output


def test_missing_rest_use_fails_with_define_roles(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim, "TOKEN_NOCAP"))
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["service_access"] == "fail"
    assert "Site administration > Users > Permissions > Define roles" in fixes["service_access"]


# One run of the probes: each question (function and parameters) asked once, over one kept-alive connection,
# whatever the token can do; and each function probed once (the add probe that finds the cohort also proves the
# function callable, so no second probe of core_cohort_add_cohort_members).
@pytest.mark.parametrize("token_name", sorted(TOKENS))
@pytest.mark.parametrize("cohort", ["1", "999"], ids=["cohort", "unknown cohort"])
def test_one_preflight_run_asks_each_question_once_over_one_connection(moodle_sim, token_name, cohort):
    run_playbook(VERIFY, env=environment(moodle_sim, token_name, cohort))

    asked = moodle_sim.requests()
    questions = Counter((request["wsfunction"], request["params"]) for request in asked)
    assert [question for question, times in questions.items() if times > 1] == [], asked
    functions = Counter(request["wsfunction"] for request in asked)
    assert [name for name, times in functions.items() if times > 1] == [], asked
    assert len(set(request["connection"] for request in asked)) == 1, asked
    assert len(asked) <= 5, asked


def test_unknown_cohort_from_the_environment_fails(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim, cohort="999999"))
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["cohort"] == "fail"
    assert "Site administration > Users > Accounts > Cohorts" in fixes["cohort"]


def test_cohort_idnumber_wins_over_the_environment_cohort_id(moodle_sim):
    run = run_playbook(
        VERIFY,
        env=environment(moodle_sim, cohort="999999"),
        extra_vars={"moodle_preflight_cohort_idnumber": "onemembership"},
    )
    assert run.rc == 0, run.output
    assert checklist(run)[0]["cohort"] == "pass"


def test_no_cohort_in_the_environment_skips_the_cohort_check(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim, cohort=""))
    assert run.rc == 0, run.output
    assert checklist(run)[0]["cohort"] == "skip"


def test_web_services_off_fails(moodle_sim):
    moodle_sim.settings(webservices=False)
    run = run_playbook(VERIFY, env=environment(moodle_sim))
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["webservices_rest"] == "fail"
    assert "Site administration > Advanced features > Enable web services" in fixes["webservices_rest"]


def test_missing_connection_settings_say_which_variables_to_set():
    run = run_playbook(VERIFY)
    assert run.rc != 0
    assert "MOODLE_BASE_URL and MOODLE_TOKEN" in run.output


def test_bad_cohort_id_fails_with_the_module_message(moodle_sim):
    run = run_playbook(VERIFY, env=environment(moodle_sim, cohort="abc"))
    assert run.rc != 0
    assert "moodle_ws_info could not run" in run.output
    assert "cohort_id" in run.output


def test_token_never_printed_even_at_vvvv(moodle_sim, tmp_path):
    moodle_sim.settings(debug=True)
    token = TOKENS["TOKEN_IPRESTRICTED"]
    root, env = app(tmp_path, token, env_mode=0o644)
    write(str(root / "public/js/app.js"), "const token = '%s';\n" % token, 0o644)
    run = run_playbook(
        VERIFY,
        env=environment(moodle_sim, "TOKEN_IPRESTRICTED"),
        verbosity=4,
        extra_vars={"moodle_preflight_env_file": env, "moodle_preflight_leak_scan_paths": [str(root)]},
    )
    assert run.rc != 0
    assert checklist(run)[0]["token_leaks"] == "fail"
    assert token not in run.output


def test_junit_callback_reports_the_failure(moodle_sim, tmp_path):
    reports = tmp_path / "junit"
    run = run_playbook(
        VERIFY,
        env=dict(
            environment(moodle_sim, "TOKEN_UNAUTHORISED"),
            ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.junit",
            JUNIT_HIDE_TASK_ARGUMENTS="true",
            JUNIT_OUTPUT_DIR=str(reports),
        ),
    )
    assert run.rc != 0
    files = list(reports.glob("*.xml"))
    assert len(files) == 1
    suite = ET.parse(str(files[0])).getroot()
    # A failed task is a testcase with an <error> (ansible-core 2.19) or a <failure> element.
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
    assert TOKENS["TOKEN_UNAUTHORISED"] not in files[0].read_text()


# -- local checks --------------------------------------------------------------------------------


def test_clean_application_passes_the_local_checks(moodle_sim, tmp_path):
    root, env = app(tmp_path, TOKENS["TOKEN_OK"])
    run = run_playbook(
        VERIFY,
        env=environment(moodle_sim),
        extra_vars={
            "moodle_preflight_env_file": env,
            "moodle_preflight_leak_scan_paths": [str(root / "resources/views"), str(root / "storage/logs")],
        },
    )
    assert run.rc == 0, run.output
    statuses, _fixes = checklist(run)
    assert [statuses[i] for i in ("env_file:keys", "env_file:permissions", "env_file:git", "token_leaks")] == [
        "pass",
        "pass",
        "pass",
        "pass",
    ]


def test_env_readable_by_others_fails_with_chmod(moodle_sim, tmp_path):
    _root, env = app(tmp_path, TOKENS["TOKEN_OK"], env_mode=0o644)
    run = run_playbook(VERIFY, env=environment(moodle_sim), extra_vars={"moodle_preflight_env_file": env})
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["env_file:permissions"] == "fail"
    assert fixes["env_file:permissions"].startswith("chmod 600 " + env)


def test_env_missing_a_key_fails(moodle_sim, tmp_path):
    env = write(str(tmp_path / ".env"), "MOODLE_BASE_URL=x\nMOODLE_TOKEN=%s\n" % TOKENS["TOKEN_OK"])
    run = run_playbook(VERIFY, env=environment(moodle_sim), extra_vars={"moodle_preflight_env_file": env})
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["env_file:keys"] == "fail"
    assert "MOODLE_ONEMEMBERSHIP_COHORT_ID" in fixes["env_file:keys"]


def test_env_tracked_by_git_fails_with_git_rm_cached(moodle_sim, tmp_path):
    if not shutil.which("git"):
        pytest.fail("git is needed for this test")
    root, env = app(tmp_path, TOKENS["TOKEN_OK"])
    subprocess.run(["git", "init", "-q"], cwd=str(root), check=True)
    subprocess.run(["git", "add", ".env"], cwd=str(root), check=True)
    run = run_playbook(VERIFY, env=environment(moodle_sim), extra_vars={"moodle_preflight_env_file": env})
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["env_file:git"] == "fail"
    assert "git rm --cached .env" in fixes["env_file:git"]
    assert "Manage tokens" in fixes["env_file:git"]


def test_leaked_token_is_reported_by_path_and_line(moodle_sim, tmp_path):
    token = TOKENS["TOKEN_OK"]
    root, env = app(tmp_path, token)
    log = write(str(root / "storage/logs/laravel.log"), "ok\nPOST wstoken=%s\n" % token, 0o644)
    run = run_playbook(
        VERIFY,
        env=environment(moodle_sim),
        extra_vars={"moodle_preflight_env_file": env, "moodle_preflight_leak_scan_paths": [str(root)]},
    )
    assert run.rc != 0
    statuses, fixes = checklist(run)
    assert statuses["token_leaks"] == "fail"
    assert "%s:2" % log in run.stdout
    assert env + ":" not in run.stdout  # the .env itself is where the token belongs
    assert "rotate the token" in fixes["token_leaks"]
    assert token not in run.output


def test_app_token_check_returns_leaks_without_the_token(tmp_path):
    token = TOKENS["TOKEN_OK"]
    root, env = app(tmp_path, token)
    write(str(root / "public/index.html"), "<script>var t='%s'</script>\n" % token, 0o644)
    run = run_module("app_token_check", {"env_file": env, "leak_scan_paths": [str(root)]})
    assert run.rc == 0 and run.result["changed"] is False
    assert run.result["ready"] is False
    assert run.result["leaks"] == [{"path": str(root / "public/index.html"), "lines": [1]}]
    assert token not in run.output
