# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of one user, as moodle_user takes them (top level or in ``users``) and moodle_enrol in ``users``.

Defined once here; each module documents them in its own words.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import USER_FIELDS


def user_options():
    options = dict((name, dict(type="str")) for name in USER_FIELDS)
    options["password"] = dict(type="str", no_log=True)
    # A flag, not a secret: no_log=False silences the "password" in its name.
    options["create_password"] = dict(type="bool", no_log=False)
    options["customfields"] = dict(type="dict")
    return options
