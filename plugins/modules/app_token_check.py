#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: app_token_check
short_description: Check the application's .env file and scan files for a leaked Moodle token
version_added: 0.1.0
description:
  - Checks the application host's side of the Moodle web services set-up, the C(.env) file the application
    reads the token from, and the places the token must never go.
  - "V(env_file:keys): O(env_file) defines every key of O(env_keys) with a value."
  - "V(env_file:permissions): O(env_file) is neither readable nor writable by other users."
  - "V(env_file:git): inside a git work tree, O(env_file) is not tracked, not in the history, and is ignored."
  - "V(token_leaks): no file under O(leak_scan_paths) other than O(env_file) contains the token; every such file is
    reported by path and line number."
  - Read-only. The token is never returned or printed, not even at high verbosity.
  - The module does not fail when a check fails; it reports in RV(checks) and RV(ready). The
    C(dsenroll.moodle.preflight) role prints these checks with those of M(dsenroll.moodle.moodle_ws_info).
author:
  - dsenroll.moodle contributors (@dsenroll)
options:
  env_file:
    description:
      - Path of the application's dotenv file, for example C(/var/www/ds-enroll-ms/.env).
      - When not set, only the leak scan runs.
    type: path
  env_keys:
    description:
      - The keys O(env_file) must define with a non-empty value.
    type: list
    elements: str
    default: [MOODLE_BASE_URL, MOODLE_TOKEN, MOODLE_ONEMEMBERSHIP_COHORT_ID]
  leak_scan_paths:
    description:
      - Files and directories to scan for the token, for a Laravel application for example C(resources/views),
        C(public), C(storage/logs). Directories are scanned recursively, without following links and skipping
        C(.git).
    type: list
    elements: path
    default: []
  moodle_token:
    description:
      - The token to look for. When not set, the environment variable E(MOODLE_TOKEN) is used, then
        C(MOODLE_TOKEN) from O(env_file).
      - Also compared with the C(MOODLE_TOKEN) of O(env_file); a difference is a warning.
    type: str
attributes:
  check_mode:
    support: full
    details: The module never changes anything, in check mode or not.
  diff_mode:
    support: none
extends_documentation_fragment:
  - dsenroll.moodle.attributes
requirements:
  - git, for the V(env_file:git) check (skipped without it)
notes:
  - Not in the C(dsenroll.moodle.moodle) action group, it does not talk to Moodle and takes none of its connection
    options.
"""

EXAMPLES = r"""
- name: Check a Laravel application's .env and look for the token where it must never be
  dsenroll.moodle.app_token_check:
    env_file: /var/www/ds-enroll-ms/.env
    leak_scan_paths:
      - /var/www/ds-enroll-ms/resources/views
      - /var/www/ds-enroll-ms/public
      - /var/www/ds-enroll-ms/storage/logs
  register: app_checks

- name: Stop when the token leaked
  ansible.builtin.assert:
    that: app_checks.ready
    fail_msg: "{{ app_checks.checks | selectattr('status', 'equalto', 'fail') | map(attribute='summary') | join('; ') }}"
"""

RETURN = r"""
ready:
  description: True when no check failed.
  returned: always
  type: bool
  sample: false
checks:
  description:
    - The checks that ran, in the order V(env_file:keys), V(env_file:permissions), V(env_file:git) (when
      O(env_file) is set), V(token_leaks) (when O(leak_scan_paths) is not empty).
    - Each has the same keys as the checks of M(dsenroll.moodle.moodle_ws_info).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check's id.
      type: str
      sample: env_file:permissions
    status:
      description: V(pass), V(fail), V(warn) or V(skip).
      type: str
      sample: fail
    summary:
      description: What was found; never contains the token.
      type: str
      sample: /var/www/ds-enroll-ms/.env is readable by every user of this host (mode 0644)
    remediation:
      description: What to do; empty when there is nothing to do.
      type: str
      sample: chmod 600 /var/www/ds-enroll-ms/.env (or 640 with the web server's group as the file's group).
leaks:
  description: The files other than O(env_file) that contain the token, with the numbers of the lines.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    lines:
      description: The line numbers, from 1.
      type: list
      elements: int
  sample:
    - path: /var/www/ds-enroll-ms/storage/logs/laravel.log
      lines: [12, 40]
"""

import re

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks.local import (
    ENV_KEYS,
    env_git_check,
    env_keys_check,
    env_permissions_check,
    leak_check,
    read_env,
)

SECRET_KEY = re.compile(r"TOKEN|PASSWORD|SECRET|KEY", re.I)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            env_file=dict(type="path"),
            env_keys=dict(type="list", elements="str", default=list(ENV_KEYS), no_log=False),
            leak_scan_paths=dict(type="list", elements="path", default=[]),
            moodle_token=dict(type="str", no_log=True, fallback=(env_fallback, ["MOODLE_TOKEN"])),
        ),
        supports_check_mode=True,
        required_one_of=[("env_file", "leak_scan_paths")],
    )
    params = module.params
    token = params["moodle_token"] or None
    env_file = params["env_file"]
    checks = []

    if env_file:
        values = read_env(env_file)
        for key, value in (values or {}).items():
            # Never echo a secret of the .env (short values would mask unrelated output, e.g. line numbers).
            if SECRET_KEY.search(key) and len(value) >= 8:
                module.no_log_values.add(value)
        checks.append(env_keys_check(env_file, values, params["env_keys"], token))
        checks.append(env_permissions_check(env_file))
        git = module.get_bin_path("git")

        def run(args, cwd):
            return module.run_command([git] + args, cwd=cwd)

        checks.append(env_git_check(env_file, run if git else None))
        token = token or (values or {}).get("MOODLE_TOKEN") or None

    leaks = []
    if params["leak_scan_paths"]:
        leak, leaks = leak_check(params["leak_scan_paths"], token, env_file)
        checks.append(leak)

    module.exit_json(changed=False, ready=not any(c["status"] == "fail" for c in checks), checks=checks, leaks=leaks)


if __name__ == "__main__":
    main()
