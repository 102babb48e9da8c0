# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delete existing users in batches (docs/moodle-behaviour.md#update-and-delete).

core_user_delete_users is one transaction: a refused batch is split until the refused user is alone.
A lost answer is reconciled by looking the users up again.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    MoodleAPIError,
    MoodleError,
    NotFoundError,
    OutcomeUnknownError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.writes import (
    BatchWriter,
    refused_for_an_item,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import DELETE_USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import fail_pending, find_matches


class UserDeleter(BatchWriter):
    """Deletes each pending ``delete``; a refused batch is split to find the user Moodle refuses."""

    def __init__(self, client, batch_size=None):
        self.client = client
        self.max_items = batch_size

    def payload(self, item):
        return item.id

    def write(self, items, attempt):
        try:
            self.client.call(DELETE_USERS, {"userids": [self.payload(o) for o in items]})
        except OutcomeUnknownError:
            raise
        except MoodleAPIError as err:
            if not refused_for_an_item(err):
                fail_pending(items, st.DELETE, "%s. %s" % (err, err.remediation))
            raise
        except MoodleError as err:
            fail_pending(items, st.DELETE, err)
            raise
        for outcome in items:
            outcome.done()

    def refused(self, item, err):
        if isinstance(err, NotFoundError):
            item.action, item.status = None, st.ABSENT  # deleted meanwhile (another run)
        else:
            item.fail("Moodle refused to delete this user: %s" % err)

    def reconcile(self, items, err):
        """A deleted user is no longer found by e-mail, username or idnumber (docs/moodle-behaviour.md#deleted-accounts)."""
        try:
            found = find_matches(self.client, [o.record for o in items], items[0].record.match_by)
        except MoodleError as lookup_err:
            fail_pending(items, st.DELETE, "%s; looking the users up again failed too (%s)" % (err, lookup_err))
            raise
        still_there = []
        for outcome in items:
            if any(u.get("id") == outcome.id for u in found.get(outcome.record.match_key, [])):
                still_there.append(outcome)
            else:
                outcome.done()
        return still_there

    def give_up(self, items, err):
        for outcome in items:
            outcome.fail("not deleted: %s; a lookup afterwards still finds the user" % err)


def delete_users(client, outcomes, batch_size=100):
    """Carry out every pending ``delete``; a call-level error stops the deletes after it."""
    todo = [o for o in outcomes if o.action == st.DELETE]
    deleter = UserDeleter(client, batch_size)
    try:
        deleter.send_all(todo)
    except MoodleError:
        pass  # the outcomes concerned are failed with the reason; the others are failed below
    fail_pending(todo, st.DELETE, "an earlier call failed")
    return todo
