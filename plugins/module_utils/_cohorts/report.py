# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a cohort membership task returns: results, summary, changed and the diff (pure functions)."""

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


def diff(plan, cohort, exclusive=False):
    """Members before/after: of the users involved, or of the whole cohort when ``exclusive``.

    Users whose membership is ``unknown`` are left out; users who do not exist yet (check mode) are
    shown by the identifier given.
    """
    before, after = set(), set()
    if exclusive and plan.members is not None:
        before, after = set(plan.members), set(plan.members)
    newcomers = []
    for membership in plan.memberships:
        person = membership.person
        if person.userid is not None:
            _place(before, after, person.userid, membership.status, plan.members)
        elif membership.status == WOULD_ADD:
            newcomers.append(person.value)
    for uid, status in plan.extra_status.items():
        _place(before, after, uid, status, plan.members)
    label = cohort.label()
    return {
        "before": {"cohort": label, "members": sorted(before)},
        "after": {"cohort": label, "members": sorted(after) + sorted(set(newcomers))},
    }
