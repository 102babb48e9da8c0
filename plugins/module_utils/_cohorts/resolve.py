# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the cohort and reading its members, with whatever functions the token's service has.

The smallest service that can enrol has only core_user_get_users_by_field, core_user_create_users and
core_cohort_add_cohort_members: every read here is optional, and "not in the service" (or a missing
view capability) simply means "not readable", leaving the add call's warnings to tell (docs/moodle-behaviour.md#cohort-add-warnings).
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    AccessDeniedError,
    MissingCapabilityError,
    MoodleError,
    NotFoundError,
    UnknownFunctionError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import COHORTS, function_hint
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    GET_COHORT_MEMBERS,
    GET_COHORTS,
    SEARCH_COHORTS,
)

# core_cohort_search_cohorts pages by page number (limitfrom) of limitnum cohorts.
SEARCH_PAGE = 100


class CohortNotFoundError(MoodleError):
    remediation = (
        "Check cohort_id / cohort_idnumber at %s. The idnumber is the cohort's 'Cohort ID' field, "
        "matched exactly, letter case included." % COHORTS
    )


class FunctionRequiredError(MoodleError):
    """The task needs a function the token's service does not offer."""

    def __init__(self, message, wsfunction):
        super(FunctionRequiredError, self).__init__(message, wsfunction, remediation=function_hint(wsfunction))


class Cohort(object):
    """The cohort as far as it is known: the id may stay unknown when only the idnumber was given."""

    def __init__(self, cohortid=None, idnumber=None, name=None):
        self.id = cohortid
        self.idnumber = idnumber
        self.name = name

    def reference(self):
        """How core_cohort_add_cohort_members is told which cohort (``cohorttype``)."""
        if self.id is not None:
            return {"type": "id", "value": self.id}
        return {"type": "idnumber", "value": self.idnumber}

    def label(self):
        text = "cohort id=%s" % self.id if self.id is not None else "cohort idnumber=%s" % self.idnumber
        if self.name:
            text += " (%s)" % self.name
        return text

    def to_result(self):
        result = {"id": self.id}
        for key in ("idnumber", "name"):
            if getattr(self, key) is not None:
                result[key] = getattr(self, key)
        return result


def _unreadable(err):
    """True for "this token may not call/see this": the function is absent, or the view capability is."""
    return isinstance(err, (AccessDeniedError, MissingCapabilityError, UnknownFunctionError))


def _from_record(record):
    return Cohort(record.get("id"), record.get("idnumber"), record.get("name"))


def _search_by_idnumber(client, idnumber):
    """The cohort whose idnumber is exactly ``idnumber`` among all cohorts, or None.

    core_cohort_search_cohorts matches a case-insensitive substring of name, idnumber and
    description (docs/moodle-behaviour.md#cohort-reads-and-removals), so results are filtered exactly here, page by page.
    """
    page = 0
    while True:
        result = (
            client.call(
                SEARCH_COHORTS,
                {
                    "query": idnumber,
                    "context": {"contextlevel": "system", "instanceid": 0},
                    "includes": "all",
                    "limitfrom": page,
                    "limitnum": SEARCH_PAGE,
                },
            )
            or {}
        )
        cohorts = result.get("cohorts") or []
        for record in cohorts:
            if record.get("idnumber") == idnumber:
                return _from_record(record)
        if len(cohorts) < SEARCH_PAGE:
            return None
        page += 1


def resolve_cohort(client, cohort_id=None, cohort_idnumber=None):
    """The Cohort the task names; raises CohortNotFoundError when a read proves it does not exist.

    When no read function is available the Cohort keeps only what was given; the first add call
    then tells whether it exists ("cohort id=N not exists").
    """
    if cohort_id is not None:
        try:
            found = client.call(GET_COHORTS, {"cohortids": [cohort_id]}) or []
        except MoodleError as err:
            if _unreadable(err):
                return Cohort(cohort_id)
            raise
        for record in found:
            if record.get("id") == cohort_id:
                return _from_record(record)
        raise CohortNotFoundError("no cohort with id %d" % cohort_id, GET_COHORTS)

    try:
        cohort = _search_by_idnumber(client, cohort_idnumber)
    except MoodleError as err:
        if not _unreadable(err):
            raise
        try:
            found = client.call(GET_COHORTS, {}) or []
        except MoodleError as err2:
            if _unreadable(err2):
                return Cohort(idnumber=cohort_idnumber)
            raise
        matches = [r for r in found if r.get("idnumber") == cohort_idnumber]
        cohort = _from_record(matches[0]) if matches else None
    if cohort is None:
        raise CohortNotFoundError("no cohort with idnumber %r" % cohort_idnumber, SEARCH_COHORTS)
    return cohort


def read_members(client, cohort):
    """The set of the cohort's member ids, or None when the token cannot read them.

    Needs core_cohort_get_cohort_members in the service and moodle/cohort:view (docs/moodle-behaviour.md#cohort-reads-and-removals).
    """
    if cohort.id is None:
        return None
    try:
        result = client.call(GET_COHORT_MEMBERS, {"cohortids": [cohort.id]}) or []
    except MoodleError as err:
        if _unreadable(err):
            return None
        if isinstance(err, NotFoundError):
            raise CohortNotFoundError("no cohort with id %d" % cohort.id, GET_COHORT_MEMBERS)
        raise
    for entry in result:
        if entry.get("cohortid") == cohort.id:
            return set(int(uid) for uid in entry.get("userids") or [])
    return set()
