#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: moodle_ws_info
short_description: Check that a Moodle site is set up for enrolment through its REST web services
version_added: 0.1.0
description:
  - Checks a live Moodle site's web services set-up for enrolment and reports, check by
    check, what is wrong and where in Moodle's administration to fix it.
  - "The checks, always in this order: V(endpoint), V(transport), V(webservices_rest), V(token), V(service_access),
    V(function:<name>) for each of O(required_functions), V(user_visibility), V(capability:moodle/user:create),
    V(cohort), V(least_privilege). See C(docs/checks.md) in the collection for what each covers."
  - Read-only. Besides reads, it only sends probes that Moodle must refuse before it could write anything, for
    example a user creation with a blank username (refused after the capability check, before any insert).
  - The module does not fail when checks fail; it reports them in RV(checks) and RV(ready). It fails only on
    invalid options. The C(dsenroll.moodle.preflight) role prints the report as a checklist and fails the play.
  - Without Moodle's debugging on, an expired token, an IP restriction, a missing C(webservice/rest:use) capability
    and a function missing from the service all answer "Access control exception"; the module tells them apart by
    probing several functions and, when it cannot, lists the causes that remain, most likely first.
author:
  - dsenroll.moodle contributors (@dsenroll)
options:
  required_functions:
    description:
      - The web service functions the token's service must offer.
      - The default is the three functions the enrolment modules use.
    type: list
    elements: str
    default: [core_user_get_users_by_field, core_user_create_users, core_cohort_add_cohort_members]
  cohort_id:
    description:
      - Numeric id of the target cohort (for example the OneMembership cohort, E(MOODLE_ONEMEMBERSHIP_COHORT_ID)).
      - The V(cohort) check is skipped when neither O(cohort_id) nor O(cohort_idnumber) is given.
    type: int
  cohort_idnumber:
    description:
      - ID number of the target cohort (exact, case-sensitive, as Moodle matches it).
    type: str
  probe_capabilities:
    description:
      - Whether to run the probes that call a write function with input Moodle must refuse before any insert
        (a user creation with a blank username; a cohort member addition for the non-existent user id 0).
      - They prove the C(moodle/user:create) capability and the cohort's existence when no read function can.
      - With V(false), write functions are only called with an unknown parameter, which Moodle refuses before
        running the function, and the V(capability:moodle/user:create) check is skipped.
    type: bool
    default: true
extends_documentation_fragment:
  - dsenroll.moodle.connection
  - dsenroll.moodle.attributes
  - dsenroll.moodle.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: The module never changes anything, in check mode or not.
  diff_mode:
    support: none
notes:
  - Add C(core_webservice_get_site_info) to the token's service to get the site's details, the exact list of
    functions and the V(least_privilege) check; it is not counted as an extra function.
  - A failure of V(endpoint), V(webservices_rest), V(token) or V(service_access) skips the checks after it.
seealso:
  - name: Moodle web services documentation
    description: Enabling web services, external services and tokens.
    link: https://docs.moodle.org/en/Using_web_services
"""

EXAMPLES = r"""
- name: Check the Moodle set-up with the connection from MOODLE_BASE_URL and MOODLE_TOKEN
  dsenroll.moodle.moodle_ws_info:
    cohort_id: 1
  register: moodle_readiness

- name: Show what failed and where to fix it
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.summary }} -- {{ item.remediation }}"
  loop: "{{ moodle_readiness.checks | selectattr('status', 'equalto', 'fail') | list }}"
  loop_control:
    label: "{{ item.id }}"

- name: Check a site for a service with more functions, without probing write functions
  dsenroll.moodle.moodle_ws_info:
    moodle_url: https://moodle.example.org
    moodle_token: "{{ vault_moodle_token }}"
    required_functions:
      - core_user_get_users_by_field
      - core_user_create_users
      - core_cohort_add_cohort_members
      - core_cohort_get_cohort_members
    cohort_idnumber: onemembership
    probe_capabilities: false
  register: moodle_readiness

- name: Stop unless the site is ready
  ansible.builtin.assert:
    that: moodle_readiness.ready
    fail_msg: "Moodle is not ready: {{ moodle_readiness.checks | selectattr('status', 'equalto', 'fail') | map(attribute='id') | join(', ') }}"
"""

RETURN = r"""
ready:
  description: True when no check failed (warnings and skipped checks do not count).
  returned: always
  type: bool
  sample: true
checks:
  description: The checks, in a fixed order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: >-
        V(endpoint), V(transport), V(webservices_rest), V(token), V(service_access), V(function:<name>),
        V(user_visibility), V(capability:moodle/user:create), V(cohort) or V(least_privilege).
      type: str
      sample: function:core_user_create_users
    status:
      description: V(pass), V(fail), V(warn) or V(skip) (not checked, the summary says why).
      type: str
      sample: fail
    summary:
      description: What was found.
      type: str
      sample: not in the token's service
    remediation:
      description: What to change and where in Moodle's administration; empty when there is nothing to do.
      type: str
      sample: >-
        Site administration > Server > Web services > External services > <the token's service> > Functions:
        add core_user_create_users.
  sample:
    - id: endpoint
      status: pass
      summary: https://moodle.example.org/webservice/rest/server.php answers as a Moodle web service endpoint
      remediation: ""
site:
  description:
    - The site and the token's user, from C(core_webservice_get_site_info); empty when the service lacks it.
    - Never contains the user's private access key.
  returned: always
  type: dict
  contains:
    sitename:
      description: The site's full name.
      type: str
    release:
      description: Moodle's release string.
      type: str
    version:
      description: Moodle's version number.
      type: str
    username:
      description: The token's user.
      type: str
    userid:
      description: The token's user id.
      type: int
    userissiteadmin:
      description: Whether the token's user is a site administrator.
      type: bool
  sample:
    sitename: Moodle Lab
    release: "4.4.3+ (Build: 20240910)"
    version: "2024042203.03"
    username: ds-enroll-api
    userid: 3
    userissiteadmin: false
functions:
  description:
    - The functions the token may call, sorted. Exact when C(core_webservice_get_site_info) is in the service;
      otherwise only the required functions that a probe proved callable.
  returned: always
  type: list
  elements: str
  sample: [core_cohort_add_cohort_members, core_user_create_users, core_user_get_users_by_field]
missing_functions:
  description: The required functions the token cannot call.
  returned: always
  type: list
  elements: str
  sample: [core_user_create_users]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsenroll.moodle.plugins.module_utils.connection import (
    client_from_module,
    connection_argument_spec,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._checks.site import assess
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import ENROLMENT_FUNCTIONS


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        required_functions=dict(type="list", elements="str", default=list(ENROLMENT_FUNCTIONS)),
        cohort_id=dict(type="int"),
        cohort_idnumber=dict(type="str"),
        probe_capabilities=dict(type="bool", default=True),
    )
    module = AnsibleModule(
        argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[("cohort_id", "cohort_idnumber")]
    )
    params = module.params
    required = [name.strip() for name in params["required_functions"]]
    if not all(required):
        module.fail_json(msg="required_functions must not contain empty names")
    if params["cohort_id"] is not None and params["cohort_id"] <= 0:
        module.fail_json(msg="cohort_id must be a positive cohort id")

    client = client_from_module(module)
    try:
        report = assess(
            client,
            required_functions=required,
            cohort_id=params["cohort_id"],
            cohort_idnumber=params["cohort_idnumber"] or None,
            probe_capabilities=params["probe_capabilities"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
        )
    finally:
        client.close()
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
