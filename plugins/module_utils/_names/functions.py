# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Moodle web service functions this collection calls, spelled once, and which of them only read."""

SITE_INFO = "core_webservice_get_site_info"

GET_USERS_BY_FIELD = "core_user_get_users_by_field"
SEARCH_USERS = "core_user_get_users"
CREATE_USERS = "core_user_create_users"
UPDATE_USERS = "core_user_update_users"
DELETE_USERS = "core_user_delete_users"

GET_COHORTS = "core_cohort_get_cohorts"
SEARCH_COHORTS = "core_cohort_search_cohorts"
GET_COHORT_MEMBERS = "core_cohort_get_cohort_members"
ADD_COHORT_MEMBERS = "core_cohort_add_cohort_members"
DELETE_COHORT_MEMBERS = "core_cohort_delete_cohort_members"

# Functions that never write: safe to repeat after any failure.
READ_ONLY = frozenset((SITE_INFO, GET_USERS_BY_FIELD, SEARCH_USERS, GET_COHORTS, SEARCH_COHORTS, GET_COHORT_MEMBERS))

# What the enrolment modules need at the least: look users up, create them, add them to a cohort.
ENROLMENT_FUNCTIONS = (GET_USERS_BY_FIELD, CREATE_USERS, ADD_COHORT_MEMBERS)


def is_read_only(wsfunction):
    return wsfunction in READ_ONLY
