# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin of the same name (plugins/action/report_file.py), on the controller.


DOCUMENTATION = r"""
module: report_file
short_description: Write a report as JSON or CSV to a private file on the controller
version_added: 0.1.0
author: dsenroll.moodle contributors (@dsenroll)
description:
  - Writes a JSON document, or a list of rows as CSV, to a file on the Ansible controller (whatever the host the
    task runs for), for example the per-person results of an enrolment. The C(dsenroll.moodle.enrol) role writes
    its C(moodle_enrol_report) with it.
  - The file is replaced atomically (a reader sees the old report or the new one, never half of one) and gets mode
    C(0600), because reports name people.
  - CSV cells that start with C(=), C(+), C(-), C(@), a tab or a carriage return get a leading C(') so that a
    spreadsheet shows them instead of running them as formulas, like the C(dsenroll.moodle.rows_to_csv) filter.
    JSON is indented, with sorted keys and unescaped accents, like C(to_nice_json(ensure_ascii=False)).
  - Nothing is sent to the managed host, and no module runs, so writing a report costs milliseconds.
options:
  path:
    description:
      - The file to write. A relative path is relative to the directory C(ansible-playbook) runs in.
      - The directory must exist.
    type: path
    required: true
  format:
    description:
      - C(csv) writes O(rows) as CSV with a header row; C(json) writes O(content) as JSON.
      - C(auto) is C(csv) when O(path) ends with C(.csv) (any case), C(json) otherwise.
    type: str
    choices: [auto, json, csv]
    default: auto
  content:
    description: The document to write as JSON. Required when the format is C(json).
    type: raw
  rows:
    description: The rows to write as CSV, one dict per line. Required when the format is C(csv).
    type: list
    elements: dict
  columns:
    description: The CSV columns, in order. Default is every key of O(rows), in order of first appearance.
    type: list
    elements: str
attributes:
  action:
    description: Runs on the controller as an action plugin.
    support: full
  async:
    description: Cannot run asynchronously.
    support: none
  bypass_host_loop:
    description: Runs once per host, like other tasks; give each host its own O(path).
    support: none
  check_mode:
    description: In check mode nothing is written; RV(ignore:changed) says whether the file would change.
    support: full
  diff_mode:
    description: Reports can hold thousands of rows, so no diff is returned.
    support: none
  platform:
    description: Writes on the controller, not on the target.
    support: full
    platforms: all
notes:
  - RV(ignore:changed) is true when the file's bytes or its mode would change. A role that treats its report as a
    record rather than a change sets C(changed_when) to false, as C(dsenroll.moodle.enrol) does.
seealso:
  - plugin: dsenroll.moodle.rows_to_csv
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the enrolment's per-person results where the operator asked for them
  dsenroll.moodle.report_file:
    path: "{{ moodle_enrol_report }}"
    content:
      summary: "{{ report.summary }}"
      people: "{{ report.people }}"
    rows: "{{ report.people }}"
    columns: [email, user, cohort, outcome, msg]
  check_mode: false
  changed_when: false

- name: The failed people only, as CSV for a spreadsheet
  dsenroll.moodle.report_file:
    path: /var/tmp/enrol-failed.csv
    rows: "{{ report.failed }}"
"""

RETURN = r"""
path:
  description: The absolute path of the report.
  returned: success
  type: str
  sample: /home/ops/onboarding/report.csv
format:
  description: The format written, C(json) or C(csv).
  returned: success
  type: str
  sample: csv
size:
  description: The size of the report in bytes (what was written, or in check mode what would be).
  returned: success
  type: int
  sample: 5120
"""
