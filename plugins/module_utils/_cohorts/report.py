# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a cohort membership task returns: results, summary, changed and the diff (pure functions)."""

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import function_hint
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import GET_COHORT_MEMBERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.status import (
    ADDED,
    CHANGING,
    FAILED,
    MEMBER,
    NOT_MEMBER,
    REMOVED,
    STATUSES,
    WOULD_ADD,
    WOULD_REMOVE,
)


def results(plan):
    """One result per input user, in input order."""
    return [membership.result() for membership in plan.memberships]


def summary(plan):
    """How many of each status; members removed by ``exclusive`` (not in users) are counted too."""
    counts = dict((status, 0) for status in STATUSES)
    for membership in plan.memberships:
        counts[membership.status] += 1
    for status in plan.extra_status.values():
        counts[status] += 1
    return counts


def changed(plan):
    """True when something changed, would change, or may have (``unknown``)."""
    statuses = [m.status for m in plan.memberships] + list(plan.extra_status.values())
    return any(status in CHANGING for status in statuses)


def members_unreadable_warning(cohort, what):
    """The warning of a task whose ``what`` (check mode, state=absent) cannot be exact: the members are unreadable."""
    return (
        "The members of %s cannot be read, so %s is not exact: users whose membership cannot be proven "
        "are 'unknown'. For an exact answer: %s (the API user also needs moodle/cohort:view)."
        % (cohort.label(), what, function_hint(GET_COHORT_MEMBERS))
    )


def _place(before, after, uid, status, members):
    if status == MEMBER:
        before.add(uid)
        after.add(uid)
    elif status in (ADDED, WOULD_ADD):
        before.discard(uid)
        after.add(uid)
    elif status in (REMOVED, WOULD_REMOVE):
        before.add(uid)
        after.discard(uid)
    elif status == NOT_MEMBER:
        before.discard(uid)
        after.discard(uid)
    elif status == FAILED and members is not None and uid in members:
        before.add(uid)
        after.add(uid)


def _diff_sets(plan, exclusive):
    """(member ids before, member ids after, identifiers of users not created yet) for the diff."""
    before, after = set(), set()
    if exclusive and plan.members is not None:
        before, after = set(plan.members), set(plan.members)
    newcomers = set()
    for membership in plan.memberships:
        person = membership.person
        if person.userid is not None:
            _place(before, after, person.userid, membership.status, plan.members)
        elif membership.status == WOULD_ADD:
            newcomers.add(person.value)
    for uid, status in plan.extra_status.items():
        _place(before, after, uid, status, plan.members)
    return before, after, newcomers


def diff_user_ids(plan, exclusive=False):
    """The user ids the diff shows, for naming them (_cohorts.people.diff_accounts)."""
    before, after, _newcomers = _diff_sets(plan, exclusive)
    return before | after


def member_label(uid, account=None):
    """A member as the diff shows it: e-mail (else username) with the id, as moodle_user's diff names users."""
    name = (account or {}).get("email") or (account or {}).get("username")
    return "%s (id %d)" % (name, uid) if name else "id %d" % uid


def diff(plan, cohort, exclusive=False, accounts=None):
    """Members before/after: of the users involved, or of the whole cohort when ``exclusive``.

    Each member is named by ``accounts`` (user id -> user dict), in id order. Users whose membership is
    ``unknown`` are left out; users who do not exist yet (check mode) are shown by the identifier given.
    """
    accounts = accounts or {}
    before, after, newcomers = _diff_sets(plan, exclusive)
    label = cohort.label()
    return {
        "before": {"cohort": label, "members": [member_label(uid, accounts.get(uid)) for uid in sorted(before)]},
        "after": {
            "cohort": label,
            "members": [member_label(uid, accounts.get(uid)) for uid in sorted(after)] + sorted(newcomers),
        },
    }
