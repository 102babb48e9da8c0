# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input users as Moodle will see them: local validation, username derivation, the create payload.

Pure functions over dicts: nothing here talks to Moodle. Everything that Moodle would reject in a
create (and so roll back a whole batch with, docs/moodle-behaviour.md#create-transaction) is caught here first when it can be.
"""

import re

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import (
    USERNAME_REJECTED,
    is_clean_username,
    normalize_email,
)

# Options of one user, in the order they are documented. ``password`` is never echoed anywhere.
USER_FIELDS = (
    "email",
    "username",
    "firstname",
    "lastname",
    "idnumber",
    "auth",
    "password",
    "create_password",
    "lang",
    "timezone",
    "city",
    "country",
    "department",
    "institution",
    "phone1",
    "description",
    "customfields",
)
# Profile fields sent on create and compared with Moodle's record (docs/moodle-behaviour.md#create-transaction lists what
# core_user_create_users accepts; an unknown key fails the whole call).
PROFILE_FIELDS = (
    "firstname",
    "lastname",
    "idnumber",
    "auth",
    "lang",
    "timezone",
    "city",
    "country",
    "department",
    "institution",
    "phone1",
    "description",
)
MATCH_WORDS = {"email": "e-mail address (in any letter case)", "username": "username", "idnumber": "idnumber"}
# Moodle's column sizes (user table): longer values fail the create.
MAX_LENGTHS = {
    "username": 100,
    "email": 100,
    "firstname": 100,
    "lastname": 100,
    "idnumber": 255,
    "city": 120,
    "country": 2,
    "department": 255,
    "institution": 255,
    "phone1": 20,
    "lang": 30,
    "timezone": 100,
    "auth": 20,
}
_LENGTH_CHECKS = tuple(sorted(MAX_LENGTHS.items()))
# PHPMailer's 'html5' pattern, which Moodle's validate_email() uses; Moodle also refuses < and >.
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# Fields Moodle cleans with PARAM_NOTAGS or PARAM_TEXT: validate_param() refuses a value that
# strip_tags() would change (docs/moodle-behaviour.md#create-transaction).
TAGLESS_FIELDS = ("firstname", "lastname", "phone1", "city", "department", "institution")
# PHP's trim() characters (narrower than Python's str.strip()), and its isspace() for strip_tags().
PHP_TRIM = " \t\n\r\0\x0b"
PHP_SPACE = " \t\n\r\x0b\x0c"
_COUNTRY = re.compile(r"[A-Za-z]{2}")
USERNAME_RULE = "lowercase, only a-z 0-9 and . _ - @"
# Authentication plugins that keep the password in Moodle: they need password or createpassword.
INTERNAL_AUTHS = ("manual", "email", "none")
# auth of a new user when none is given; an existing user's auth is compared only when given.
DEFAULT_AUTH = "manual"


def derive_username(email):
    """The username used when none is given: the e-mail, trimmed and lowercased, with every character
    Moodle's PARAM_USERNAME rejects (anything but a-z 0-9 . _ - @) replaced by ``_``.

    ``Anne-Marie.O'Neil+x@Example.org`` -> ``anne-marie.o_neil_x@example.org``.
    """
    return USERNAME_REJECTED.sub("_", normalize_email(email or ""))


def is_valid_email(address):
    return bool(address) and _EMAIL.fullmatch(address) is not None and not re.search(r"[<>\r\n]", address)


def strip_tags_changes(text):
    """True when PHP's strip_tags() (with fix_utf8()) would alter ``text``: a NUL byte, or a ``<`` that
    is not followed by whitespace (it opens a tag)."""
    if "\0" in text:
        return True
    for position, char in enumerate(text):
        if char == "<":
            following = text[position + 1] if position + 1 < len(text) else ""
            if not following or following not in PHP_SPACE:
                return True
    return False


def _text(value):
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


class UserRecord(object):
    """One input user: what was asked, its position in the input, and what Moodle will be sent."""

    def __init__(self, index, spec, match_by="email"):
        self.index = index
        self.spec = dict((k, spec.get(k)) for k in USER_FIELDS)
        self.match_by = match_by
        email = _text(self.spec.get("email"))
        self.email = email.strip() if email is not None else None
        username = _text(self.spec.get("username"))
        self.username_given = username is not None and username != ""
        self.username = username if self.username_given else (derive_username(self.email) if self.email else None)
        self.idnumber = _text(self.spec.get("idnumber"))
        self.problem = None

    @property
    def match_value(self):
        """The value looked up in Moodle (e-mails are compared case-insensitively)."""
        if self.match_by == "email":
            return self.email
        if self.match_by == "username":
            return self.username
        return self.idnumber

    @property
    def match_key(self):
        value = self.match_value
        if value is None:
            return None
        return normalize_email(value) if self.match_by == "email" else value

    @property
    def label(self):
        """How the record is named in messages: its e-mail, else its match value, else its position."""
        return self.email or self.match_value or "item %d" % (self.index + 1)

    def wanted(self):
        """Profile values this input asks for (given ones only), as Moodle stores them (strings)."""
        wanted = {}
        for name in PROFILE_FIELDS:
            value = self.spec.get(name)
            if value is not None:
                wanted[name] = _text(value)
        if self.username_given:
            wanted["username"] = self.username
        if self.spec.get("customfields"):
            wanted["customfields"] = dict((str(k), _text(v)) for k, v in self.spec["customfields"].items())
        return wanted

    def create_payload(self):
        """The ``users[i]`` entry for core_user_create_users: only keys Moodle accepts (docs/moodle-behaviour.md#create-transaction)."""
        payload = {
            "username": self.username,
            "firstname": _text(self.spec["firstname"]),
            "lastname": _text(self.spec["lastname"]),
            "email": self.email,
        }
        for name in PROFILE_FIELDS:
            value = self.spec.get(name)
            if value is not None and name not in payload:
                payload[name] = _text(value)
        payload.setdefault("auth", DEFAULT_AUTH)
        if self.spec.get("password"):
            payload["password"] = _text(self.spec["password"])
        if self.spec.get("create_password"):
            payload["createpassword"] = True  # the form encoder sends 1 (docs/moodle-behaviour.md#request-encoding)
        if self.spec.get("customfields"):
            payload["customfields"] = [
                {"type": str(k), "value": _text(v)} for k, v in sorted(self.spec["customfields"].items())
            ]
        return payload

    def public(self):
        """The input as shown in diffs: never the password."""
        shown = {"email": self.email, "username": self.username}
        shown.update(self.wanted())
        return shown


def record_problem(record, state):
    """Why ``record`` cannot even be looked up (None when it can): checked for every record."""
    if state == "present" and not record.email:
        return "email is required"
    if record.email is not None and record.email != "" and not is_valid_email(record.email):
        return "email %r is not a valid e-mail address for Moodle" % record.email
    if record.match_value in (None, ""):
        return "%s is required to find the user (match_by=%s)" % (record.match_by, record.match_by)
    if record.username is not None and not is_clean_username(record.username):
        return "username %r is not valid for Moodle (%s)" % (record.username, USERNAME_RULE)
    for name in TAGLESS_FIELDS:
        value = record.spec.get(name)
        if value is not None and strip_tags_changes(_text(value)):
            return "%s contains markup or a NUL byte that Moodle would strip, so it refuses the value" % name
    country = record.spec.get("country")
    if country not in (None, "") and _COUNTRY.fullmatch(_text(country)) is None:
        return "country must be a two-letter code such as FR, not %r" % country
    for name, limit in _LENGTH_CHECKS:
        value = record.username if name == "username" else record.email if name == "email" else record.spec.get(name)
        if value is not None and len(_text(value)) > limit:
            return "%s is longer than the %d characters Moodle allows" % (name, limit)
    return None


def create_problem(record):
    """Why Moodle would refuse to create ``record`` (None when it would not), checked before sending it."""
    for name in ("firstname", "lastname"):
        value = record.spec.get(name)
        if value is None or not _text(value).strip(PHP_TRIM):
            return "%s is required to create the user" % name
    auth = record.spec.get("auth") or DEFAULT_AUTH
    if auth in INTERNAL_AUTHS and not record.spec.get("password") and not record.spec.get("create_password"):
        return "password or create_password is required to create a user with auth %s" % auth
    return None


def mark_duplicates(records, key_of, what):
    """Fail every record whose ``key_of(record)`` is shared with another one: never guess which is meant."""
    positions = {}
    for record in records:
        key = key_of(record)
        if record.problem is None and key not in (None, ""):
            positions.setdefault(key, []).append(record)
    for group in positions.values():
        if len(group) > 1:
            items = ", ".join(str(r.index + 1) for r in group)
            for record in group:
                record.problem = "the same %s appears in input items %s" % (what, items)


def validate(records, state):
    """Set ``record.problem`` on every record that must not be sent to Moodle at all."""
    for record in records:
        record.problem = record_problem(record, state)
    if records:
        mark_duplicates(records, lambda r: r.match_key, MATCH_WORDS[records[0].match_by])
    return records


def differences(record, moodle_user):
    """``{field: (in Moodle, wanted)}`` for the given fields whose value differs from Moodle's record.

    Moodle omits empty fields from lookups (docs/moodle-behaviour.md#clean-lookup-values), so a missing key is "".
    E-mails differing only in letter case are the same address.
    """
    diffs = {}
    for name, wanted in sorted(record.wanted().items()):
        if name == "customfields":
            have = dict((f.get("shortname"), _text(f.get("value"))) for f in moodle_user.get("customfields") or [])
            for short, value in sorted(wanted.items()):
                if (have.get(short) or "") != (value or ""):
                    diffs["customfields.%s" % short] = (have.get(short) or "", value)
            continue
        have = _text(moodle_user.get(name))
        if (have or "") != (wanted or ""):
            diffs[name] = (have or "", wanted)
    if (
        record.match_by != "email"
        and record.email
        and normalize_email(moodle_user.get("email") or "") != normalize_email(record.email)
    ):
        diffs["email"] = (moodle_user.get("email") or "", record.email)
    return diffs


def update_payload(moodle_user, diffs):
    """The ``users[i]`` entry for core_user_update_users: the id and the changed fields only."""
    payload = {"id": moodle_user["id"]}
    customfields = []
    for name, (_have, wanted) in sorted(diffs.items()):
        if name.startswith("customfields."):
            customfields.append({"type": name.split(".", 1)[1], "value": wanted})
        else:
            payload[name] = wanted
    if customfields:
        payload["customfields"] = customfields
    return payload
