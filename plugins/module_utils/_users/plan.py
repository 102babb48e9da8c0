# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide what to do with each input user: match it against Moodle's accounts, then plan.

Reads only (lookups), so check mode runs exactly this and stops. Each record gets an Outcome whose
``status`` is final (exists, absent, failed) or a pending action (create, update, delete) that
``user_create`` / ``user_write`` carry out.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import AccessDeniedError
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import (
    email_lookup_is_case_sensitive,
    find_by_email,
    get_users_by_field,
    normalize_email,
    not_deleted,
    prove_email_visibility,
    search_email_case_insensitive,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as st
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import (
    create_problem,
    differences,
    mark_duplicates,
)


class Outcome(object):
    """What happens to one input user; ``result()`` is its entry in the module's ``results``."""

    def __init__(self, record):
        self.record = record
        self.status = None
        self.action = None
        self.user = None  # the matched Moodle account (a lookup result)
        self.id = None
        self.username = record.username
        self.msg = ""
        self.diffs = {}

    def fail(self, msg):
        self.status, self.action, self.msg = st.FAILED, None, msg

    def match(self, user):
        self.user = user
        self.id = user.get("id")
        self.username = user.get("username", self.username)

    def done(self):
        self.status, self.action = st.DONE[self.action], None

    @property
    def pending(self):
        return self.status is None and self.action is not None

    def result(self):
        return {
            "email": self.record.email,
            "username": self.username,
            "id": self.id,
            "status": self.status,
            "msg": self.msg,
        }


def ambiguous_message(users, what):
    ids = ", ".join(str(u.get("id")) for u in sorted(users, key=lambda u: u.get("id")))
    return (
        "ambiguous: %d Moodle accounts match this %s (ids %s); merge or change them in Moodle "
        "(%s), the module never guesses" % (len(users), what, ids, USERS)
    )


def find_matches_by_email(client, emails):
    """``{normalize_email(e): [accounts, deleted ones left out]}`` in batched exact lookups."""
    return dict((key, not_deleted(users)) for key, users in find_by_email(client, emails).items())


def find_matches(client, records, match_by):
    """``{record.match_key: [accounts]}`` for ``records``, in as few batched lookups as the budget allows."""
    if match_by == "email":
        return find_matches_by_email(client, [r.email for r in records])
    found = dict((r.match_key, []) for r in records)
    for user in not_deleted(get_users_by_field(client, match_by, [r.match_value for r in records])):
        key = user.get(match_by)
        if key in found:
            found[key].append(user)
    return found


def plan_record(outcome, accounts, state, update):
    record = outcome.record
    if len(accounts) > 1:
        outcome.fail(ambiguous_message(accounts, record.match_by.replace("email", "e-mail")))
    elif accounts and state == "absent":
        outcome.match(accounts[0])
        outcome.action = st.DELETE
    elif accounts:
        plan_existing(outcome, accounts[0], update)
    elif state == "absent":
        outcome.status = st.ABSENT
    else:
        problem = create_problem(record)
        if problem:
            outcome.fail(problem)
        else:
            outcome.action = st.CREATE


def plan_existing(outcome, user, update):
    """An existing account: left as it is, or updated field by field when ``update`` is true."""
    outcome.match(user)
    outcome.diffs = differences(outcome.record, user)
    if outcome.diffs and update:
        outcome.action = st.UPDATE
    else:
        outcome.status = st.EXISTS
        if outcome.diffs:
            outcome.msg = "differs from the input in %s; left as it is (update is false)" % ", ".join(
                sorted(outcome.diffs)
            )


def local_outcomes(records):
    """One Outcome per record; those with a local problem are already failed (never sent)."""
    outcomes = [Outcome(r) for r in records]
    for outcome in outcomes:
        if outcome.record.problem:
            outcome.fail(outcome.record.problem)
    return outcomes


def plan(client, records, state="present", update=False, confirm_case=False):
    """Return one Outcome per record, in input order, with a status or a pending action.

    Raises UsersNotVisibleError before anything is trusted when the token cannot see other users,
    and any MoodleError of the lookups. ``confirm_case``: see confirm_email_case.
    """
    outcomes = local_outcomes(records)
    valid = [o for o in outcomes if o.status is None]
    if not valid:
        return outcomes
    known_user = prove_email_visibility(client)
    matches = find_matches(client, [o.record for o in valid], valid[0].record.match_by)
    for outcome in valid:
        plan_record(outcome, matches.get(outcome.record.match_key, []), state, update)
    creates = [o for o in outcomes if o.action == st.CREATE]
    # Moodle refuses a username or (unless allowaccountssameemail) an e-mail twice in one create.
    mark_duplicates([o.record for o in creates], lambda r: r.username, "username (given or derived)")
    if valid[0].record.match_by != "email":
        mark_duplicates(
            [o.record for o in creates], lambda r: normalize_email(r.email), "e-mail address (in any letter case)"
        )
    for outcome in creates:
        if outcome.record.problem:
            outcome.fail(outcome.record.problem)
    if confirm_case and state == "present" and valid[0].record.match_by == "email":
        confirm_email_case(client, [o for o in outcomes if o.action == st.CREATE], known_user, update)
    return outcomes


def confirm_email_case(client, creates, known_user, update):
    """Find accounts whose stored e-mail differs in letter case from both spellings looked up.

    Only a case-sensitive database (PostgreSQL) hides them from the exact lookups, and only
    core_user_get_users (a case-insensitive LIKE, one call per e-mail: docs/moodle-behaviour.md#email-search) finds
    them. A real run learns it for free when the create is refused ("Email address already
    exists"); check mode asks, so that its prediction is exact. Without core_user_get_users in the
    service it cannot, and returns False.
    """
    if not creates or not email_lookup_is_case_sensitive(client, known_user):
        return True
    for outcome in creates:
        try:
            accounts = not_deleted(search_email_case_insensitive(client, outcome.record.email))
        except AccessDeniedError:
            return False
        outcome.action = None
        plan_record(outcome, accounts, "present", update)
    return True


def finish_check_mode(outcomes):
    """Check mode stops after the plan: a pending action is reported as what it would be."""
    for outcome in outcomes:
        if outcome.pending:
            outcome.status, outcome.action = st.WOULD[outcome.action], None
    return outcomes


def fail_pending(outcomes, action, err):
    """Fail every outcome of ``outcomes`` still waiting for ``action``, with ``err`` as the reason."""
    for outcome in outcomes:
        if outcome.action == action:
            outcome.fail("not %s: %s" % (st.DONE[action], err))


def fail_undecided(outcomes, msg):
    """Give every outcome not yet settled the status failed with ``msg`` (after a fatal error)."""
    for outcome in outcomes:
        if outcome.status is None:
            outcome.fail(msg)
    return outcomes
