# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What moodle_user reports: results in input order, the summary, ``changed``, the diff, the failure message.

Passwords never appear: diffs are built from UserRecord.public() and Moodle's own records.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st

# How many failed users the final message names before "and N more".
NAMED_FAILURES = 3
# Fields of a Moodle account shown in the diff of a deletion.
DELETED_SHOWN = ("id", "username", "email", "firstname", "lastname", "idnumber")


def results(outcomes):
    return [o.result() for o in outcomes]


def summary(outcomes):
    counts = dict((status, 0) for status in st.STATUSES)
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def changed(outcomes):
    """True exactly when some user was (or in check mode would be) created, updated or deleted."""
    return any(o.status in st.CHANGED for o in outcomes)


def _key(outcome):
    return outcome.record.label


def diff(outcomes):
    """Ansible diffs: what changes (before/after keyed by e-mail), then what differs but is left alone."""
    before, after, kept_before, kept_after = {}, {}, {}, {}
    for outcome in outcomes:
        status = outcome.status
        if status in (st.CREATED, st.WOULD_CREATE):
            shown = outcome.record.public()
            shown["id"] = outcome.id
            after[_key(outcome)] = shown
        elif status in (st.UPDATED, st.WOULD_UPDATE):
            before[_key(outcome)] = dict((k, v[0]) for k, v in outcome.diffs.items())
            after[_key(outcome)] = dict((k, v[1]) for k, v in outcome.diffs.items())
        elif status in (st.DELETED, st.WOULD_DELETE) and outcome.user:
            before[_key(outcome)] = dict((k, outcome.user.get(k)) for k in DELETED_SHOWN if k in outcome.user)
        elif status == st.EXISTS and outcome.diffs:
            kept_before[_key(outcome)] = dict((k, v[0]) for k, v in outcome.diffs.items())
            kept_after[_key(outcome)] = dict((k, v[1]) for k, v in outcome.diffs.items())
    diffs = [{"before_header": "Moodle users", "after_header": "Moodle users", "before": before, "after": after}]
    if kept_before:
        diffs.append(
            {
                "before_header": "in Moodle (left as it is: update is false)",
                "after_header": "in the input",
                "before": kept_before,
                "after": kept_after,
            }
        )
    return diffs


def failure_message(outcomes):
    """``None`` when nobody failed; else a count and the first few failed users with their reasons."""
    failed = [o for o in outcomes if o.status == st.FAILED]
    if not failed:
        return None
    named = "; ".join("%s: %s" % (o.record.label, o.msg) for o in failed[:NAMED_FAILURES])
    more = len(failed) - NAMED_FAILURES
    return "%d of %d users failed: %s%s" % (
        len(failed),
        len(outcomes),
        named,
        " (and %d more, see results)" % more if more > 0 else "",
    )
