#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: moodle_user
short_description: Find or create Moodle users by e-mail, one or thousands per task
version_added: 0.1.0
description:
  - Makes sure Moodle users exist (O(state=present)) or do not exist (O(state=absent)), matching them
    by e-mail (letter case ignored, whatever Moodle's database does), username or idnumber.
  - Give one user with the top-level options, or many with O(users). Lookups, creates, updates and deletes
    are sent in batches that fit the site's C(max_input_vars), never one request per user.
  - Every record is checked locally before anything is written (names, e-mail syntax, username rules, password,
    duplicates in the input). A record that cannot be processed ends as V(failed) with a reason and is never sent;
    the others are still processed, and the task then fails with a message that counts the failed users.
  - Because C(core_user_create_users) is all-or-nothing, a batch Moodle refuses is split until each refused user
    is alone; the others are created. A create whose answer was lost is reconciled by looking the users up again,
    never by sending it blindly again, so nobody is created twice (also with two runs at once).
  - Before it trusts "not found", the module proves that the token can see other users' e-mail addresses;
    otherwise it fails before any create, instead of creating duplicates.
  - Needs C(core_user_get_users_by_field) and C(core_user_create_users) in the token's service;
    C(core_user_update_users) for O(update=true), C(core_user_delete_users) for O(state=absent), and
    optionally C(core_user_get_users) to find an account whose stored e-mail differs in letter case.
author:
  - dsenroll.moodle contributors (@dsenroll)
extends_documentation_fragment:
  - dsenroll.moodle.connection
  - dsenroll.moodle.attributes
  - dsenroll.moodle.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details:
      - Only lookups are sent. V(would_create), V(would_update) and V(would_delete) are what a real run does.
      - On a site whose database compares e-mails case-sensitively (PostgreSQL), check mode also asks
        C(core_user_get_users), one request per user it would create, for an account whose e-mail differs in
        letter case; without that function in the service it predicts V(would_create) for such a user, which the
        real run reports as V(failed) with the reason.
  diff_mode:
    support: full
    details:
      - The diff lists, keyed by e-mail, the users created, the fields updated and the users deleted; a second
        part lists the fields in which existing users differ from the input when O(update=false).
      - Passwords never appear.
options:
  email:
    description:
      - E-mail address of one user. Required with O(state=present).
      - Compared case-insensitively with Moodle's accounts. Sent to Moodle trimmed, letter case as given.
    type: str
  username:
    description:
      - Username of the user. Must already be valid for Moodle (lowercase, only C(a-z 0-9 . _ - @)); it is not
        rewritten.
      - When not given, it is derived from O(email) for new users - the e-mail trimmed and lowercased, every
        character other than C(a-z 0-9 . _ - @) replaced by C(_) (C(Anne.O'Neil+x@Example.org) becomes
        C(anne.o_neil_x@example.org)) - and an existing user's username is left alone.
    type: str
  firstname:
    description:
      - First name. Required to create a user.
    type: str
  lastname:
    description:
      - Last name. Required to create a user.
    type: str
  idnumber:
    description:
      - ID number (an external identifier). Matched exactly with O(match_by=idnumber).
    type: str
  auth:
    description:
      - Authentication plugin, for example V(manual), V(ldap), V(oauth2).
      - New users get V(manual) when it is not given. For an existing user it is compared only when given, and
        changed only with O(update=true).
    type: str
  password:
    description:
      - Password of a new user; must meet the site's password policy. Never returned, never shown in a diff.
      - Used only on create; an existing user's password is never compared or changed.
      - V(manual) users need O(password) or O(create_password).
    type: str
  create_password:
    description:
      - Let Moodle generate a password for a new user and e-mail it; the user must change it at first login.
    type: bool
  lang:
    description: Preferred language code, for example V(en). Must be installed on the site.
    type: str
  timezone:
    description: Timezone, for example V(Europe/Paris), or V(99) for the site's default.
    type: str
  city:
    description: City or town.
    type: str
  country:
    description: Two-letter country code, for example V(FR).
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
    description:
      - Custom profile fields as a dictionary of field shortname to value.
      - Moodle silently ignores unknown shortnames, so such a field shows as differing on every run.
    type: dict
  users:
    description:
      - Many users at once, each a dictionary with the keys of the single-user options above
        (O(email), O(username), O(firstname), O(lastname), O(idnumber), O(auth), O(password), O(create_password),
        O(lang), O(timezone), O(city), O(country), O(department), O(institution), O(phone1), O(description),
        O(customfields)).
      - Mutually exclusive with the single-user options. Results are returned in the same order.
      - Two entries with the same e-mail (in any letter case), or the same O(match_by) value, are both V(failed);
        the module never guesses which one is meant.
    type: list
    elements: dict
    suboptions:
      email:
        description: See O(email).
        type: str
      username:
        description: See O(username).
        type: str
      firstname:
        description: See O(firstname).
        type: str
      lastname:
        description: See O(lastname).
        type: str
      idnumber:
        description: See O(idnumber).
        type: str
      auth:
        description: See O(auth).
        type: str
      password:
        description: See O(password).
        type: str
      create_password:
        description: See O(create_password).
        type: bool
      lang:
        description: See O(lang).
        type: str
      timezone:
        description: See O(timezone).
        type: str
      city:
        description: See O(city).
        type: str
      country:
        description: See O(country).
        type: str
      department:
        description: See O(department).
        type: str
      institution:
        description: See O(institution).
        type: str
      phone1:
        description: See O(phone1).
        type: str
      description:
        description: See O(description).
        type: str
      customfields:
        description: See O(customfields).
        type: dict
  match_by:
    description:
      - Which field identifies an existing Moodle account.
      - V(email) ignores letter case. V(username) and V(idnumber) match exactly.
      - Two Moodle accounts matching one user make that user V(failed) (ambiguous), never a guess.
    type: str
    choices: [email, username, idnumber]
    default: email
  state:
    description:
      - V(present) finds the user and creates it when missing. V(absent) deletes the matching account
        (needs C(core_user_delete_users) in the service).
    type: str
    choices: [present, absent]
    default: present
  update:
    description:
      - When V(false), an existing user is left as it is; the fields in which it differs from the input are named
        in its result's C(msg) and shown in the diff.
      - When V(true), the differing fields are changed with C(core_user_update_users) (it must be in the service).
    type: bool
    default: false
  batch_size:
    description:
      - Most users per create, update or delete request. Requests are also kept under O(max_input_vars).
      - A create is one database transaction in Moodle; smaller batches answer sooner (see O(timeout)).
    type: int
    default: 100
notes:
  - Deleted Moodle accounts are never matches.
  - "On a site with C(allowaccountssameemail) on and a case-sensitive database, an account whose stored e-mail
    differs in letter case from the input cannot be seen by the lookups; add C(core_user_get_users) to the service
    and use check mode first if that matters."
  - "Many distinct O(password) values make Ansible's masking of secrets in the result slow on very large lists
    (tens of thousands); prefer O(create_password) there."
seealso:
  - module: dsenroll.moodle.moodle_cohort_member
  - name: Moodle web services
    description: Set up the service, its functions and the token.
    link: https://docs.moodle.org/en/Using_web_services
"""

EXAMPLES = r"""
- name: Make sure one learner exists (created with a generated password when missing)
  dsenroll.moodle.moodle_user:
    moodle_url: https://moodle.example.org
    moodle_token: "{{ vault_moodle_token }}"
    email: ada.lovelace@example.org
    firstname: Ada
    lastname: Lovelace
    create_password: true
  register: ada

- name: Create every learner of a vars file that does not exist yet
  dsenroll.moodle.moodle_user:
    moodle_url: https://moodle.example.org
    moodle_token: "{{ vault_moodle_token }}"
    max_input_vars: 5000
    users: "{{ learners }}"   # from vars/learners.yml: a list of {email, firstname, lastname, department, ...}
  vars:
    learners: "{{ lookup('ansible.builtin.file', 'vars/learners.yml') | from_yaml }}"
  register: created

# The next tasks take moodle_url and moodle_token from module_defaults (group/dsenroll.moodle.moodle)
# or from the MOODLE_BASE_URL and MOODLE_TOKEN environment variables.
- name: Preview what would be created or changed, without writing anything
  dsenroll.moodle.moodle_user:
    users: "{{ learners }}"
    update: true
  check_mode: true
  diff: true
  register: preview

- name: Show the would-be creations
  ansible.builtin.debug:
    msg: "{{ preview.results | selectattr('status', 'equalto', 'would_create') | map(attribute='email') | list }}"

- name: Remove a test account, found by username
  dsenroll.moodle.moodle_user:
    match_by: username
    username: test.account
    state: absent
"""

RETURN = r"""
results:
  description:
    - One entry per input user, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    email:
      description: The e-mail address as given (trimmed).
      type: str
      sample: ada.lovelace@example.org
    username:
      description: The Moodle username (of the account found, or of the one created or to be created).
      type: str
      sample: ada.lovelace@example.org
    id:
      description: The Moodle user id; null when no account exists (yet).
      type: int
      sample: 42
    status:
      description:
        - V(created), V(would_create) (check mode), V(exists), V(updated), V(would_update), V(deleted),
          V(would_delete), V(absent) (nothing to delete) or V(failed).
      type: str
      sample: created
    msg:
      description:
        - Why the user failed, or for V(exists) which fields differ from the input; empty otherwise.
      type: str
      sample: "password or create_password is required to create a user with auth manual"
summary:
  description: How many users ended in each status (every status is listed).
  returned: always
  type: dict
  sample: {"created": 998, "would_create": 0, "exists": 1, "updated": 0, "would_update": 0, "deleted": 0,
           "would_delete": 0, "absent": 0, "failed": 1}
user:
  description: The single user's entry of RV(results), when the single-user options were used.
  returned: when O(users) is not used
  type: dict
  sample: {"email": "ada.lovelace@example.org", "username": "ada.lovelace@example.org", "id": 42,
           "status": "created", "msg": ""}
diff:
  description:
    - Before and after, keyed by e-mail. The first entry holds what changed; a second entry, when
      O(update=false), what differs but was left as it is.
  returned: in diff mode
  type: list
  elements: dict
  sample: [{"before_header": "Moodle users", "after_header": "Moodle users", "before": {},
            "after": {"ada.lovelace@example.org": {"email": "ada.lovelace@example.org", "firstname": "Ada"}}}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsenroll.moodle.plugins.module_utils.connection import (
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils.user_options import user_options
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import report as user_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import UserCreator
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import (
    fail_undecided,
    finish_check_mode,
    local_outcomes,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan as plan_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import USER_FIELDS, UserRecord, validate
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.delete import delete_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.update import update_users


def argument_spec():
    spec = connection_argument_spec()
    spec.update(user_options())
    spec.update(
        users=dict(type="list", elements="dict", options=user_options()),
        match_by=dict(type="str", choices=["email", "username", "idnumber"], default="email"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        update=dict(type="bool", default=False),
        batch_size=dict(type="int", default=100),
    )
    return spec


def input_users(params):
    """The list of user dicts, from ``users`` or from the single-user options."""
    if params["users"] is not None:
        return params["users"]
    return [dict((name, params[name]) for name in USER_FIELDS)]


def parse(module):
    """Validate every input user locally, before anything is sent."""
    params = module.params
    if params["batch_size"] < 1:
        module.fail_json(msg="batch_size must be at least 1")
    return validate(
        [UserRecord(i, spec, params["match_by"]) for i, spec in enumerate(input_users(params))], params["state"]
    )


def plan(module, client, records):
    """Match and plan (lookups only); return (outcomes, the error that stopped the lookups or None)."""
    params = module.params
    try:
        return plan_users(client, records, params["state"], params["update"], confirm_case=module.check_mode), None
    except MoodleError as err:
        return fail_undecided(local_outcomes(records), "not looked up: %s" % err), err


def apply(module, client, outcomes):
    """Carry out the pending actions: creates first, so that users found at create time can be updated.
    Returns the error that stopped the creates, or None."""
    params = module.params
    creator = UserCreator(client, batch_size=params["batch_size"], update=params["update"])
    creator.run(outcomes)
    update_users(client, outcomes, params["batch_size"])
    delete_users(client, outcomes, params["batch_size"])
    return creator.fatal


def report(module, outcomes, fatal):
    """Exit with results, summary, changed (and user, diff); fail when any user failed."""
    result = dict(
        changed=user_report.changed(outcomes),
        results=user_report.results(outcomes),
        summary=user_report.summary(outcomes),
    )
    if module.params["users"] is None:
        result["user"] = result["results"][0]
    if module._diff:
        result["diff"] = user_report.diff(outcomes)
    message = user_report.failure_message(outcomes)
    if fatal is not None:
        # One error stopped the lookups or the creates: lead with it and what to change in Moodle.
        if isinstance(fatal, MoodleError):
            result.update(fatal.to_result())
        remediation = getattr(fatal, "remediation", "")
        message = "%s. %s(%d of %d users failed)" % (
            fatal,
            remediation + " " if remediation else "",
            result["summary"]["failed"],
            len(outcomes),
        )
    if message:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("users", name) for name in USER_FIELDS],
        required_one_of=[("users", "email", "username", "idnumber")],
        supports_check_mode=True,
    )
    records = parse(module)
    client = client_from_module(module)
    outcomes, fatal = plan(module, client, records)
    if module.check_mode:
        finish_check_mode(outcomes)
    elif fatal is None:
        fatal = apply(module, client, outcomes)
    report(module, fail_undecided(outcomes, "not processed"), fatal)


if __name__ == "__main__":
    main()
