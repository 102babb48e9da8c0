# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a report (JSON document or CSV rows) to a file on the controller.

An action plugin rather than ``ansible.builtin.copy`` with ``delegate_to: localhost``: a report is controller-side
by nature, and copy runs two modules (stat, then copy) whose start-up costs more than the whole enrolment of a
hundred people does (bench/RESULTS.md). The write is atomic and the file is private (0600): reports name people.
Documentation: plugins/modules/report_file.py.
"""

import os
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase
from ansible_collections.dsenroll.moodle.plugins.plugin_utils import report_text

FILE_MODE = 0o600
ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    format=dict(type="str", default="auto", choices=["auto", "json", "csv"]),
    content=dict(type="raw"),
    rows=dict(type="list", elements="dict"),
    columns=dict(type="list", elements="str"),
)


def report_format(path, requested):
    if requested != "auto":
        return requested
    return "csv" if path.lower().endswith(".csv") else "json"


def render(fmt, args):
    """The file's text, or raise ValueError saying which option is missing."""
    if fmt == "csv":
        if args["rows"] is None:
            raise ValueError("a CSV report needs rows (a list of dicts)")
        return report_text.rows_to_csv(args["rows"], args["columns"])
    if args["content"] is None:
        raise ValueError("a JSON report needs content")
    return report_text.to_report_json(args["content"])


def current_state(path):
    """``(bytes, mode)`` of the file at ``path``, ``(None, None)`` when there is none."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("%s exists and is not a regular file" % path)
    with open(path, "rb") as handle:
        return handle.read(), stat.S_IMODE(info.st_mode)


def write_atomically(path, data):
    """Replace ``path`` with ``data`` in one step: a reader sees the old report or the new one, never half."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ValueError("the directory %s does not exist" % directory)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        # Relative to the directory ansible-playbook runs in; through a symlink, the file it points to is replaced.
        path = os.path.realpath(args["path"])
        fmt = report_format(path, args["format"])
        try:
            data = to_bytes(render(fmt, args), errors="surrogate_or_strict")
            before, mode = current_state(path)
            changed = before != data or mode != FILE_MODE
            if changed and not self._task.check_mode:
                write_atomically(path, data)
        except (ValueError, TypeError, OSError) as exc:
            result.update(failed=True, msg="cannot write the report %s: %s" % (path, to_native(exc)))
            return result
        result.update(changed=changed, path=path, format=fmt, size=len(data))
        return result
