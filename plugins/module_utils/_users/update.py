# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Update existing users in batches (docs/moodle-behaviour.md#update-and-delete).

core_user_update_users runs each user in its own transaction and reports problems as warnings, so
a batch needs no splitting. A lost answer is reconciled by looking the users up again.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.writes import BatchWriter
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import UPDATE_USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import get_users_by_field
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import fail_pending
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import differences, update_payload


class UserUpdater(BatchWriter):
    """Sends the changed fields of each pending ``update``; a warning fails only its own user."""

    def __init__(self, client, batch_size=None):
        self.client = client
        self.max_items = batch_size

    def payload(self, item):
        return update_payload(item.user, item.diffs)

    def write(self, items, attempt):
        answer = self.client.call(UPDATE_USERS, {"users": [self.payload(o) for o in items]}) or {}
        warnings = {}
        for warning in answer.get("warnings") or []:
            warnings.setdefault(warning.get("itemid"), []).append(
                "%s: %s" % (warning.get("warningcode"), warning.get("message"))
            )
        for outcome in items:
            if outcome.id in warnings:
                outcome.fail("Moodle did not update this user: %s" % "; ".join(warnings[outcome.id]))
            else:
                outcome.done()

    def refuses_one(self, err):
        return False  # each user has its own transaction: a failed call is about the call

    def reconcile(self, items, err):
        """Look the users up by id: those that now match the input were updated."""
        try:
            now = dict((u["id"], u) for u in get_users_by_field(self.client, "id", [o.id for o in items]))
        except MoodleError as lookup_err:
            fail_pending(items, st.UPDATE, "%s; looking the users up again failed too (%s)" % (err, lookup_err))
            return []
        unchanged = []
        for outcome in items:
            user = now.get(outcome.id)
            if user is not None and not differences(outcome.record, user):
                outcome.done()
            else:
                unchanged.append(outcome)
        return unchanged

    def give_up(self, items, err):
        for outcome in items:
            outcome.fail("not updated: %s; a lookup afterwards shows the user unchanged" % err)


def update_users(client, outcomes, batch_size=100):
    """Carry out every pending ``update``."""
    todo = [o for o in outcomes if o.action == st.UPDATE]
    updater = UserUpdater(client, batch_size)
    try:
        updater.send_all(todo)
    except MoodleError as err:
        # No per-user error exists for update: a failed call (e.g. not in the service) fails all.
        fail_pending(todo, st.UPDATE, "%s. %s" % (err, getattr(err, "remediation", "")))
    return todo
