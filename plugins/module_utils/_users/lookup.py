# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding Moodle users: batched, case-insensitive by e-mail, and never fooled by the visibility filter.

Shared by moodle_user and moodle_cohort_member. Pure Moodle semantics over a MoodleClient.
"""

import re

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import GET_USERS_BY_FIELD, SEARCH_USERS

# Every Moodle site has the admin account as user 2 (created at install; still found by id if deleted).
KNOWN_USER_ID = 2
# What Moodle's PARAM_USERNAME removes (lookups) and what a derived username replaces (creates).
USERNAME_REJECTED = re.compile(r"[^-.@_a-z0-9]")
_DELETED_EMAIL = re.compile(r"^[0-9a-f]{32}$")


class UsersNotVisibleError(MoodleError):
    """The token cannot see other users' e-mails, so an empty lookup proves nothing (docs/moodle-behaviour.md#visibility)."""

    remediation = (
        "Give the API user's role the capabilities to see other users and their e-mail addresses at the system "
        "level (moodle/user:viewdetails, moodle/user:viewhiddendetails, moodle/site:viewuseridentity; the Manager "
        "role has them) at Site administration > Users > Permissions > Define roles, and make sure "
        "Site administration > Users > Permissions > User policies > Show user identity includes Email address."
    )


def is_deleted(user):
    """Whether a lookup result is a deleted account: Moodle keeps its id (a lookup by id still returns it) and
    replaces its e-mail with a 32-hex hash (docs/moodle-behaviour.md#deleted-accounts); the answer carries no ``deleted`` flag."""
    return bool(user.get("deleted")) or bool(_DELETED_EMAIL.match(user.get("email") or ""))


def not_deleted(users):
    """``users`` without the deleted accounts, which are never matches."""
    return [u for u in users if not is_deleted(u)]


def normalize_email(email):
    """The comparison key for e-mails: Moodle compares them case-insensitively on create."""
    return email.strip().lower()


def clean_username(username, extended_chars=False):
    """What Moodle's PARAM_USERNAME makes of ``username``; lookups must send only clean values."""
    value = username.strip().lower()
    if not extended_chars:
        value = USERNAME_REJECTED.sub("", value.replace(" ", ""))
    return value


def is_clean_username(username, extended_chars=False):
    return bool(username) and username == clean_username(username, extended_chars)


def get_users_by_field(client, field, values):
    """Users whose ``field`` equals one of ``values`` (exact match, batched under max_input_vars).

    Values must already be clean: one unclean value fails the whole call (docs/moodle-behaviour.md#clean-lookup-values).
    Returns a list of user dicts, each user once.
    """
    unique = []
    seen = set()
    for value in values:
        key = str(value)
        if key not in seen:
            seen.add(key)
            unique.append(value)
    if not unique:
        return []
    users = client.call_batched(GET_USERS_BY_FIELD, "values", unique, params={"field": field})
    by_id = {}
    for user in users:
        by_id.setdefault(user["id"], user)
    return list(by_id.values())


def email_spellings(emails):
    """The spellings to query for each e-mail: as given (trimmed) and lowercased.

    E-mail lookups are an exact SQL match, case-sensitive on PostgreSQL (docs/moodle-behaviour.md#email-case).
    """
    spellings = []
    seen = set()
    for email in emails:
        for spelling in (email.strip(), normalize_email(email)):
            if spelling and spelling not in seen:
                seen.add(spelling)
                spellings.append(spelling)
    return spellings


def find_by_email(client, emails):
    """Map ``normalize_email(e)`` to the list of accounts having that e-mail in any letter case found.

    More than one account for a key means the e-mail is ambiguous: callers must not guess.
    """
    found = dict((normalize_email(e), []) for e in emails)
    for user in get_users_by_field(client, "email", email_spellings(emails)):
        key = normalize_email(user.get("email") or "")
        if key in found:
            found[key].append(user)
    return found


def search_email_case_insensitive(client, email):
    """Accounts with ``email`` in any letter case, through core_user_get_users (one call per e-mail).

    Its ``email`` criterion is a case-insensitive LIKE, so ``_`` and ``%`` are escaped and the
    results filtered exactly (docs/moodle-behaviour.md#email-search). Raises AccessDeniedError when the token's
    service lacks core_user_get_users; callers treat that as "cannot confirm".
    """
    pattern = email.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result = client.call(SEARCH_USERS, {"criteria": [{"key": "email", "value": pattern}]}) or {}
    key = normalize_email(email)
    return [u for u in result.get("users", []) if normalize_email(u.get("email") or "") == key]


def prove_email_visibility(client):
    """Raise UsersNotVisibleError unless the token can see another user's e-mail; return that user.

    docs/moodle-behaviour.md#visibility: a token that cannot see other users gets [] for the admin account by id,
    and would get [] for every e-mail lookup too, which a naive client reads as "not found".
    """
    users = client.call(GET_USERS_BY_FIELD, {"field": "id", "values": [KNOWN_USER_ID]}) or []
    if not users or not users[0].get("email"):
        raise UsersNotVisibleError(
            "the token cannot see other users' e-mail addresses (a lookup of user id %d returned %s), so a lookup "
            "that finds nobody proves nothing (Moodle filters out the users it hides)"
            % (KNOWN_USER_ID, "nothing" if not users else "no e-mail"),
            GET_USERS_BY_FIELD,
        )
    return users[0]


def email_lookup_is_case_sensitive(client, known_user):
    """Whether core_user_get_users_by_field matches e-mails case-sensitively on this site.

    True on PostgreSQL, False on MySQL/MariaDB ``_ci`` collations (docs/moodle-behaviour.md#email-case). Probed with
    ``known_user`` (a visible account, e.g. what prove_email_visibility returned) looked up by its
    e-mail in swapped letter case; an e-mail without letters cannot tell, so it answers True.
    """
    email = (known_user.get("email") or "").strip()
    other = email.swapcase()
    if other == email:
        return True
    users = client.call(GET_USERS_BY_FIELD, {"field": "email", "values": [other]}) or []
    return not any(u.get("id") == known_user.get("id") for u in users)
