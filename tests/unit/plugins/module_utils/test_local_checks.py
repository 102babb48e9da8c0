# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The .env and token-leak checks, on temporary files and a temporary git repository."""

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks import local as local_checks

TOKEN = "0123456789abcdef0123456789abcdef"
ENV = "MOODLE_BASE_URL=https://moodle.example.org\nMOODLE_TOKEN=%s\nMOODLE_ONEMEMBERSHIP_COHORT_ID=1\n" % TOKEN


def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


def git(cwd, *args):
    return subprocess.run(["git"] + list(args), cwd=cwd, capture_output=True, text=True, check=True)


def run(args, cwd):
    proc = subprocess.run(["git"] + args, cwd=cwd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def repo(tmp_path):
    if not shutil.which("git"):
        pytest.fail("git is needed for these tests")
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.org")
    git(tmp_path, "config", "user.name", "t")
    return tmp_path


def test_parse_env_reads_laravel_syntax():
    values = local_checks.parse_env(
        "# comment\nexport MOODLE_BASE_URL=\"https://m.example.org\"\nMOODLE_TOKEN='abc' \n"
        "MOODLE_ONEMEMBERSHIP_COHORT_ID=12 # the cohort\nEMPTY=\nnot a pair\n"
    )
    assert values == {
        "MOODLE_BASE_URL": "https://m.example.org",
        "MOODLE_TOKEN": "abc",
        "MOODLE_ONEMEMBERSHIP_COHORT_ID": "12",
        "EMPTY": "",
    }


def test_complete_env_passes(tmp_path):
    path = write(str(tmp_path / ".env"), ENV)
    item = local_checks.env_keys_check(path, local_checks.read_env(path), token=TOKEN)
    assert item["status"] == "pass"


def test_missing_and_empty_keys_fail_and_are_named(tmp_path):
    path = write(str(tmp_path / ".env"), "MOODLE_BASE_URL=https://m.example.org\nMOODLE_TOKEN=\n")
    item = local_checks.env_keys_check(path, local_checks.read_env(path))
    assert item["status"] == "fail"
    assert "MOODLE_TOKEN, MOODLE_ONEMEMBERSHIP_COHORT_ID" in item["summary"]


def test_absent_env_fails(tmp_path):
    path = str(tmp_path / ".env")
    assert local_checks.env_keys_check(path, local_checks.read_env(path))["status"] == "fail"


def test_env_with_another_token_warns_without_showing_either(tmp_path):
    path = write(str(tmp_path / ".env"), ENV)
    item = local_checks.env_keys_check(path, local_checks.read_env(path), token="f" * 32)
    assert item["status"] == "warn"
    assert TOKEN not in json.dumps(item) and "f" * 32 not in json.dumps(item)


@pytest.mark.parametrize("mode, status", [(0o600, "pass"), (0o640, "pass"), (0o644, "fail"), (0o602, "fail")])
def test_env_open_to_other_users_fails_with_chmod(tmp_path, mode, status):
    path = write(str(tmp_path / ".env"), ENV, mode)
    item = local_checks.env_permissions_check(path)
    assert item["status"] == status
    if status == "fail":
        assert item["remediation"].startswith("chmod 600 ")


def test_env_outside_git_passes(tmp_path):
    path = write(str(tmp_path / ".env"), ENV)
    assert local_checks.env_git_check(path, run)["status"] == "pass"


def test_tracked_env_fails_with_git_rm_cached_and_rotation(repo):
    path = write(str(repo / ".env"), ENV)
    git(repo, "add", ".env")
    item = local_checks.env_git_check(path, run)
    assert item["status"] == "fail"
    assert "git rm --cached .env" in item["remediation"]
    assert ".gitignore" in item["remediation"]
    assert "Site administration > Server > Web services > Manage tokens" in item["remediation"]


def test_env_removed_from_index_but_in_history_fails(repo):
    path = write(str(repo / ".env"), ENV)
    git(repo, "add", ".env")
    git(repo, "commit", "-q", "-m", "oops")
    git(repo, "rm", "-q", "--cached", ".env")
    git(repo, "commit", "-q", "-m", "untrack")
    item = local_checks.env_git_check(path, run)
    assert item["status"] == "fail"
    assert "history" in item["summary"]


def test_untracked_but_not_ignored_env_warns(repo):
    path = write(str(repo / ".env"), ENV)
    item = local_checks.env_git_check(path, run)
    assert item["status"] == "warn"
    assert ".gitignore" in item["remediation"]


def test_ignored_env_passes(repo):
    write(str(repo / ".gitignore"), ".env\n", 0o644)
    path = write(str(repo / ".env"), ENV)
    assert local_checks.env_git_check(path, run)["status"] == "pass"


def test_without_git_the_git_check_is_skipped(tmp_path):
    path = write(str(tmp_path / ".env"), ENV)
    assert local_checks.env_git_check(path, None)["status"] == "skip"


def test_leak_scan_reports_every_file_and_line_but_not_the_env(tmp_path):
    env = write(str(tmp_path / ".env"), ENV)
    write(str(tmp_path / "storage/logs/laravel.log"), "start\nPOST wstoken=%s\nok\ntoken %s\n" % (TOKEN, TOKEN))
    write(str(tmp_path / "public/js/app.js"), "const t = '%s';\n" % TOKEN)
    write(str(tmp_path / "resources/views/home.blade.php"), "<p>clean</p>\n")
    write(str(tmp_path / ".git/config"), TOKEN)  # VCS internals are skipped
    item, leaks = local_checks.leak_check([str(tmp_path)], TOKEN, env)
    assert item["status"] == "fail"
    assert leaks == [
        {"path": str(tmp_path / "public/js/app.js"), "lines": [1]},
        {"path": str(tmp_path / "storage/logs/laravel.log"), "lines": [2, 4]},
    ]
    assert "laravel.log:2,4" in item["summary"]
    assert "Manage tokens" in item["remediation"]
    assert TOKEN not in json.dumps([item, leaks])


def test_clean_tree_passes_and_missing_path_warns(tmp_path):
    write(str(tmp_path / "public/index.php"), "<?php\n")
    item, leaks = local_checks.leak_check([str(tmp_path / "public")], TOKEN)
    assert item["status"] == "pass" and leaks == []
    item, _leaks = local_checks.leak_check([str(tmp_path / "public"), str(tmp_path / "nope")], TOKEN)
    assert item["status"] == "warn"
    assert "nope" in item["summary"]


def test_leak_scan_needs_a_real_token():
    assert local_checks.leak_check(["."], None)[0]["status"] == "skip"
    assert local_checks.leak_check(["."], "abc")[0]["status"] == "skip"
