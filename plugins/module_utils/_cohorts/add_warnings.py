# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which member each warning of core_cohort_add_cohort_members is about.

docs/moodle-behaviour.md#cohort-add-warnings: the warnings carry only ``warningcode`` and ``message``, not the item. Moodle
(cohort/externallib.php) builds the messages from fixed English strings and the values sent, one
warning per member that did not get added, in the order of the members:

- ``1`` ``invalid parameter: cohortype=<type>`` / ``usertype=<type>`` / ``Invalid context: <level>``
- ``2`` ``cohort <type>=<value> not exists`` / ``user <type>=<value> not exists``
- ``3`` ``record already exists: cohort(<cohorttype>=<value> <usertype>=<value>)``

Members are always sent by user id, so a message names the member by its id. A warning whose
message does not parse is placed by its order among the members; when even that cannot say which
member it is about, the members concerned are reported as ``UNATTRIBUTED`` for the caller to re-check.
"""

import re

# warningcode values.
CODE_INVALID = "1"
CODE_NOT_FOUND = "2"
CODE_ALREADY_MEMBER = "3"

_ALREADY_MEMBER = re.compile(r"^record already exists: cohort\((?:id|idnumber)=.* id=(\d+)\)$", re.S)
_USER_NOT_FOUND = re.compile(r"^user id=(\d+) not exists$")
_COHORT_NOT_FOUND = re.compile(r"^cohort (?:id|idnumber)=.* not exists$", re.S)
_INVALID_CONTEXT = re.compile(r"^Invalid context: ")

# What the warnings say about one member (the warning's kind).
WAS_MEMBER = "was_member"  # it was a member already
USER_NOT_FOUND = "user_not_found"
COHORT_NOT_FOUND = "cohort_not_found"
COHORT_INVALID = "cohort_invalid"  # the cohort is in a context that cannot hold cohorts
INVALID_ITEM = "invalid"
NO_WARNING = "no_warning"  # Moodle added it
UNATTRIBUTED = "unattributed"  # a warning exists somewhere in its stretch, but not provably its own


class AddWarning(object):
    """One parsed warning: its ``kind``, the user id it names (or None) and Moodle's text."""

    def __init__(self, kind, userid, warningcode, message):
        self.kind = kind
        self.userid = userid
        self.warningcode = warningcode
        self.message = message

    def __repr__(self):
        return "AddWarning(%r, %r, %r)" % (self.kind, self.userid, self.message)


def parse_warning(warning):
    """Classify one ``{warningcode, message}`` from core_cohort_add_cohort_members (an AddWarning stays as it is)."""
    if isinstance(warning, AddWarning):
        return warning
    code = str(warning.get("warningcode", ""))
    message = str(warning.get("message", ""))
    if code == CODE_ALREADY_MEMBER:
        match = _ALREADY_MEMBER.match(message)
        return AddWarning(WAS_MEMBER, int(match.group(1)) if match else None, code, message)
    if code == CODE_NOT_FOUND:
        match = _USER_NOT_FOUND.match(message)
        if match:
            return AddWarning(USER_NOT_FOUND, int(match.group(1)), code, message)
        if _COHORT_NOT_FOUND.match(message):
            return AddWarning(COHORT_NOT_FOUND, None, code, message)
        return AddWarning(USER_NOT_FOUND, None, code, message)
    if code == CODE_INVALID and _INVALID_CONTEXT.match(message):
        return AddWarning(COHORT_INVALID, None, code, message)
    return AddWarning(INVALID_ITEM, None, code, message)


def cohort_level(warnings):
    """The first warning that concerns the cohort itself (not found, invalid context), else None.

    Moodle checks the cohort before the user, so such a warning means no member of the call was added.
    """
    for warning in warnings:
        if warning.kind in (COHORT_NOT_FOUND, COHORT_INVALID):
            return warning
    return None


def attribute(userids, raw_warnings):
    """Map each user id of one add call (in the order sent, each once) to ``(kind, warning or None)``.

    Warnings naming a user id are pinned to it. The others fill the stretches between pinned members
    in order: a stretch with no such warning was added entirely; one with as many warnings as members
    pairs them up; any other stretch is ``UNATTRIBUTED`` (its warnings are attached for the re-check).
    """
    warnings = [parse_warning(w) for w in raw_warnings]
    position = dict((uid, i) for i, uid in enumerate(userids))
    outcome = {}
    last = -1
    loose = []

    def settle(stop):
        first = last + 1
        stretch = userids[first:stop]
        if not loose:
            for uid in stretch:
                outcome[uid] = (NO_WARNING, None)
        elif len(loose) == len(stretch):
            for uid, warning in zip(stretch, loose):
                outcome[uid] = (warning.kind, warning)
        else:
            for uid in stretch:
                outcome[uid] = (UNATTRIBUTED, list(loose))

    for warning in warnings:
        index = position.get(warning.userid) if warning.userid is not None else None
        if index is None or index <= last:
            loose.append(warning)
            continue
        settle(index)
        outcome[userids[index]] = (warning.kind, warning)
        last = index
        loose = []
    settle(len(userids))
    return outcome
