# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Update and delete existing users in batches (FACTS.md section 5).

core_user_update_users runs each user in its own transaction and reports problems as warnings, so
a batch needs no splitting. core_user_delete_users is one transaction: a refused batch is split
until the refused user is alone. A lost answer is reconciled by looking the users up again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    MoodleAPIError,
    MoodleError,
    NotFoundError,
    OutcomeUnknownError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import chunks, is_record_error
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import get_users_by_field
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import find_matches
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import differences, update_payload
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import DELETE_USERS, UPDATE_USERS


def _fail_rest(outcomes, action, err):
    for outcome in outcomes:
        if outcome.action == action:
            outcome.fail("not %s: %s" % ("updated" if action == st.UPDATE else "deleted", err))


def update_users(client, outcomes, batch_size=100):
    """Send the changed fields of each pending ``update``; a warning fails only its own user."""
    todo = [o for o in outcomes if o.action == st.UPDATE]
    try:
        batches = list(chunks(client, todo, batch_size, lambda o: update_payload(o.user, o.diffs)))
    except MoodleError as err:  # one user alone does not fit max_input_vars
        _fail_rest(todo, st.UPDATE, err)
        return todo
    for chunk in batches:
        try:
            answer = client.call(UPDATE_USERS, {"users": [update_payload(o.user, o.diffs) for o in chunk]}) or {}
        except OutcomeUnknownError as err:
            _reconcile_update(client, chunk, err)
            continue
        except MoodleError as err:
            # No per-user error exists for update: a failed call (e.g. not in the service) fails all.
            _fail_rest(todo, st.UPDATE, "%s. %s" % (err, getattr(err, "remediation", "")))
            return todo
        warnings = {}
        for warning in answer.get("warnings") or []:
            warnings.setdefault(warning.get("itemid"), []).append(
                "%s: %s" % (warning.get("warningcode"), warning.get("message")))
        for outcome in chunk:
            if outcome.id in warnings:
                outcome.fail("Moodle did not update this user: %s" % "; ".join(warnings[outcome.id]))
            else:
                outcome.done()
    return todo


def _reconcile_update(client, chunk, err):
    """Look the users up by id: those that now match the input were updated."""
    try:
        now = dict((u["id"], u) for u in get_users_by_field(client, "id", [o.id for o in chunk]))
    except MoodleError as lookup_err:
        _fail_rest(chunk, st.UPDATE, "%s; looking the users up again failed too (%s)" % (err, lookup_err))
        return
    for outcome in chunk:
        user = now.get(outcome.id)
        if user is not None and not differences(outcome.record, user):
            outcome.done()
        else:
            outcome.fail("not updated: %s; a lookup afterwards shows the user unchanged" % err)


def delete_users(client, outcomes, batch_size=100):
    """Delete each pending ``delete``; a refused batch is split to find the user Moodle refuses."""
    todo = [o for o in outcomes if o.action == st.DELETE]
    for chunk in chunks(client, todo, batch_size, lambda o: o.id):
        if not _delete(client, chunk):
            break
    _fail_rest(todo, st.DELETE, "an earlier call failed")
    return todo


def _delete(client, chunk):
    """Delete ``chunk``; False when a call-level error means no other delete can succeed."""
    try:
        client.call(DELETE_USERS, {"userids": [o.id for o in chunk]})
    except OutcomeUnknownError as err:
        return _reconcile_delete(client, chunk, err)
    except MoodleAPIError as err:
        if not is_record_error(err):
            _fail_rest(chunk, st.DELETE, "%s. %s" % (err, err.remediation))
            return False
        if len(chunk) > 1:
            half = len(chunk) // 2
            return _delete(client, chunk[:half]) and _delete(client, chunk[half:])
        if isinstance(err, NotFoundError):
            chunk[0].action, chunk[0].status = None, st.ABSENT  # deleted meanwhile (another run)
        else:
            chunk[0].fail("Moodle refused to delete this user: %s" % err)
        return True
    except MoodleError as err:
        _fail_rest(chunk, st.DELETE, err)
        return False
    for outcome in chunk:
        outcome.done()
    return True


def _reconcile_delete(client, chunk, err):
    """A deleted user is no longer found by e-mail, username or idnumber (FACTS.md section 5)."""
    try:
        found = find_matches(client, [o.record for o in chunk], chunk[0].record.match_by)
    except MoodleError as lookup_err:
        _fail_rest(chunk, st.DELETE, "%s; looking the users up again failed too (%s)" % (err, lookup_err))
        return False
    for outcome in chunk:
        if any(u.get("id") == outcome.id for u in found.get(outcome.record.match_key, [])):
            outcome.fail("not deleted: %s; a lookup afterwards still finds the user" % err)
        else:
            outcome.done()
    return True
