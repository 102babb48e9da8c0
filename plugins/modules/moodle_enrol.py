#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: moodle_enrol
short_description: Find or create people by e-mail and add them all to a Moodle cohort, in one task
version_added: 0.1.0
description:
  - The whole enrolment of the P(dsenroll.moodle.enrol#role) role in one task. It finds every person's Moodle account
    by e-mail (letter case ignored), creates the missing accounts, and makes all of them members of a cohort. It
    returns one row per person and the counts, and can write them to a report file.
  - Does what a M(dsenroll.moodle.moodle_user) task followed by a M(dsenroll.moodle.moodle_cohort_member) task does,
    with the same code, and reports the same rows as the P(dsenroll.moodle.enrol_report#filter) filter gives for
    them. One task costs Ansible far less than two for a long list. Before any write it resolves the cohort and
    reads its members (when the service allows), so a cohort proven missing stops it before anyone is created.
  - The people come from O(users) or from a file the module reads itself (O(users_file)), so that a list of
    thousands never passes through Ansible's variables.
  - A person without a password, without C(create_password) and with the manual authentication method (the
    default) gets C(create_password=true), as the P(dsenroll.moodle.enrol_user_records#filter) filter gives it.
    Moodle then generates the password, e-mails it and forces a change at first login.
  - Every person ends either done or V(failed) with a reason. The module processes everyone it can, writes the
    report, then fails when anyone failed.
  - Lookups, creates and adds are batched under the site's C(max_input_vars), never one request per person.
  - Needs C(core_user_get_users_by_field), C(core_user_create_users) and C(core_cohort_add_cohort_members) in the
    token's service (the set-up guide's three functions); C(core_user_update_users) for O(update=true). With
    C(core_cohort_get_cohort_members) the members are read first, and check mode is exact.
author:
  - dsenroll.moodle contributors (@dsenroll)
requirements:
  - PyYAML (Python library) to read a YAML O(users_file); ansible-core needs it too
extends_documentation_fragment:
  - dsenroll.moodle.connection
  - dsenroll.moodle.attributes
  - dsenroll.moodle.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details:
      - Only reads are sent to Moodle. A user that would be created is V(would_create) and would then be added
        (V(would_add)); an existing user is V(exists), and V(member) or V(would_add) when the service offers
        C(core_cohort_get_cohort_members). Without it the membership of existing users is V(unknown), with a
        warning that names the function to add.
      - The report file (O(report)) is written in check mode too, holding the predictions.
  diff_mode:
    support: full
    details:
      - The users created or updated (keyed by e-mail; passwords never appear), the fields in which existing users
        differ from the input when O(update=false), then the cohort's members before and after (each by e-mail with
        its Moodle id), limited to the people of the task.
options:
  users:
    description:
      - The people, each a dictionary with at least V(email), V(firstname) and V(lastname).
      - Exactly one of O(users) and O(users_file).
      - Two people with the same e-mail (in any letter case) are both V(failed).
    type: list
    elements: dict
    suboptions:
      email:
        description: E-mail address; how the account is found (letter case ignored). See M(dsenroll.moodle.moodle_user).
        type: str
      username:
        description: Username of a new account; derived from the e-mail when not given.
        type: str
      firstname:
        description: First name.
        type: str
      lastname:
        description: Last name.
        type: str
      idnumber:
        description: ID number (an external identifier).
        type: str
      auth:
        description: Authentication plugin of a new account (default V(manual)).
        type: str
      password:
        description: Password of a new account. Never returned, never written to the report.
        type: str
      create_password:
        description: Let Moodle generate the password and e-mail it (the default for manual accounts without one).
        type: bool
      lang:
        description: Preferred language code.
        type: str
      timezone:
        description: Timezone.
        type: str
      city:
        description: City or town.
        type: str
      country:
        description: Two-letter country code.
        type: str
      department:
        description: Department.
        type: str
      institution:
        description: Institution.
        type: str
      phone1:
        description: Phone number.
        type: str
      description:
        description: Profile description.
        type: str
      customfields:
        description: Custom profile fields, shortname to value.
        type: dict
  users_file:
    description:
      - A file of people that the module reads itself, on the host it runs on (normally the controller). A relative
        path is relative to the working directory of the module, so give an absolute one.
      - Ending with C(.json), a JSON list, and with C(.yml) or C(.yaml), a YAML list, of dictionaries with the keys
        of O(users). Any other file is CSV.
      - A CSV file has a header row and is read as the P(dsenroll.moodle.people_from_csv#filter) filter reads it.
        It is UTF-8 with or without a byte order mark, and may hold accents, apostrophes and quoted delimiters.
        Text that is not UTF-8 is refused with how to save it as UTF-8. Column names are Moodle's user fields or a
        common spelling (C(First Name), C(Surname), C(E-mail)), and C(profile_field_<shortname>) columns become
        custom fields. Empty cells mean "not given", and blank rows are skipped.
      - Exactly one of O(users) and O(users_file).
    type: path
  csv_delimiter:
    description: The cell separator of a CSV O(users_file). Some spreadsheet locales export with C(;).
    type: str
    default: ","
  csv_unknown_columns:
    description: What to do with a CSV column that is not a Moodle user field.
    type: str
    choices:
      fail: Refuse the file, naming the columns.
      ignore: Drop those columns.
    default: fail
  cohort_id:
    description:
      - The cohort's id (the number in the cohort's URL).
      - If neither O(cohort_id) nor O(cohort_idnumber) is set, the environment variable
        E(MOODLE_ONEMEMBERSHIP_COHORT_ID) is used.
    type: int
  cohort_idnumber:
    description:
      - The cohort's C(Cohort ID) field (idnumber), matched exactly, letter case included. Instead of O(cohort_id).
    type: str
  update:
    description:
      - When V(false), an existing user is left as it is; the fields in which it differs from the input are named
        in its row's C(msg) and shown in the diff.
      - When V(true), the differing fields are changed with C(core_user_update_users) (it must be in the service).
    type: bool
    default: false
  batch_size:
    description:
      - Most users per create or update request. Requests are also kept under O(max_input_vars).
    type: int
    default: 100
  report:
    description:
      - A file to write the per-person report to, on the host the module runs on (normally the controller). Its
        directory must exist; a relative path is relative to the module's working directory.
      - Ending with C(.csv) (any case), CSV with a header row and the columns C(position), C(email), C(username),
        C(firstname), C(lastname), C(id), C(user), C(cohort), C(outcome), C(msg); otherwise JSON with C(site),
        C(cohort), C(check_mode), C(summary) and C(people) (the rows).
      - Written in check mode too (then it holds the predictions). Writing it never counts as a change. It is
        replaced atomically and gets mode C(0600), since it names people. It never holds the token or a password.
    type: path
  results:
    description:
      - How many per-person rows RV(people) returns. RV(summary) is always returned.
      - For a long list, V(failed) or V(none) keeps the task's result small, which Ansible handles faster.
    type: str
    choices:
      all: One row per person.
      failed: The rows of the people who failed.
      none: No rows.
    default: all
notes:
  - Runs where the task runs. The P(dsenroll.moodle.enrol#role) role runs it on localhost, so O(users_file) and
    O(report) are on the controller.
  - When the result echoes the arguments (C(invocation)), it counts the people of O(users) rather than repeating
    them, so that the result of a long list stays small.
seealso:
  - module: dsenroll.moodle.moodle_user
  - module: dsenroll.moodle.moodle_cohort_member
"""

EXAMPLES = r"""
- name: Enrol the people of a CSV file into the OneMembership cohort, with a report
  dsenroll.moodle.moodle_enrol:
    moodle_url: https://moodle.example.org
    moodle_token: "{{ vault_moodle_token }}"
    max_input_vars: 5000
    users_file: "{{ playbook_dir }}/people.csv"
    cohort_idnumber: onemembership
    report: "{{ playbook_dir }}/report.csv"
    results: failed

# The next tasks take moodle_url and moodle_token from module_defaults (group/dsenroll.moodle.moodle) or from the
# MOODLE_BASE_URL and MOODLE_TOKEN environment variables, and the cohort from MOODLE_ONEMEMBERSHIP_COHORT_ID.
- name: Enrol two people given in the playbook
  dsenroll.moodle.moodle_enrol:
    users:
      - {email: zoe.lefevre@example.org, firstname: Zoé, lastname: Lefèvre}
      - {email: sean.obrien@example.org, firstname: Seán, lastname: O'Brien}
  register: enrolment

- name: Show the counts
  ansible.builtin.debug:
    msg: "{{ enrolment.summary.created }} created, {{ enrolment.summary.added }} added"

- name: Preview a semicolon-separated export, without writing anything to Moodle
  dsenroll.moodle.moodle_enrol:
    users_file: /srv/onboarding/export.csv
    csv_delimiter: ";"
    csv_unknown_columns: ignore
    report: /srv/onboarding/preview.json
  check_mode: true
  diff: true
"""

RETURN = r"""
summary:
  description:
    - The counts. C(created) includes C(would_create) and C(added) includes C(would_add) (check mode); C(existed)
      counts users found (C(exists), C(updated), C(would_update)); C(already_members) counts C(member); C(unknown)
      counts memberships check mode could not prove; C(failed) counts people whose user or cohort step failed.
  returned: always, unless the options or the people file cannot be read
  type: dict
  sample: {"people": 31, "created": 30, "existed": 1, "added": 31, "already_members": 0, "unknown": 0, "failed": 0}
people:
  description:
    - One row per person (O(results=all)), the failed people's rows (O(results=failed)) or none (O(results=none)),
      in input order.
  returned: always, unless the options or the people file cannot be read
  type: list
  elements: dict
  contains:
    position:
      description: The person's place in the input, from 1 (in a CSV file, 1 is the first row after the header).
      type: int
      sample: 4
    email:
      description: The e-mail address as given (trimmed).
      type: str
      sample: zoe.lefevre@example.org
    username:
      description: The Moodle username (of the account found, or of the one created or to be created).
      type: str
      sample: zoe.lefevre@example.org
    firstname:
      description: The first name as given.
      type: str
      sample: Zoé
    lastname:
      description: The last name as given.
      type: str
      sample: Lefèvre
    id:
      description: The Moodle user id; null when no account exists (yet).
      type: int
      sample: 42
    user:
      description:
        - What happened to the account, as M(dsenroll.moodle.moodle_user) says it - V(created), V(would_create),
          V(exists), V(updated), V(would_update) or V(failed).
      type: str
      sample: created
    cohort:
      description:
        - What happened to the membership, as M(dsenroll.moodle.moodle_cohort_member) says it - V(added),
          V(would_add), V(member), V(unknown) or V(failed); V(skipped) when the user step failed.
      type: str
      sample: added
    outcome:
      description: V(ok), V(unknown) (check mode could not prove the membership) or V(failed).
      type: str
      sample: ok
    msg:
      description: Why the person failed; otherwise what is worth knowing, or empty.
      type: str
      sample: "email 'not-an-address' is not a valid e-mail address for Moodle"
cohort:
  description: The cohort; V(idnumber) and V(name) when the service lets the module read them.
  returned: always, unless the options or the people file cannot be read
  type: dict
  sample: {"id": 1, "idnumber": "onemembership", "name": "OneMembership"}
report:
  description: The absolute path of the report file written.
  returned: when O(report) is given
  type: str
  sample: /home/ops/onboarding/report.csv
diff:
  description:
    - The users created or updated, keyed by e-mail; a second entry, when O(update=false), with what differs but
      was left as it is; then the cohort's members before and after, limited to the people of the task.
  returned: in diff mode
  type: list
  elements: dict
  sample: [{"before_header": "Moodle users", "after_header": "Moodle users", "before": {},
            "after": {"zoe.lefevre@example.org": {"email": "zoe.lefevre@example.org", "firstname": "Zoé"}}},
           {"before_header": "members of cohort id=1 (OneMembership)",
            "after_header": "members of cohort id=1 (OneMembership)",
            "before": {"cohort": "cohort id=1 (OneMembership)", "members": []},
            "after": {"cohort": "cohort id=1 (OneMembership)", "members": ["zoe.lefevre@example.org (id 42)"]}}]
"""

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.yaml import yaml_load

from ansible_collections.dsenroll.moodle.plugins.module_utils.connection import (
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils.user_options import user_options
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.report import members_unreadable_warning
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import report as enrol_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import report_file
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.flow import Enrolment
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.people import (
    UNKNOWN_COLUMNS,
    PeopleError,
    enrol_user_records,
    read_people,
)

COHORT_ENV = "MOODLE_ONEMEMBERSHIP_COHORT_ID"


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        users=dict(type="list", elements="dict", options=user_options()),
        users_file=dict(type="path"),
        csv_delimiter=dict(type="str", default=","),
        csv_unknown_columns=dict(type="str", choices=list(UNKNOWN_COLUMNS), default="fail"),
        cohort_id=dict(type="int"),
        cohort_idnumber=dict(type="str"),
        update=dict(type="bool", default=False),
        batch_size=dict(type="int", default=100),
        report=dict(type="path"),
        results=dict(type="str", choices=list(enrol_report.RESULTS), default="all"),
    )
    return spec


def cohort_given(module):
    """``{cohort_id: N}`` or ``{cohort_idnumber: S}``: the options, else MOODLE_ONEMEMBERSHIP_COHORT_ID. Not an
    argument spec fallback, which would make the variable conflict with an explicit cohort_idnumber."""
    params = module.params
    if params["cohort_idnumber"]:
        return {"cohort_idnumber": params["cohort_idnumber"]}
    cohort_id = params["cohort_id"]
    if cohort_id is None:
        value = os.environ.get(COHORT_ENV, "").strip()
        if not value.isdigit():
            module.fail_json(
                msg="give cohort_id or cohort_idnumber, or set %s to the cohort's id (a number)%s"
                % (COHORT_ENV, ", not %r" % value if value else "")
            )
        cohort_id = int(value)
    if cohort_id <= 0:
        module.fail_json(msg="cohort_id must be a positive cohort id")
    return {"cohort_id": cohort_id}


def report_path(module):
    """The report file's resolved path, checked before anything is sent (None when no report is asked for)."""
    if not module.params["report"]:
        return None
    try:
        return report_file.check_path(module.params["report"])
    except (ValueError, OSError) as exc:
        module.fail_json(msg="cannot write the report %s: %s" % (module.params["report"], exc))


def read_input(module):
    """The people, from ``users`` or ``users_file``, ready for the user step. Passwords read from the file are
    masked in everything the module returns, as ``users``' no_log masks those given there."""
    params = module.params
    try:
        if params["users"] is not None:
            people = params["users"]
        else:
            people = read_people(
                params["users_file"], params["csv_delimiter"], params["csv_unknown_columns"], load_yaml=yaml_load
            )
            module.no_log_values.update(p["password"] for p in people if p.get("password"))
        return enrol_user_records(people)
    except PeopleError as exc:
        module.fail_json(msg=str(exc))


def parse(module):
    """Check the options, the report's directory and the people, before anything is sent."""
    if module.params["batch_size"] < 1:
        module.fail_json(msg="batch_size must be at least 1")
    cohort = cohort_given(module)
    path = report_path(module)
    people = read_input(module)
    enrolment = Enrolment(
        people,
        cohort.get("cohort_id"),
        cohort.get("cohort_idnumber"),
        update=module.params["update"],
        batch_size=module.params["batch_size"],
    )
    return enrolment, cohort, path


def write_report(module, path, rows, cohort, result):
    """Write the report (also in check mode: a record of the run, never a change), or fail saying why."""
    site = urlsplit(module.params["moodle_url"]).hostname or ""
    document = enrol_report.document(rows, site, cohort, module.check_mode)
    fmt = report_file.report_format(path)
    try:
        text = report_file.render(fmt, document, rows["people"], list(enrol_report.COLUMNS))
        report_file.write_atomically(path, report_file.to_bytes(text))
    except (ValueError, OSError) as exc:
        module.fail_json(msg="cannot write the report %s: %s" % (path, exc), **result)
    result["report"] = path


def invocation(module):
    """The arguments as the result echoes them, with the people of ``users`` counted rather than repeated: echoed,
    thousands of them would make the result as big as the input, for Ansible to read and mask again."""
    args = dict(module.params)
    if args["users"] is not None:
        args["users"] = "(%d people)" % len(args["users"])
    return {"module_args": args}


def report(module, enrolment, cohort, path):
    """Exit with the summary, the rows asked for, the cohort (and the diff); write the report; fail when anyone
    failed."""
    rows = enrolment.report()
    result = dict(
        changed=enrolment.changed,
        summary=rows["summary"],
        people=enrol_report.rows_returned(rows, module.params["results"]),
        cohort=enrolment.cohort.to_result(),
        invocation=invocation(module),
    )
    if module._diff:
        result["diff"] = enrolment.diff()
    if module.check_mode and enrolment.members_unreadable:
        module.warn(members_unreadable_warning(enrolment.cohort, "check mode"))
    if path:
        write_report(module, path, rows, cohort, result)
    fatal = enrolment.fatal
    if fatal is not None:
        result.update(fatal.to_result())
    message = enrol_report.failure_message(rows, fatal)
    if message:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("users", "users_file"), ("cohort_id", "cohort_idnumber")],
        required_one_of=[("users", "users_file")],
        supports_check_mode=True,
    )
    enrolment, cohort, path = parse(module)
    client = client_from_module(module)
    try:
        enrolment.plan(client, module.check_mode)
        if not module.check_mode:
            enrolment.apply(client)
    finally:
        client.close()
    report(module, enrolment, cohort, path)


if __name__ == "__main__":
    main()
