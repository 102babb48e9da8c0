# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The people of a cohort task: parsed from ``users`` and resolved to Moodle user ids in a few batched lookups.

Lookups go through the shared user_lookup (case-insensitive e-mails, PARAM_USERNAME, the visibility
proof): an empty answer counts as "no such user" only once the token is proven to see users.
"""

import re

from ansible_collections.dsenroll.moodle.plugins.module_utils._users import lookup as user_lookup
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    AccessDeniedError,
    InvalidParameterError,
    MoodleError,
)

KEYS = ("id", "username", "email")
# How each key reads in a message.
KEY_WORDS = {"id": "id", "username": "username", "email": "e-mail"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Not-found e-mails confirmed one by one through core_user_get_users (when the service has it).
CONFIRM_LIMIT = 20


class Person(object):
    """One item of ``users``: how it was given, and what it resolved to.

    After resolution exactly one holds: ``userid`` (found), ``missing`` (no such user), or ``error``.
    """

    def __init__(self, index, key, value):
        self.index = index
        self.key = key
        self.value = value
        self.userid = value if key == "id" else None
        self.missing = False
        self.error = None
        self.candidates = ()  # ids of the accounts sharing an ambiguous e-mail

    def given(self):
        return {self.key: self.value}

    def describe(self):
        return "%s %s" % (KEY_WORDS[self.key], self.value)


def parse_users(items):
    """Persons from the ``users`` option; raises ValueError naming the first bad item."""
    people = []
    for index, item in enumerate(items or []):
        if isinstance(item, str):
            item = {"email": item}
        if not isinstance(item, dict):
            raise ValueError("users[%d] must be an e-mail or a dictionary with one of id, username, email" % index)
        keys = [k for k in KEYS if item.get(k) not in (None, "")]
        unknown = sorted(set(item) - set(KEYS))
        if unknown or len(keys) != 1:
            raise ValueError(
                "users[%d] must have exactly one of id, username, email (got: %s)"
                % (index, ", ".join(sorted(item)) or "nothing")
            )
        key = keys[0]
        value = item[key]
        if key == "id":
            value = _user_id(value, index)
        else:
            value = str(value).strip()
        people.append(Person(index, key, value))
    return people


def _user_id(value, index):
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) <= 0:
        raise ValueError("users[%d].id must be a positive integer, not %r" % (index, value))
    return int(text)


def _lookup_usernames(client, people):
    """``{username: user}`` for the usernames given; unclean ones go alone (they may fail the call)."""
    found = {}
    clean, odd = [], []
    for person in people:
        # Moodle stores usernames lowercased (PARAM_USERNAME), so "Lab.Bob" can only be "lab.bob".
        name = person.value.lower()
        (clean if user_lookup.is_clean_username(name) else odd).append(name)
    for user in user_lookup.get_users_by_field(client, "username", clean):
        found[user.get("username")] = user
    for name in sorted(set(odd)):
        try:
            for user in user_lookup.get_users_by_field(client, "username", [name]):
                found[user.get("username")] = user
        except InvalidParameterError:
            found[name] = None  # Moodle refuses the value itself: no such username can exist here
    return found


def _confirm_emails(client, people):
    """Case-insensitive second look for e-mails not found (docs/moodle-behaviour.md#email-search), while core_user_get_users answers."""
    for person in people[:CONFIRM_LIMIT]:
        try:
            accounts = user_lookup.search_email_case_insensitive(client, person.value)
        except AccessDeniedError:
            return
        _settle_email(person, accounts)


def _settle_email(person, accounts):
    accounts = user_lookup.not_deleted(accounts)
    if len(accounts) == 1:
        person.userid = int(accounts[0]["id"])
        person.missing = False
    elif len(accounts) > 1:
        person.candidates = tuple(sorted(int(u["id"]) for u in accounts))
        person.error = (
            "ambiguous: Moodle accounts %s all have this e-mail (in some letter case); give the user "
            "by id or username instead" % ", ".join(str(i) for i in person.candidates)
        )
    else:
        person.missing = True


def resolve_people(client, people, verify_ids=(), confirm_missing_emails=True):
    """Give each Person a user id, ``missing`` or an ``error``, with batched lookups.

    ``verify_ids``: ids (given by id) to check for existence too; otherwise an id is taken as given
    and core_cohort_add_cohort_members says if it does not exist. Raises UsersNotVisibleError when a
    lookup found nobody and the token is not proven to see users.
    """
    by_key = dict((key, [p for p in people if p.key == key]) for key in KEYS)
    emails = _resolve_emails(client, by_key["email"])
    _resolve_usernames(client, by_key["username"])
    wanted = set(verify_ids)
    _verify_ids(client, [p for p in by_key["id"] if p.userid in wanted])
    missing = [p for p in people if p.missing]
    if missing:
        _prove_missing(client, missing)
        if confirm_missing_emails:
            _confirm_emails(client, [p for p in emails if p.missing])
    return people


def _resolve_emails(client, people):
    """Look the e-mails up in one batch; returns the people whose e-mail is valid."""
    for person in people:
        if not _EMAIL.match(person.value):
            person.error = "not a valid e-mail address"
    emails = [p for p in people if not p.error]
    if emails:
        found = user_lookup.find_by_email(client, [p.value for p in emails])
        for person in emails:
            _settle_email(person, found[user_lookup.normalize_email(person.value)])
    return emails


def _resolve_usernames(client, people):
    if not people:
        return
    found = _lookup_usernames(client, people)
    for person in people:
        user = found.get(person.value.lower())
        if user is not None and not user_lookup.is_deleted(user):
            person.userid = int(user["id"])
        else:
            person.missing = True


def _verify_ids(client, people):
    """Check that the ids given exist and are not deleted accounts."""
    if not people:
        return
    seen = dict(
        (int(u["id"]), u) for u in user_lookup.get_users_by_field(client, "id", sorted(set(p.userid for p in people)))
    )
    for person in people:
        user = seen.get(person.userid)
        if user is None:
            person.missing = True
        elif user_lookup.is_deleted(user):
            person.error = "user id %d is a deleted account" % person.userid


def _prove_missing(client, missing):
    """An empty lookup proves nothing unless the token can see users (docs/moodle-behaviour.md#visibility)."""
    try:
        user_lookup.prove_email_visibility(client)
    except user_lookup.UsersNotVisibleError as err:
        raise user_lookup.UsersNotVisibleError(
            "%d users were not found (first: %s), but the token cannot see other users, so that proves nothing; "
            "nothing was changed" % (len(missing), missing[0].describe()),
            err.wsfunction,
        )


def diff_accounts(client, people, ids):
    """``{user id: account}`` naming the ids of a diff: people given by e-mail or username as given, the others in
    one batched lookup by id. For display only: ids Moodle does not answer for (a refused lookup, a token that
    cannot see them) stay bare ids rather than failing a task whose work is done."""
    accounts = {}
    for person in people:
        if person.userid is not None and person.key != "id":
            accounts[person.userid] = {person.key: person.value}
    unnamed = sorted(set(ids) - set(accounts))
    if unnamed:
        try:
            for user in user_lookup.get_users_by_field(client, "id", unnamed):
                accounts[int(user["id"])] = user
        except MoodleError:
            pass
    return accounts
