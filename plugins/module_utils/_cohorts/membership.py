# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cohort membership: plan what must change, then add and remove in batches, reading each outcome.

Exact even with only core_cohort_add_cohort_members (FACTS.md 6 and 9): no warning = added, warning
"3" = already a member. When the members can be read first (core_cohort_get_cohort_members), only
what must change is sent and check mode is exact too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import add_warnings as cw
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import KEY_WORDS
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.status import (
    ADDED,
    FAILED,
    MEMBER,
    NOT_MEMBER,
    REMOVED,
    UNKNOWN,
    WOULD_ADD,
    WOULD_REMOVE,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    CohortNotFoundError,
    FunctionRequiredError,
    read_members,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    AccessDeniedError,
    MissingCapabilityError,
    MoodleError,
    NotFoundError,
    OutcomeUnknownError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import ADD_COHORT_MEMBERS, DELETE_COHORT_MEMBERS, GET_COHORT_MEMBERS

ASSIGN_CAPABILITY = "moodle/cohort:assign"


class CohortAssignDeniedError(MoodleError):
    """nopermissions from an add or delete: Moodle rolled the whole call back (FACTS.md 6)."""

    remediation = (
        "Give the API user's role the capability moodle/cohort:assign (or moodle/cohort:manage) in the cohort's "
        "context: Site administration > Users > Permissions > Define roles for a system cohort, or the category's "
        "Permissions page for a category cohort.")


class TooManyRemovalsError(MoodleError):
    remediation = "Check users, or raise max_removals to the number of members you mean to remove."


class Plan(object):
    """What the task will do: statuses decided up front, and the user ids to add and to remove."""

    def __init__(self, people, members):
        self.people = people
        self.members = members  # the member ids read first, or None when unreadable
        self.to_add = []
        self.to_remove = []
        self.extra = []  # members removed because exclusive, not in users
        self.outcomes = {}  # user id -> (status, msg) once applied
        self.extra_status = {}  # user id -> status, for the exclusive removals
        self.fatal = None  # the MoodleError that stopped the run


def _set(person, status, msg):
    person.status = status
    person.msg = msg


def _missing_msg(person):
    return "no Moodle user with this %s" % KEY_WORDS[person.key]


def plan_membership(people, members, state="present", exclusive=False, max_removals=0, check_mode=False):
    """Decide each person's status, or what to send; raises before any write when the task cannot be done."""
    plan = Plan(people, members)
    queued = set()
    for person in people:
        if person.error:
            _set(person, FAILED, person.error)
        elif person.missing and state == "absent":
            _set(person, NOT_MEMBER, _missing_msg(person) + ", so not a member")
        elif person.missing and check_mode and person.key != "id":
            # A moodle_user task in check mode only predicted this account (the seed playbook).
            _set(person, WOULD_ADD, _missing_msg(person) + " yet: would be added once the account exists")
        elif person.missing:
            _set(person, FAILED, _missing_msg(person))
        elif members is not None and (person.userid in members) == (state == "present"):
            _set(person, MEMBER if state == "present" else NOT_MEMBER,
                 "already a member" if state == "present" else "not a member")
        elif check_mode and members is None:
            _set(person, UNKNOWN, "membership not readable: add %s to the service for an exact answer" % GET_COHORT_MEMBERS)
        elif check_mode:
            _set(person, WOULD_ADD if state == "present" else WOULD_REMOVE,
                 "would be added" if state == "present" else "would be removed")
        elif person.userid not in queued:
            queued.add(person.userid)
            (plan.to_add if state == "present" else plan.to_remove).append(person.userid)
    if exclusive:
        if members is None:
            raise FunctionRequiredError("exclusive needs to read the cohort's members", GET_COHORT_MEMBERS)
        keep = set(p.userid for p in people if p.userid is not None)
        for person in people:
            keep.update(person.candidates)  # never remove someone an ambiguous e-mail may mean
        plan.extra = sorted(members - keep)
        if len(plan.extra) > max_removals:
            raise TooManyRemovalsError(
                "exclusive would remove %d members who are not in users (%s), more than max_removals=%d; "
                "nothing was changed" % (len(plan.extra), _ids_preview(plan.extra), max_removals))
        if check_mode:
            plan.extra_status = dict((uid, WOULD_REMOVE) for uid in plan.extra)
    return plan


def _ids_preview(ids, limit=20):
    text = ", ".join(str(i) for i in ids[:limit])
    return text + (", ..." if len(ids) > limit else "")


def apply_plan(client, cohort, plan):
    """Send the planned adds then removals; record every outcome, stopping at the first fatal error."""
    try:
        if plan.to_add:
            add_members(client, cohort, plan.to_add, plan.members, plan.outcomes)
        removals = plan.to_remove + plan.extra
        if removals:
            if cohort.id is None:
                raise FunctionRequiredError(
                    "removing members needs the cohort's id; cohort_idnumber could not be resolved", GET_COHORT_MEMBERS)
            remove_members(client, cohort, removals, plan.members is not None, plan.outcomes)
    except MoodleError as err:
        plan.fatal = err
    for person in plan.people:
        if person.status is None:
            default = (FAILED, "not done: %s" % plan.fatal) if plan.fatal else (FAILED, "no outcome recorded")
            _set(person, *plan.outcomes.get(person.userid, default))
    for uid in plan.extra:
        if uid in plan.outcomes:
            plan.extra_status[uid] = plan.outcomes[uid][0]
    return plan


# -- adding ---------------------------------------------------------------------------------------
def _member_items(cohort, userids):
    return [{"cohorttype": cohort.reference(), "usertype": {"type": "id", "value": uid}} for uid in userids]


def add_members(client, cohort, userids, before, outcomes):
    """Add ``userids`` in batches under max_input_vars; fill ``outcomes`` as each batch answers."""
    for chunk in client.batches(_member_items(cohort, userids)):
        _add_batch(client, cohort, [item["usertype"]["value"] for item in chunk], before, outcomes)


def _denied(cohort, err):
    return CohortAssignDeniedError(
        "the API user lacks %s in the context of %s: Moodle refused the change and rolled back the whole request "
        "(%s)" % (ASSIGN_CAPABILITY, cohort.label(), err.message), err.wsfunction)


def _add_batch(client, cohort, userids, before, outcomes, retry=False):
    """One add call. ``retry``: this is a re-send after a lost or unattributable answer."""
    try:
        result = client.call(ADD_COHORT_MEMBERS, {"members": _member_items(cohort, userids)}) or {}
    except OutcomeUnknownError as err:
        if retry:
            for uid in userids:
                outcomes[uid] = (FAILED, "the answer was lost twice (%s); rerun the task to learn the outcome" % err)
            return
        _recheck(client, cohort, userids, before, outcomes, lost=True)
        return
    except MissingCapabilityError as err:
        raise _denied(cohort, err)
    warnings = [cw.parse_warning(w) for w in result.get("warnings") or []]
    level = cw.cohort_level(warnings)
    if level is not None:
        # Moodle checks the cohort first: nothing in this call was added; stop before more batches.
        raise CohortNotFoundError("%s: %s" % (cohort.label(), level.message), ADD_COHORT_MEMBERS)
    unclear = []
    for uid, (kind, warning) in cw.attribute(userids, warnings).items():
        if kind == cw.NO_WARNING:
            outcomes[uid] = (ADDED, "added to the cohort")
        elif kind == cw.WAS_MEMBER:
            outcomes[uid] = (MEMBER, "already a member")
        elif kind == cw.USER_NOT_FOUND:
            outcomes[uid] = (FAILED, "no Moodle user with id %d (Moodle: %s)" % (uid, warning.message))
        elif kind == cw.UNATTRIBUTED:
            unclear.append((uid, warning))
        else:
            outcomes[uid] = (FAILED, "Moodle did not add it: %s" % warning.message)
    if unclear:
        if retry:
            for uid, warnings in unclear:
                outcomes[uid] = (FAILED, "cannot tell which member Moodle's warnings are about: %s"
                                 % "; ".join(w.message for w in warnings))
            return
        may_be_members = any(w.kind == cw.WAS_MEMBER for _uid, ws in unclear for w in ws)
        _recheck(client, cohort, [uid for uid, _w in unclear], before, outcomes, may_be_members=may_be_members)


def _recheck(client, cohort, userids, before, outcomes, lost=False, may_be_members=True):
    """Learn the outcome of an add whose answer was lost (``lost``) or could not be attributed.

    With the members read first (``before``), read them again: ids now present were added by this
    run. Otherwise re-send: adding is safe to repeat (warning "3"). The call is one transaction, so
    a re-send that adds anyone proves the lost call committed nothing.
    """
    pending = list(userids)
    if before is not None:
        now = read_members(client, cohort)
        if now is not None:
            pending = []
            for uid in userids:
                if uid in now:
                    outcomes[uid] = (ADDED, "added to the cohort")
                else:
                    pending.append(uid)
    if not pending:
        return
    again = {}
    _add_batch(client, cohort, pending, before, again, retry=True)
    first_call_added_nothing = lost and any(status == ADDED for status, _msg in again.values())
    for uid, (status, msg) in again.items():
        if status == MEMBER and before is None and not first_call_added_nothing:
            if lost or may_be_members:
                status, msg = UNKNOWN, ("is a member now; the %s, so whether this run added it is unknown"
                                        % ("answer to the add was lost" if lost else "warnings could not be matched"))
            else:
                status, msg = ADDED, "added to the cohort"
        outcomes[uid] = (status, msg)


# -- removing -------------------------------------------------------------------------------------
def remove_members(client, cohort, userids, exact, outcomes):
    """Remove ``userids`` in batches; ``exact``: they are known members (read first)."""
    items = [{"cohortid": cohort.id, "userid": uid} for uid in userids]
    for chunk in client.batches(items):
        _remove_batch(client, cohort, [item["userid"] for item in chunk], exact, outcomes)


def _remove_batch(client, cohort, userids, exact, outcomes, retry=False):
    try:
        client.call(DELETE_COHORT_MEMBERS, {"members": [{"cohortid": cohort.id, "userid": uid} for uid in userids]})
    except OutcomeUnknownError as err:
        if retry:
            for uid in userids:
                outcomes[uid] = (FAILED, "the answer was lost twice (%s); rerun the task" % err)
            return
        # Removing is safe to repeat: Moodle answers null for a non-member too (FACTS.md 6).
        _remove_batch(client, cohort, userids, exact, outcomes, retry=True)
        return
    except MissingCapabilityError as err:
        raise _denied(cohort, err)
    except AccessDeniedError:
        raise FunctionRequiredError("removing members needs %s" % DELETE_COHORT_MEMBERS, DELETE_COHORT_MEMBERS)
    except NotFoundError as err:
        if getattr(err, "errorcode", None) != "invaliduser":
            raise CohortNotFoundError("%s: %s" % (cohort.label(), err.message), DELETE_COHORT_MEMBERS)
        # One unknown user fails the whole call (one transaction): split to find it.
        if len(userids) == 1:
            outcomes[userids[0]] = (NOT_MEMBER, "no Moodle user with id %d, so not a member" % userids[0])
            return
        half = len(userids) // 2
        _remove_batch(client, cohort, userids[:half], exact, outcomes, retry)
        _remove_batch(client, cohort, userids[half:], exact, outcomes, retry)
        return
    for uid in userids:
        if exact:
            outcomes[uid] = (REMOVED, "removed from the cohort")
        else:
            outcomes[uid] = (UNKNOWN, "not a member now; whether it was one before is unknown without %s"
                             % GET_COHORT_MEMBERS)
