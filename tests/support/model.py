# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An independent model of what core_user_create_users accepts, written from docs/moodle-behaviour.md
(#clean-lookup-values, #create-transaction) and Moodle's own code (validate_param, clean_param, validate_email), not from the collection's code.

It is the oracle of the bad-input properties: a record the model rejects must never be sent
without being reported, and a record the collection sends must pass the model.
"""

import re

# PHP's trim() characters: Moodle trims with PHP, which is narrower than Python's str.strip().
PHP_TRIM = " \t\n\r\0\x0b"
# PHP's isspace(): a "<" followed by one of these is text, any other "<" opens a tag for strip_tags().
PHP_SPACE = " \t\n\r\x0b\x0c"
# PHPMailer's 'html5' pattern (moodle_phpmailer::validateAddress), anchored at the very end (PCRE /D).
EMAIL_HTML5 = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
USERNAME = re.compile(r"[-.@_a-z0-9]+")
# mdl_user column sizes: a longer value fails the insert (dml_write_exception).
COLUMN_CHARS = {"username": 100, "email": 100, "firstname": 100, "lastname": 100}
INTERNAL_AUTHS = ("manual", "email", "none")


def php_strip_tags_changes(text):
    """True when PHP 8's strip_tags() would alter ``text`` (PARAM_NOTAGS), so validate_param rejects it.

    php_strip_tags_ex: a "<" not followed by whitespace starts a tag that runs to the next ">" (or the
    end), NUL bytes are dropped, and fix_utf8() drops NUL too.
    """
    if "\0" in text:
        return True
    for position, char in enumerate(text):
        if char == "<":
            following = text[position + 1] if position + 1 < len(text) else ""
            if following == "" or following not in PHP_SPACE:
                return True
    return False


def valid_email(address):
    """Moodle's validate_email(): PHPMailer html5 pattern, no line breaks, no < or >."""
    return bool(address) and EMAIL_HTML5.fullmatch(address) is not None and not re.search(r"[<>\r\n]", address)


def field_problem(payload):
    """Why Moodle rejects this one ``users[i]`` entry on its own (None when it accepts it)."""
    for name in ("username", "firstname", "lastname", "email"):
        value = payload.get(name)
        if not isinstance(value, str):
            return "%s missing or not text" % name
        if len(value) > COLUMN_CHARS[name]:
            return "%s longer than the %d-character column" % (name, COLUMN_CHARS[name])
    username = payload["username"]
    if USERNAME.fullmatch(username) is None:
        return "username is not PARAM_USERNAME-clean"
    for name in ("firstname", "lastname"):
        if payload[name].strip(PHP_TRIM) == "":
            return "%s blank" % name
        if php_strip_tags_changes(payload[name]):
            return "%s changed by PARAM_NOTAGS" % name
    email = payload["email"]
    if email != email.strip(PHP_TRIM):
        return "email not PARAM_RAW_TRIMMED-clean"
    if not valid_email(email):
        return "email invalid for validate_email()"
    if (
        payload.get("auth", "manual") in INTERNAL_AUTHS
        and not payload.get("password")
        and not payload.get("createpassword")
    ):
        return "neither password nor createpassword"
    return None


def batch_problems(payloads, existing_emails=(), existing_usernames=()):
    """Per entry, why Moodle would refuse it in one create call (None = accepted).

    Within a call the earlier entries are inserted first, so a later repeat of a username (exact)
    or of an e-mail (case-insensitive, allowaccountssameemail off) is refused (docs/moodle-behaviour.md#create-transaction).
    """
    emails = set(e.lower() for e in existing_emails)
    usernames = set(existing_usernames)
    problems = []
    for payload in payloads:
        problem = field_problem(payload)
        if problem is None and payload["username"] in usernames:
            problem = "username already exists"
        if problem is None and payload["email"].lower() in emails:
            problem = "email already exists (case-insensitively)"
        if problem is None:
            usernames.add(payload["username"])
            emails.add(payload["email"].lower())
        problems.append(problem)
    return problems
