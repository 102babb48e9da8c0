# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a report (JSON document or CSV rows) to a file on the controller.

An action plugin rather than ``ansible.builtin.copy`` with ``delegate_to: localhost``: a report is controller-side
by nature, and copy runs two modules (stat, then copy) whose start-up costs more than the whole enrolment of a
hundred people does (bench/RESULTS.md). The write is atomic and the file is private (0600): reports name people.
The text and the write are module_utils/_enrol/report_file.py's, which the moodle_enrol module writes its report
with too. Documentation: plugins/modules/report_file.py.
"""

import os

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.report_file import (
    FILE_MODE,
    current_state,
    render,
    report_format,
    to_bytes,
    write_atomically,
)

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    format=dict(type="str", default="auto", choices=["auto", "json", "csv"]),
    content=dict(type="raw"),
    rows=dict(type="list", elements="dict"),
    columns=dict(type="list", elements="str"),
)


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
            data = to_bytes(render(fmt, args["content"], args["rows"], args["columns"]))
            before, mode = current_state(path)
            changed = before != data or mode != FILE_MODE
            if changed and not self._task.check_mode:
                write_atomically(path, data)
        except (ValueError, TypeError, OSError) as exc:
            result.update(failed=True, msg="cannot write the report %s: %s" % (path, to_native(exc)))
            return result
        result.update(changed=changed, path=path, format=fmt, size=len(data))
        return result
