# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the readiness checks report for the setup guide's token, in order (docs/checks.md)."""

GUIDE_CHECK_ORDER = [
    "endpoint",
    "transport",
    "webservices_rest",
    "token",
    "service_access",
    "function:core_user_get_users_by_field",
    "function:core_user_create_users",
    "function:core_cohort_add_cohort_members",
    "user_visibility",
    "capability:moodle/user:create",
    "cohort",
    "least_privilege",
]
