# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create the planned users in batches, and account for every one of them.

core_user_create_users is all-or-nothing (docs/moodle-behaviour.md#create-transaction): one bad user rolls the batch back.
So a rejected batch is split until each bad record is alone; the good ones are created. A batch
whose answer was lost may have committed: it is looked up again, never blindly resent (docs/moodle-behaviour.md#lost-answers).
A record Moodle refuses is explained by looking again: created meanwhile (another run), e-mail
taken in another letter case (found with core_user_get_users: docs/moodle-behaviour.md#email-search), username taken.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    AccessDeniedError,
    MoodleError,
    OutcomeUnknownError,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.writes import BatchWriter
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import WS_ADMIN
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import CREATE_USERS, SEARCH_USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import (
    get_users_by_field,
    normalize_email,
    not_deleted,
    search_email_case_insensitive,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import (
    ambiguous_message,
    find_matches_by_email,
    plan_existing,
)

EMAIL_TAKEN = "Email address already exists"


def describe(err):
    """The best reason Moodle gave: debuginfo when the site sends it, else the message and errorcode."""
    debuginfo = getattr(err, "debuginfo", None)
    if debuginfo:
        return "Moodle refused to create this user: %s" % debuginfo.strip()
    text = "Moodle refused to create this user: %s" % getattr(err, "message", str(err))
    if getattr(err, "errorcode", None) == "invalidparameter":
        text += (
            " (Moodle gives the reason only in debuginfo: turn on developer debugging at Site administration"
            " > Development > Debugging to see it)"
        )
    return text


class UserCreator(BatchWriter):
    """Creates pending ``create`` outcomes; afterwards each is created, exists or failed."""

    # A lost answer is reconciled and the remainder resent: this many calls at most.
    lost_answer_attempts = 3

    def __init__(self, client, batch_size=100, update=False):
        self.client = client
        self.max_items = batch_size
        self.update = update
        self.refusals = []  # (outcome, error): single records Moodle refused
        self.fatal = None  # a call-level error that stopped the creates
        self._search_allowed = None

    def run(self, outcomes):
        todo = [o for o in outcomes if o.action == st.CREATE]
        try:
            self.send_all(todo)
        except MoodleError as err:  # a call-level error, or one user alone does not fit max_input_vars
            self.fatal = err
        self._explain_refusals()
        for outcome in todo:
            if outcome.action == st.CREATE:
                outcome.fail("not created: %s" % (self.fatal or "no answer from Moodle"))
        return todo

    # -- one batch (BatchWriter) ------------------------------------------------------------
    def payload(self, item):
        return item.record.create_payload()

    def write(self, items, attempt):
        created = self.client.call(CREATE_USERS, {"users": [self.payload(o) for o in items]})
        by_username = dict((row.get("username"), row.get("id")) for row in created or [])
        for outcome in items:
            outcome.id = by_username.get(outcome.record.username)
            if outcome.id is None:
                outcome.fail("Moodle's answer did not list this user; look it up in Moodle before rerunning")
            else:
                outcome.done()

    def refused(self, item, err):
        self.refusals.append((item, err))

    def narrow(self, items):
        # Another run may have created some of these since the plan: one lookup
        # takes them out, which saves splitting around each of them.
        return self._drop_existing(items)

    def after_rollback(self, items):
        # Nothing of ours was written; the race may have been with another run creating the same people.
        return self._drop_existing(items)

    def reconcile(self, items, err):
        """The batch may have committed: look up again; what exists is done, the rest is resent."""
        try:
            return self._drop_existing(items, created_by_us=True)
        except MoodleError as lookup_err:
            raise OutcomeUnknownError("%s; looking the users up again failed too (%s)" % (err, lookup_err), cause=err)

    def give_up(self, items, err):
        for outcome in items:
            outcome.fail("not created: %s; a lookup afterwards did not find the user" % err)

    def _drop_existing(self, chunk, created_by_us=False):
        """Settle the records that now exist in Moodle; return the others.

        After a lost answer every user of an all-or-nothing batch exists (ours committed) or none of
        ours does: so all found means created, anything else means someone else created those.
        """
        found = find_matches_by_email(self.client, [o.record.email for o in chunk])
        present, absent = [], []
        for outcome in chunk:
            (present if found.get(normalize_email(outcome.record.email)) else absent).append(outcome)
        all_ours = created_by_us and not absent
        for outcome in present:
            self._settle(outcome, found[normalize_email(outcome.record.email)], created=all_ours)
        return absent

    def _settle(self, outcome, accounts, created=False, how=""):
        if len(accounts) > 1:
            outcome.fail(ambiguous_message(accounts, "e-mail"))
            return
        if created:
            outcome.match(accounts[0])
            outcome.done()
            return
        # It exists after all (another run created it, or it has the e-mail in another letter case).
        outcome.action = None
        plan_existing(outcome, accounts[0], self.update)
        if how and outcome.status == st.EXISTS and not outcome.msg:
            outcome.msg = how

    # -- records Moodle refused --------------------------------------------------------------
    def _explain_refusals(self):
        if not self.refusals:
            return
        refused = [o for o, _err in self.refusals]
        try:
            remaining = set(self._drop_existing(refused))
            taken = dict(
                (u.get("username"), u)
                for u in get_users_by_field(
                    self.client, "username", [o.record.username for o in refused if o in remaining]
                )
            )
        except MoodleError as err:
            for outcome, refusal in self.refusals:
                if outcome.action == st.CREATE:
                    outcome.fail("%s (looking it up again failed: %s)" % (describe(refusal), err))
            return
        for outcome, err in self.refusals:
            if outcome not in remaining:
                continue
            debuginfo = getattr(err, "debuginfo", None) or ""
            owner = taken.get(outcome.record.username)
            if owner is not None and normalize_email(owner.get("email") or "") == normalize_email(outcome.record.email):
                # The same person: a case-sensitive lookup missed the e-mail stored in another letter case, and
                # the username derived from it was taken first (docs/moodle-behaviour.md#email-case).
                self._settle(
                    outcome, [owner], how="matched %s (the same e-mail in another letter case)" % owner["email"]
                )
            elif owner is not None:
                outcome.fail(
                    "username %r already belongs to another Moodle account (id %s); give this user another "
                    "username" % (outcome.record.username, owner.get("id"))
                )
            elif EMAIL_TAKEN in debuginfo or (not debuginfo and err.errorcode == "invalidparameter"):
                self._explain_email_taken(outcome, err)
            else:
                outcome.fail(describe(err))

    def _explain_email_taken(self, outcome, err):
        """Moodle compares e-mails case-insensitively on create (docs/moodle-behaviour.md#email-case): find the account."""
        if self._search_allowed is not False:
            try:
                accounts = search_email_case_insensitive(self.client, outcome.record.email)
                self._search_allowed = True
            except AccessDeniedError:
                self._search_allowed = False
            else:
                accounts = not_deleted(accounts)
                if accounts:
                    self._settle(
                        outcome,
                        accounts,
                        how="matched %s (the same e-mail in another letter case)" % accounts[0].get("email"),
                    )
                    return
        text = describe(err)
        if self._search_allowed is False:
            if EMAIL_TAKEN in (getattr(err, "debuginfo", None) or ""):
                text += (
                    "; an account with this e-mail in another letter case exists, and only %s finds it" % SEARCH_USERS
                )
            else:
                text += (
                    "; if an account with this e-mail exists in another letter case, only %s can find it" % SEARCH_USERS
                )
            text += ": add it to the token's service (%s > External services > <service> > Functions)" % WS_ADMIN
        outcome.fail(text)
