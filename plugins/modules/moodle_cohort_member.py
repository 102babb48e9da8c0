#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: moodle_cohort_member
short_description: Make Moodle users members (or not) of a cohort, in bulk
version_added: 0.1.0
description:
  - Adds users to a Moodle cohort, or removes them, through Moodle's REST web services, in a few batched requests
    whatever the number of users.
  - Idempotent and exact with only the three functions of the set-up guide (C(core_user_get_users_by_field),
    C(core_user_create_users), C(core_cohort_add_cohort_members)) - Moodle's answer to an add says, for each
    user, whether it was added or was a member already.
  - When the service also offers C(core_cohort_get_cohort_members), the members are read first and only what must
    change is sent; check mode then predicts exactly.
  - Users are given by id, username or e-mail; e-mails are matched case-insensitively, and an e-mail shared by
    several accounts is reported as a failure, never guessed.
author:
  - dsenroll.moodle contributors (@dsenroll)
options:
  cohort_id:
    description:
      - The cohort's id (the number in the cohort's URL).
      - Exactly one of O(cohort_id) and O(cohort_idnumber) is required.
    type: int
  cohort_idnumber:
    description:
      - The cohort's C(Cohort ID) field (idnumber), matched exactly, letter case included.
      - To remove members by O(cohort_idnumber), the service needs C(core_cohort_search_cohorts) or
        C(core_cohort_get_cohorts) so that the cohort's id can be found.
    type: str
  users:
    description:
      - The users, each a dictionary with exactly one of V(id), V(username) or V(email).
      - A plain string is an e-mail address.
      - E-mails are looked up with C(core_user_get_users_by_field) as given and in lowercase (and, when the service
        offers C(core_user_get_users), case-insensitively), as M(dsenroll.moodle.moodle_user) does.
      - Usernames are matched in lowercase, as Moodle stores them.
      - Ids are used as given; Moodle reports an id that does not exist.
    type: list
    elements: raw
    required: true
  state:
    description:
      - V(present) makes every user a member; V(absent) makes sure none is.
      - V(absent) needs C(core_cohort_delete_cohort_members) in the service, and C(core_cohort_get_cohort_members)
        to report exactly who was removed (without it each result is V(unknown)).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove every member of the cohort who is not in O(users).
      - Needs C(core_cohort_get_cohort_members) and C(core_cohort_delete_cohort_members) in the service.
      - Guarded by O(max_removals).
    type: bool
    default: false
  max_removals:
    description:
      - With O(exclusive=true), the most members the task may remove. When more would be removed the task fails
        before changing anything.
      - The default V(0) refuses to remove anyone, so that a truncated O(users) list cannot empty a cohort.
    type: int
    default: 0
extends_documentation_fragment:
  - dsenroll.moodle.connection
  - dsenroll.moodle.attributes
  - dsenroll.moodle.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details:
      - Never writes. Exact when the service offers C(core_cohort_get_cohort_members); without it each user whose
        membership cannot be proven is V(unknown), C(changed) is true, and a warning names the function to add.
      - A user given by e-mail or username who does not exist yet (for example one that a
        M(dsenroll.moodle.moodle_user) task in check mode only predicted) is V(would_add).
  diff_mode:
    support: full
    details:
      - Shows the members before and after (e-mail or username, with the id), limited to the users involved unless
        O(exclusive=true).
notes:
  - The API user needs the capability C(moodle/cohort:assign) (or C(moodle/cohort:manage)) in the cohort's context.
    Moodle checks it only for users who are not members yet, and then rolls back the whole request; the task fails
    naming the capability and the cohort.
  - Without C(core_cohort_get_cohorts) or C(core_cohort_search_cohorts), the cohort's name is not returned and a
    cohort that does not exist is detected by the first add request, before any other is sent.
  - A request whose answer is lost (timeout, reset connection) is reconciled by reading the members again when
    possible, otherwise by sending the add again, which is safe to repeat.
seealso:
  - module: dsenroll.moodle.moodle_user
  - name: Moodle cohorts
    description: Site administration > Users > Accounts > Cohorts.
    link: https://docs.moodle.org/en/Cohorts
"""

EXAMPLES = r"""
- name: Add the new learners to the OneMembership cohort
  dsenroll.moodle.moodle_cohort_member:
    moodle_url: https://moodle.example.org
    moodle_token: "{{ vault_moodle_token }}"
    cohort_idnumber: onemembership
    users:
      - ada.lovelace@example.org
      - username: alan.turing
      - id: 42

- name: Add every user of a list, with connection settings from module_defaults
  module_defaults:
    group/dsenroll.moodle.moodle:
      moodle_url: https://moodle.example.org
      moodle_token: "{{ vault_moodle_token }}"
      max_input_vars: 5000
  block:
    - name: Enrol the learners of the intake
      dsenroll.moodle.moodle_cohort_member:
        cohort_id: 7
        users: "{{ intake | map(attribute='email') | list }}"
      register: enrolment

    - name: Show how many were added
      ansible.builtin.debug:
        msg: "{{ enrolment.summary.added }} added, {{ enrolment.summary.member }} already members"

- name: Remove leavers from the cohort
  dsenroll.moodle.moodle_cohort_member:
    cohort_id: 7
    state: absent
    users: "{{ leavers }}"

- name: Make the cohort hold exactly these users, removing at most 10 others
  dsenroll.moodle.moodle_cohort_member:
    cohort_id: 7
    users: "{{ intake | map(attribute='email') | list }}"
    exclusive: true
    max_removals: 10
"""

RETURN = r"""
results:
  description: One entry per item of O(users), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    email:
      description: The e-mail given, when the user was given by e-mail.
      returned: when given
      type: str
      sample: ada.lovelace@example.org
    username:
      description: The username given, when the user was given by username.
      returned: when given
      type: str
      sample: alan.turing
    id:
      description: The Moodle user id (the one given, or the one found), or null when there is none.
      returned: always
      type: int
      sample: 42
    status:
      description:
        - V(added), V(member) (already was), V(removed), V(not_member) (already was not), V(failed).
        - In check mode V(would_add), V(would_remove), or V(unknown) when the membership cannot be read.
        - V(unknown) outside check mode when Moodle's answer was lost and only "is a member now" can be proven,
          or for O(state=absent) without C(core_cohort_get_cohort_members).
      returned: always
      type: str
      sample: added
    msg:
      description: Why, in words (the reason of a failure).
      returned: always
      type: str
      sample: added to the cohort
summary:
  description:
    - The number of users per status. Members removed by O(exclusive) are counted too, although they have no entry
      in RV(results).
  returned: always
  type: dict
  sample: {"added": 4998, "member": 2, "failed": 0, "removed": 0, "not_member": 0, "would_add": 0,
           "would_remove": 0, "unknown": 0}
cohort:
  description: The cohort; V(idnumber) and V(name) when the service lets the module read them.
  returned: always
  type: dict
  contains:
    id:
      description: The cohort's id; null when only O(cohort_idnumber) was given and cannot be resolved.
      returned: always
      type: int
      sample: 1
    idnumber:
      description: The cohort's idnumber.
      returned: when readable or given
      type: str
      sample: onemembership
    name:
      description: The cohort's name.
      returned: when readable
      type: str
      sample: OneMembership
diff:
  description:
    - The members before and after, in id order, each as its e-mail (else its username) with its Moodle id.
      A member the token cannot see is shown by its id alone; users not created yet (check mode) by the
      identifier given.
    - Naming members given by id costs one batched lookup (C(core_user_get_users_by_field)), in diff mode only.
  returned: in diff mode
  type: dict
  sample: {"before": {"cohort": "cohort id=1 (OneMembership)", "members": ["ada.lovelace@example.org (id 8)"]},
           "after": {"cohort": "cohort id=1 (OneMembership)",
                     "members": ["ada.lovelace@example.org (id 8)", "alan.turing@example.org (id 9)"]}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import report as membership_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.membership import apply_plan, plan_membership
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.status import FAILED
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import (
    diff_accounts,
    parse_users,
    resolve_people,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    Cohort,
    read_members,
    resolve_cohort,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils.connection import (
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        cohort_id=dict(type="int"),
        cohort_idnumber=dict(type="str"),
        users=dict(type="list", elements="raw", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        exclusive=dict(type="bool", default=False),
        max_removals=dict(type="int", default=0),
    )
    return spec


def fail(module, err, **result):
    module.fail_json(msg=str(err), **dict(result, **err.to_result()))


def parse(module):
    """Check the options that the argument spec cannot, and parse ``users``, before anything is sent."""
    params = module.params
    if params["exclusive"] and params["state"] == "absent":
        module.fail_json(msg="exclusive applies to state=present only")
    if params["max_removals"] < 0:
        module.fail_json(msg="max_removals must not be negative")
    try:
        return parse_users(params["users"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))


def plan(module, client, people):
    """Resolve the cohort and the people, read the members when the token may, and plan: reads only, so any
    failure here leaves Moodle untouched. Returns (cohort, plan)."""
    params = module.params
    cohort = Cohort(params["cohort_id"], params["cohort_idnumber"])
    try:
        cohort = resolve_cohort(client, params["cohort_id"], params["cohort_idnumber"])
        members = read_members(client, cohort)
        verify = ()
        if module.check_mode and members is not None:
            # Only check mode needs to know that an id exists; a real add is told by Moodle.
            verify = [p.userid for p in people if p.key == "id" and p.userid not in members]
        resolve_people(client, people, verify_ids=verify)
        planned = plan_membership(
            people, members, params["state"], params["exclusive"], params["max_removals"], module.check_mode
        )
    except MoodleError as err:
        fail(module, err, changed=False, cohort=cohort.to_result())
    if members is None and (module.check_mode or params["state"] == "absent"):
        module.warn(
            membership_report.members_unreadable_warning(cohort, "check mode" if module.check_mode else "state=absent")
        )
    return cohort, planned


def report(module, client, cohort, planned):
    """Exit with results, summary, changed, cohort (and diff); fail on a fatal error or when any user failed."""
    result = dict(
        changed=membership_report.changed(planned),
        results=membership_report.results(planned),
        summary=membership_report.summary(planned),
        cohort=cohort.to_result(),
    )
    if module._diff:
        # Name the members the diff shows (one batched lookup for those given by id).
        people = [membership.person for membership in planned.memberships]
        accounts = diff_accounts(client, people, membership_report.diff_user_ids(planned, module.params["exclusive"]))
        result["diff"] = membership_report.diff(planned, cohort, module.params["exclusive"], accounts)
    if planned.fatal is not None:
        fail(module, planned.fatal, **result)
    failed = [m for m in planned.memberships if m.status == FAILED]
    if failed:
        module.fail_json(
            msg="%d of %d users failed; first: %s: %s"
            % (len(failed), len(planned.memberships), failed[0].person.describe(), failed[0].msg),
            **result,
        )
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("cohort_id", "cohort_idnumber")],
        required_one_of=[("cohort_id", "cohort_idnumber")],
        supports_check_mode=True,
    )
    people = parse(module)
    client = client_from_module(module)
    cohort, planned = plan(module, client, people)
    if not module.check_mode:
        apply_plan(client, cohort, planned)
    report(module, client, cohort, planned)


if __name__ == "__main__":
    main()
