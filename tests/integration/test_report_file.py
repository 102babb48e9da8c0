# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dsenroll.moodle.report_file through ansible-playbook: found by its FQCN, templated arguments, check mode."""

import json
import os
import stat

from harness import run_task

ROWS = [{"email": "zoe@example.org", "lastname": "Lefèvre", "msg": "=1+1"}]


def test_writes_the_templated_rows_on_the_controller_and_reruns_unchanged(tmp_path):
    path = str(tmp_path / "report.csv")
    args = {"path": path, "rows": "{{ report_rows }}", "columns": ["email", "lastname", "msg"]}
    result, run = run_task("dsenroll.moodle.report_file", args, extra_vars={"report_rows": ROWS})
    assert run.rc == 0, run.output
    assert result["changed"] is True and result["format"] == "csv" and result["path"] == path
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == "email,lastname,msg\nzoe@example.org,Lefèvre,'=1+1\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again, _run = run_task("dsenroll.moodle.report_file", args, extra_vars={"report_rows": ROWS})
    assert again["changed"] is False


def test_check_mode_writes_nothing_and_predicts_a_change(tmp_path):
    path = str(tmp_path / "report.json")
    args = {"path": path, "content": {"people": "{{ report_rows }}", "check_mode": "{{ ansible_check_mode }}"}}
    result, run = run_task("dsenroll.moodle.report_file", args, extra_vars={"report_rows": ROWS}, check=True)
    assert run.rc == 0, run.output
    assert result["changed"] is True and not os.path.exists(path)
    result, _run = run_task("dsenroll.moodle.report_file", args, extra_vars={"report_rows": ROWS})
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == {"people": ROWS, "check_mode": False}


def test_a_bad_path_fails_the_task_with_a_message_that_names_it(tmp_path):
    path = str(tmp_path / "missing" / "report.json")
    result, _run = run_task("dsenroll.moodle.report_file", {"path": path, "content": {}})
    assert result["failed"] is True
    assert result["msg"] == "cannot write the report %s: the directory %s does not exist" % (
        path,
        os.path.dirname(path),
    )
