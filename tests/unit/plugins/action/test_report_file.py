# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report_file action: what it writes, when it reports a change, and how it fails."""

import json
import os
import stat
from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible_collections.dsenroll.moodle.plugins.action import report_file
from ansible_collections.dsenroll.moodle.plugins.action.report_file import ActionModule

PEOPLE = [
    {"email": "zoe@example.org", "lastname": "Lefèvre", "outcome": "ok"},
    {"email": "al@example.org", "lastname": "=cmd", "outcome": "failed"},
]


def run(args, check_mode=False):
    task = Task()
    task.args = args
    task.check_mode = check_mode
    action = ActionModule(
        task=task,
        connection=mock.MagicMock(),
        play_context=mock.MagicMock(),
        loader=mock.MagicMock(),
        templar=mock.MagicMock(),
        shared_loader_obj=None,
    )
    # The plugin loader names every action it loads; ansible-core < 2.19 reads the name in its error messages.
    action._load_name = "dsenroll.moodle.report_file"
    return action.run(task_vars={})


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_json_report_is_written_private_and_a_rerun_changes_nothing(tmp_path):
    path = str(tmp_path / "report.json")
    first = run({"path": path, "content": {"people": PEOPLE}, "rows": PEOPLE})
    assert first["changed"] is True and not first.get("failed")
    assert first["format"] == "json" and first["path"] == path and first["size"] == os.path.getsize(path)
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == {"people": PEOPLE}
    assert mode_of(path) == 0o600
    assert run({"path": path, "content": {"people": PEOPLE}})["changed"] is False


def test_csv_is_chosen_by_the_extension_and_holds_the_given_columns(tmp_path):
    path = str(tmp_path / "Report.CSV")
    result = run({"path": path, "content": {"ignored": True}, "rows": PEOPLE, "columns": ["email", "lastname"]})
    assert result["format"] == "csv" and result["changed"] is True
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == "email,lastname\nzoe@example.org,Lefèvre\nal@example.org,'=cmd\n"


def test_a_wider_mode_is_a_change_and_is_made_private(tmp_path):
    path = str(tmp_path / "report.json")
    run({"path": path, "content": {}})
    os.chmod(path, 0o644)
    assert run({"path": path, "content": {}})["changed"] is True
    assert mode_of(path) == 0o600


def test_check_mode_predicts_the_change_and_writes_nothing(tmp_path):
    path = str(tmp_path / "report.json")
    result = run({"path": path, "content": {"a": 1}}, check_mode=True)
    assert result["changed"] is True and not os.path.exists(path)
    run({"path": path, "content": {"a": 1}})
    assert run({"path": path, "content": {"a": 1}}, check_mode=True)["changed"] is False
    assert run({"path": path, "content": {"a": 2}}, check_mode=True)["changed"] is True


def test_a_symlinked_report_replaces_the_file_it_points_to(tmp_path):
    target = tmp_path / "real.json"
    link = tmp_path / "latest.json"
    target.write_text("old")
    os.symlink(str(target), str(link))
    result = run({"path": str(link), "content": {"new": True}})
    assert result["path"] == str(target) and os.path.islink(str(link))
    assert json.loads(target.read_text()) == {"new": True}


@pytest.mark.parametrize(
    "args, message",
    [
        ({"format": "csv", "content": {}}, "a CSV report needs rows"),
        ({"format": "json", "rows": []}, "a JSON report needs content"),
    ],
)
def test_the_missing_option_for_the_format_is_named(tmp_path, args, message):
    result = run(dict(args, path=str(tmp_path / "r")))
    assert result["failed"] is True and message in result["msg"]
    assert not os.path.exists(str(tmp_path / "r"))


def test_a_missing_directory_or_a_directory_path_fails_with_the_path(tmp_path):
    missing = run({"path": str(tmp_path / "nope" / "r.json"), "content": {}})
    assert missing["failed"] is True and "does not exist" in missing["msg"] and "nope" in missing["msg"]
    directory = run({"path": str(tmp_path), "content": {}})
    assert directory["failed"] is True and "not a regular file" in directory["msg"]


def test_a_failed_write_leaves_the_old_report_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_text("old")

    def broken_replace(_source, _destination):
        raise OSError("disk full")

    monkeypatch.setattr(report_file.os, "replace", broken_replace)
    result = run({"path": str(path), "content": {"new": True}})
    assert result["failed"] is True and "disk full" in result["msg"]
    assert path.read_text() == "old" and os.listdir(str(tmp_path)) == ["report.json"]


def test_unknown_options_and_formats_are_refused(tmp_path):
    # Ansible turns AnsibleActionFail into the task's failure with this message.
    with pytest.raises(AnsibleActionFail, match="Unsupported parameters.*dest"):
        run({"path": str(tmp_path / "r"), "content": {}, "dest": "x"})
    with pytest.raises(AnsibleActionFail, match="format"):
        run({"path": str(tmp_path / "r"), "content": {}, "format": "xml"})
    assert os.listdir(str(tmp_path)) == []
