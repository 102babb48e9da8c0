# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things are in Moodle's administration: the paths every remediation names."""

WS_ADMIN = "Site administration > Server > Web services"
TOKENS = "%s > Manage tokens" % WS_ADMIN
SERVICE = "External services > <the token's service>"
ROLES = "Site administration > Users > Permissions > Define roles"
COHORTS = "Site administration > Users > Accounts > Cohorts"
USERS = "Site administration > Users > Browse list of users"


def function_hint(wsfunction):
    """Where an admin adds ``wsfunction`` to the token's service."""
    return "%s > %s > Functions: add %s" % (WS_ADMIN, SERVICE, wsfunction)
