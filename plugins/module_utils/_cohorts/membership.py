# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cohort membership: plan what must change, then add and remove in batches, reading each outcome.

Exact even with only core_cohort_add_cohort_members (docs/moodle-behaviour.md#cohort-add-warnings): no warning = added, warning
"3" = already a member. When the members can be read first (core_cohort_get_cohort_members), only
what must change is sent and check mode is exact too.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    AccessDeniedError,
    MissingCapabilityError,
    MoodleError,
    NotFoundError,
    is_unnamed_missing_record,
    OutcomeUnknownError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.writes import BatchWriter, was_cut
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import add_warnings as cw
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import KEY_WORDS
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    CohortNotFoundError,
    FunctionRequiredError,
    read_members,
)
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
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    DELETE_COHORT_MEMBERS,
    GET_COHORT_MEMBERS,
)

ASSIGN_CAPABILITY = "moodle/cohort:assign"


class CohortAssignDeniedError(MoodleError):
    """nopermissions from an add or delete: Moodle rolled the whole call back (docs/moodle-behaviour.md#cohort-add-warnings)."""

    remediation = (
        "Give the API user's role the capability moodle/cohort:assign (or moodle/cohort:manage) in the cohort's "
        "context: Site administration > Users > Permissions > Define roles for a system cohort, or the category's "
        "Permissions page for a category cohort."
    )


class TooManyRemovalsError(MoodleError):
    remediation = "Check users, or raise max_removals to the number of members you mean to remove."


class Membership(object):
    """What happens to one person of the task (the resolved Person is left as it is); ``result()`` is its entry in
    the module's ``results``."""

    def __init__(self, person):
        self.person = person
        self.status = None
        self.msg = ""

    @property
    def userid(self):
        return self.person.userid

    def settle(self, status, msg):
        self.status, self.msg = status, msg

    def result(self):
        item = self.person.given()
        item.update(id=self.person.userid, status=self.status, msg=self.msg)
        return item


class Plan(object):
    """What the task will do: one Membership per person, with its status when decided up front, and the user ids
    to add and to remove."""

    def __init__(self, people, members):
        self.memberships = [Membership(p) for p in people]
        self.members = members  # the member ids read first, or None when unreadable
        self.to_add = []
        self.to_remove = []
        self.extra = []  # members removed because exclusive, not in users
        self.outcomes = {}  # user id -> (status, msg) once applied
        self.extra_status = {}  # user id -> status, for the exclusive removals
        self.fatal = None  # the MoodleError that stopped the run


def _missing_msg(person):
    return "no Moodle user with this %s" % KEY_WORDS[person.key]


def plan_membership(people, members, state="present", exclusive=False, max_removals=0, check_mode=False):
    """Decide each person's status, or what to send; raises before any write when the task cannot be done."""
    plan = Plan(people, members)
    queued = set()
    for membership in plan.memberships:
        person = membership.person
        decided = _decide(person, members, state, check_mode)
        if decided is not None:
            membership.settle(*decided)
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
                "nothing was changed" % (len(plan.extra), _ids_preview(plan.extra), max_removals)
            )
        if check_mode:
            plan.extra_status = dict((uid, WOULD_REMOVE) for uid in plan.extra)
    return plan


def _decide(person, members, state, check_mode):
    """``(status, msg)`` when the person's status is known before any write, else None (it must be sent)."""
    present = state == "present"
    if person.error:
        return FAILED, person.error
    if person.missing and not present:
        return NOT_MEMBER, _missing_msg(person) + ", so not a member"
    if person.missing and check_mode and person.key != "id":
        # A moodle_user task in check mode only predicted this account: it does not exist yet.
        return WOULD_ADD, _missing_msg(person) + " yet: would be added once the account exists"
    if person.missing:
        return FAILED, _missing_msg(person)
    if members is not None and (person.userid in members) == present:
        return (MEMBER, "already a member") if present else (NOT_MEMBER, "not a member")
    if check_mode and members is None:
        return UNKNOWN, "membership not readable: add %s to the service for an exact answer" % GET_COHORT_MEMBERS
    if check_mode:
        return (WOULD_ADD, "would be added") if present else (WOULD_REMOVE, "would be removed")
    return None


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
                    "removing members needs the cohort's id; cohort_idnumber could not be resolved", GET_COHORT_MEMBERS
                )
            remove_members(client, cohort, removals, plan.members is not None, plan.outcomes)
    except MoodleError as err:
        plan.fatal = err
    for membership in plan.memberships:
        if membership.status is None:
            default = (FAILED, "not done: %s" % plan.fatal) if plan.fatal else (FAILED, "no outcome recorded")
            membership.settle(*plan.outcomes.get(membership.userid, default))
    for uid in plan.extra:
        if uid in plan.outcomes:
            plan.extra_status[uid] = plan.outcomes[uid][0]
    return plan


# -- adding ---------------------------------------------------------------------------------------
def _member_items(cohort, userids):
    return [{"cohorttype": cohort.reference(), "usertype": {"type": "id", "value": uid}} for uid in userids]


def add_members(client, cohort, userids, before, outcomes):
    """Add ``userids`` in batches under max_input_vars; fill ``outcomes`` as each batch answers."""
    CohortAdder(client, cohort, before, outcomes).send_all(userids)


def _denied(cohort, err):
    return CohortAssignDeniedError(
        "the API user lacks %s in the context of %s: Moodle refused the change and rolled back the whole request "
        "(%s)" % (ASSIGN_CAPABILITY, cohort.label(), err.message),
        err.wsfunction,
    )


class CohortAdder(BatchWriter):
    """Adds user ids to the cohort and reads each one's outcome from the call's warnings.

    ``before``: the member ids read first, or None. Adding is safe to repeat (warning "3"), so an answer
    that was lost, or whose warnings cannot be matched to members, is learnt by reading the members again
    when possible, else by sending the add again. The call is one transaction, so a re-send that adds
    anyone proves the lost call committed nothing.
    """

    lost_answer_attempts = 2

    def __init__(self, client, cohort, before, outcomes):
        self.client = client
        self.cohort = cohort
        self.before = before
        self.outcomes = outcomes
        # Ids sent in a request the site cut short: its first part committed, so a re-send proves nothing of it.
        self.cut = set()

    def payload(self, item):
        return _member_items(self.cohort, [item])[0]

    def send_all(self, items):
        batches = self.batches(items)
        if self.before is None and self.cohort.name is None and len(batches) > 1:
            # Whether the cohort exists is learnt from the first answer (a cohort-level warning, nothing added):
            # that batch goes alone, so that a missing cohort costs one request, not one per batch in flight.
            self.send(batches.pop(0))
        self.client.each(self.send, batches)

    def write(self, items, attempt):
        found, unclear = self._add(items)
        if attempt:
            self._record_resent(found, lost=True)
            self._fail_unclear(unclear)
        else:
            self.outcomes.update(found)
            if unclear:
                self._recheck_unclear(unclear)

    def refuses_one(self, err):
        return False  # members are refused one by one, as warnings

    def reconcile(self, items, err):
        if was_cut(err):
            self.cut.update(items)
        return self._read_back(items)

    def give_up(self, items, err):
        for uid in items:
            self.outcomes[uid] = (FAILED, "the answer was lost twice (%s); rerun the task to learn the outcome" % err)

    def _add(self, userids):
        """One add call: ``({uid: (status, msg)}, [(uid, warnings it may be about)])``."""
        try:
            result = self.client.call(ADD_COHORT_MEMBERS, {"members": _member_items(self.cohort, userids)}) or {}
        except MissingCapabilityError as err:
            raise _denied(self.cohort, err)
        warnings = [cw.parse_warning(w) for w in result.get("warnings") or []]
        level = cw.cohort_level(warnings)
        if level is not None:
            # Moodle checks the cohort first: nothing in this call was added; stop before more batches.
            raise CohortNotFoundError("%s: %s" % (self.cohort.label(), level.message), ADD_COHORT_MEMBERS)
        found, unclear = {}, []
        for uid, (kind, warning) in cw.attribute(userids, warnings).items():
            if kind == cw.NO_WARNING:
                found[uid] = (ADDED, "added to the cohort")
            elif kind == cw.WAS_MEMBER:
                found[uid] = (MEMBER, "already a member")
            elif kind == cw.USER_NOT_FOUND:
                found[uid] = (FAILED, "no Moodle user with id %d (Moodle: %s)" % (uid, warning.message))
            elif kind == cw.UNATTRIBUTED:
                unclear.append((uid, warning))
            else:
                found[uid] = (FAILED, "Moodle did not add it: %s" % warning.message)
        return found, unclear

    def _fail_unclear(self, unclear):
        for uid, warnings in unclear:
            self.outcomes[uid] = (
                FAILED,
                "cannot tell which member Moodle's warnings are about: %s" % "; ".join(w.message for w in warnings),
            )

    def _read_back(self, userids):
        """With the members read first, read them again: ids now present were added by this run. Returns the
        ids still to learn about."""
        if self.before is None:
            return list(userids)
        now = read_members(self.client, self.cohort)
        if now is None:
            return list(userids)
        pending = []
        for uid in userids:
            if uid in now:
                self.outcomes[uid] = (ADDED, "added to the cohort")
            else:
                pending.append(uid)
        return pending

    def _recheck_unclear(self, unclear):
        """Learn the outcome of members whose warnings could not be attributed: read back, else add again."""
        may_be_members = any(w.kind == cw.WAS_MEMBER for _uid, ws in unclear for w in ws)
        pending = self._read_back([uid for uid, _w in unclear])
        if not pending:
            return
        try:
            found, still_unclear = self._add(pending)
        except OutcomeUnknownError as err:
            self.give_up(pending, err)
            return
        self._record_resent(found, lost=False, may_be_members=may_be_members)
        self._fail_unclear(still_unclear)

    def _record_resent(self, found, lost, may_be_members=True):
        """Record the answer to a re-send: "already a member" cannot say whether the first call added it."""
        first_call_added_nothing = (
            lost and not self.cut.intersection(found) and any(status == ADDED for status, _msg in found.values())
        )
        for uid, (status, msg) in found.items():
            if status == MEMBER and self.before is None and not first_call_added_nothing:
                if lost or may_be_members:
                    status, msg = (
                        UNKNOWN,
                        (
                            "is a member now; the %s, so whether this run added it is unknown"
                            % ("answer to the add was lost" if lost else "warnings could not be matched")
                        ),
                    )
                else:
                    status, msg = ADDED, "added to the cohort"
            self.outcomes[uid] = (status, msg)


# -- removing -------------------------------------------------------------------------------------
def remove_members(client, cohort, userids, exact, outcomes):
    """Remove ``userids`` in batches; ``exact``: they are known members (read first)."""
    CohortRemover(client, cohort, exact, outcomes).send_all(userids)


class CohortRemover(BatchWriter):
    """Removes user ids from the cohort. One unknown user fails the whole call (one transaction): the batch is
    split to find it. Removing is safe to repeat (Moodle answers null for a non-member too: docs/moodle-behaviour.md#cohort-reads-and-removals), so a
    lost answer is simply sent again."""

    lost_answer_attempts = 2

    def __init__(self, client, cohort, exact, outcomes):
        self.client = client
        self.cohort = cohort
        self.exact = exact
        self.outcomes = outcomes

    def payload(self, item):
        return {"cohortid": self.cohort.id, "userid": item}

    def write(self, items, attempt):
        try:
            self.client.call(DELETE_COHORT_MEMBERS, {"members": [self.payload(uid) for uid in items]})
        except MissingCapabilityError as err:
            raise _denied(self.cohort, err)
        except AccessDeniedError:
            raise FunctionRequiredError("removing members needs %s" % DELETE_COHORT_MEMBERS, DELETE_COHORT_MEMBERS)
        except NotFoundError as err:
            if self._names_a_user(err):
                raise  # one unknown user fails the whole call: the batch is split to find it
            if is_unnamed_missing_record(err):
                raise CohortNotFoundError(
                    "%s or one of the users does not exist (Moodle 5.0 names the missing record only when developer "
                    "debugging is on)" % self.cohort.label(),
                    DELETE_COHORT_MEMBERS,
                )
            raise CohortNotFoundError("%s: %s" % (self.cohort.label(), err.message), DELETE_COHORT_MEMBERS)
        for uid in items:
            if self.exact:
                self.outcomes[uid] = (REMOVED, "removed from the cohort")
            else:
                self.outcomes[uid] = (
                    UNKNOWN,
                    "not a member now; whether it was one before is unknown without %s" % GET_COHORT_MEMBERS,
                )

    def _names_a_user(self, err):
        """The missing record is a user: Moodle says so (``invaliduser``), or Moodle 5.0 does not say which record
        is missing while the cohort is known to exist (read by name or by its members)."""
        if err.errorcode == "invaliduser":
            return True
        return is_unnamed_missing_record(err) and (self.exact or self.cohort.name is not None)

    def refuses_one(self, err):
        return isinstance(err, NotFoundError) and self._names_a_user(err)

    def refused(self, item, err):
        self.outcomes[item] = (NOT_MEMBER, "no Moodle user with id %d, so not a member" % item)

    def give_up(self, items, err):
        for uid in items:
            self.outcomes[uid] = (FAILED, "the answer was lost twice (%s); rerun the task" % err)
