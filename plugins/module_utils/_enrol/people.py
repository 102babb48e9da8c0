# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The people to enrol: read from a CSV file (or its text), a YAML or JSON list, and made ready for the user step.

Shared by the enrol filters (``people_from_csv``, ``enrol_user_records``) and the ``moodle_enrol`` module, so that
a file reads the same through the role's filters and through the module. Errors are PeopleError (a ValueError)
with a message that says what to fix.
"""

import csv
import io
import json
import os
import re

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import USER_FIELDS

# The user fields a CSV may carry: the options of moodle_user's ``users`` items, but the flag and the
# custom fields (those come as profile_field_<shortname> columns).
CSV_FIELDS = tuple(f for f in USER_FIELDS if f not in ("create_password", "customfields"))
# Header spellings of spreadsheets and other tools, mapped to Moodle's field names.
CSV_ALIASES = {
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "e_mail_address": "email",
    "first_name": "firstname",
    "given_name": "firstname",
    "forename": "firstname",
    "last_name": "lastname",
    "surname": "lastname",
    "family_name": "lastname",
    "user_name": "username",
    "login": "username",
    "id_number": "idnumber",
}
# Moodle's own "Upload users" CSV names custom profile fields profile_field_<shortname>.
PROFILE_FIELD_PREFIX = "profile_field_"
PROFILE_FIELD_PREFIX_LENGTH = len(PROFILE_FIELD_PREFIX)
# Passwords are kept verbatim: a space may be part of one.
UNSTRIPPED_FIELDS = ("password",)
UNKNOWN_COLUMNS = ("fail", "ignore")
# How a people file is read, by its extension; anything else is CSV.
JSON_EXTENSIONS = (".json",)
YAML_EXTENSIONS = (".yml", ".yaml")
_UNDECODABLE = re.compile("[\ud800-\udfff]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


class PeopleError(ValueError):
    """The people cannot be read: the message says where and what to fix."""


# -- CSV ------------------------------------------------------------------------------------------
def _header_key(cell):
    """A header cell as a field name: ``First Name`` -> ``firstname``; custom fields keep their shortname."""
    raw = cell.strip()
    if raw.lower().startswith(PROFILE_FIELD_PREFIX):
        return PROFILE_FIELD_PREFIX + raw[PROFILE_FIELD_PREFIX_LENGTH:]
    key = _HEADER_SEPARATORS.sub("_", raw.lower())
    return CSV_ALIASES.get(key, key)


def _csv_text(data):
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PeopleError(_not_utf8_message(exc, line=data.count(b"\n", 0, exc.start) + 1))
    if not isinstance(data, str):
        raise PeopleError("people_from_csv expects the CSV file's text, got %s" % type(data).__name__)
    # ansible.builtin.file decodes with surrogateescape: bytes that are not UTF-8 come back as lone surrogates.
    bad = _UNDECODABLE.search(data)
    if bad:
        raise PeopleError(_not_utf8_message(None, data.count("\n", 0, bad.start()) + 1))
    # Excel's "CSV UTF-8" starts with a byte order mark; it is not part of the first column's name.
    return data[1:] if data.startswith("\ufeff") else data


def _not_utf8_message(exc, line=None):
    where = " (line %d)" % line if line else (" (%s)" % exc if exc else "")
    return (
        "the CSV file is not UTF-8%s: save it again as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8; "
        "LibreOffice: character set Unicode (UTF-8))" % where
    )


def people_from_csv(data, delimiter=",", unknown_columns="fail"):
    """The rows of a CSV with a header row (text or bytes), as a list of user dicts (see people_from_csv.yml)."""
    if unknown_columns not in UNKNOWN_COLUMNS:
        raise PeopleError("unknown_columns must be 'fail' or 'ignore', not %r" % (unknown_columns,))
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise PeopleError("delimiter must be one character, not %r" % (delimiter,))
    reader = csv.reader(io.StringIO(_csv_text(data), newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise PeopleError(
                "the CSV file is empty: its first row must name the columns (email, firstname, lastname, ...)"
            )
        keys = _header_keys(header, delimiter, unknown_columns)
        people = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(keys):
                raise PeopleError(
                    "line %d of the CSV file has %d cells but the header has %d: a name or value containing '%s' "
                    'must be quoted ("Smith, Jr.")' % (reader.line_num, len(row), len(keys), delimiter)
                )
            people.append(_person(keys, row))
    except csv.Error as exc:
        raise PeopleError("the CSV file cannot be read at line %d: %s" % (reader.line_num, exc))
    return people


def _header_keys(header, delimiter, unknown_columns):
    keys = [_header_key(cell) for cell in header]
    if len(keys) == 1 and delimiter == "," and ";" in header[0]:
        raise PeopleError(
            "the CSV header has one column %r: the file seems to be separated by ';', "
            "set the delimiter to ';' (role variable moodle_enrol_csv_delimiter)" % header[0]
        )
    seen = set()
    unknown = []
    for index, key in enumerate(keys):
        if not key:
            following = index + 1
            if any(keys[following:]):
                raise PeopleError("column %d of the CSV header has no name" % (index + 1))
            continue
        if key in seen:
            raise PeopleError("the CSV header names the column %r twice" % key)
        seen.add(key)
        if key not in CSV_FIELDS and not key.startswith(PROFILE_FIELD_PREFIX):
            unknown.append(header[index].strip())
    if "email" not in seen:
        raise PeopleError("the CSV header has no email column (found: %s)" % ", ".join(h.strip() for h in header))
    if unknown and unknown_columns == "fail":
        raise PeopleError(
            "the CSV header has columns that are not Moodle user fields: %s. Known: %s, and profile_field_<shortname> "
            "for custom profile fields (or ignore them with unknown_columns='ignore')"
            % (", ".join(unknown), ", ".join(CSV_FIELDS))
        )
    return [key if (key in CSV_FIELDS or key.startswith(PROFILE_FIELD_PREFIX)) else None for key in keys]


def _person(keys, row):
    person = {}
    for key, cell in zip(keys, row):
        value = cell if key in UNSTRIPPED_FIELDS else cell.strip()
        if not key or value == "":
            # An empty cell means "not given", so that moodle_user's defaults apply (e.g. the username).
            continue
        if key.startswith(PROFILE_FIELD_PREFIX):
            person.setdefault("customfields", {})[key[PROFILE_FIELD_PREFIX_LENGTH:]] = value
        else:
            person[key] = value
    return person


# -- a people file ------------------------------------------------------------------------------
def file_format(path):
    """``json``, ``yaml`` or ``csv``, by the file's extension (any letter case); anything else is CSV."""
    extension = os.path.splitext(path)[1].lower()
    if extension in JSON_EXTENSIONS:
        return "json"
    if extension in YAML_EXTENSIONS:
        return "yaml"
    return "csv"


def read_people(path, delimiter=",", unknown_columns="fail", load_yaml=None):
    """The people of the file at ``path``: CSV with a header row, or a YAML or JSON list of user dicts.

    ``load_yaml``: a function from YAML text to data (the module passes Ansible's safe loader), or None when there
    is none, which refuses YAML files."""
    fmt = file_format(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise PeopleError("cannot read the people file %s: %s" % (path, exc.strerror or exc))
    if fmt == "csv":
        return people_from_csv(data, delimiter, unknown_columns)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PeopleError(
            "the people file %s is not UTF-8 (line %d): save it again as UTF-8"
            % (path, data.count(b"\n", 0, exc.start) + 1)
        )
    return check_people(_load(text, fmt, path, load_yaml), path)


def _load(text, fmt, path, load_yaml):
    if fmt == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise PeopleError("the people file %s is not valid JSON: %s" % (path, exc))
    if load_yaml is None:
        raise PeopleError(
            "reading the YAML file %s needs the PyYAML Python library, which ansible-core needs too; install it on "
            "the host that runs the module, or give a CSV or JSON file" % path
        )
    try:
        return load_yaml(text)
    except Exception as exc:  # the parser's own error class: whatever it is, the text is not valid YAML
        raise PeopleError("the people file %s is not valid YAML: %s" % (path, exc))


def _scalar_text(value, where):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PeopleError("%s must be a text, not %s" % (where, type(value).__name__))
    return value if isinstance(value, str) else str(value)


def check_people(items, source):
    """A YAML or JSON list as the user dicts of ``users``: the same keys, text values (numbers become text, as an
    option of type str makes them), ``create_password`` a boolean, ``customfields`` a dict; null means not given."""
    if not isinstance(items, list):
        raise PeopleError(
            "%s must hold a list of people (email, firstname, lastname, ...), not %s" % (source, type(items).__name__)
        )
    people = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise PeopleError("person %d of %s is not a dict but %s" % (position, source, type(item).__name__))
        unknown = sorted(str(key) for key in item if key not in USER_FIELDS)
        if unknown:
            raise PeopleError(
                "person %d of %s has keys that are not user fields: %s (known: %s)"
                % (position, source, ", ".join(unknown), ", ".join(USER_FIELDS))
            )
        people.append(_checked_person(item, "person %d of %s" % (position, source)))
    return people


def _checked_person(item, where):
    person = {}
    for key, value in item.items():
        if value is None:
            continue
        if key == "create_password":
            if not isinstance(value, bool):
                raise PeopleError("%s: create_password must be true or false, not %r" % (where, value))
            person[key] = value
        elif key == "customfields":
            if not isinstance(value, dict):
                raise PeopleError("%s: customfields must be a dict of shortname to value" % where)
            person[key] = dict(
                (str(name), _scalar_text(field, "%s: customfields.%s" % (where, name))) for name, field in value.items()
            )
        else:
            person[key] = _scalar_text(value, "%s: %s" % (where, key))
    return person


# -- ready for the user step --------------------------------------------------------------------
def enrol_user_records(people):
    """People as ``users`` items for the user step: ``create_password: true`` for manual accounts given no
    password (and no ``create_password`` of their own)."""
    if not isinstance(people, list):
        raise PeopleError("the people to enrol must be a list of dicts, got %s" % type(people).__name__)
    records = []
    for position, person in enumerate(people, 1):
        if not isinstance(person, dict):
            raise PeopleError(
                "person %d of the list is not a dict (email, firstname, lastname, ...): %r"
                % (position, type(person).__name__)
            )
        record = dict(person)
        # Moodle then generates the password, mails it to the person and forces a change at first login,
        # so no password travels through the playbook, its variables or its logs (docs/moodle-behaviour.md#create-transaction).
        if (
            not record.get("password")
            and record.get("create_password") is None
            and record.get("auth") in (None, "", "manual")
        ):
            record["create_password"] = True
        records.append(record)
    return records
