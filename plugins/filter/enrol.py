# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side data shaping for the ``enrol`` role: read people from CSV, prepare the records for
``moodle_user``, hand its results to ``moodle_cohort_member``, merge both into one row per person, and
write rows as CSV.

No I/O and no Moodle calls here: the role reads the file with the ``ansible.builtin.file`` lookup and
the modules talk to Moodle. Documentation of each filter: ``<filter name>.yml`` next to this file.
"""

import csv
import io
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import status as cohort_status
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as user_status
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import USER_FIELDS
from ansible_collections.dsenroll.moodle.plugins.plugin_utils import report_text

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

# The moodle_user statuses after which the person goes on to the cohort step.
USER_READY = (
    user_status.CREATED,
    user_status.WOULD_CREATE,
    user_status.EXISTS,
    user_status.UPDATED,
    user_status.WOULD_UPDATE,
)
SUMMARY_KEYS = ("people", "created", "existed", "added", "already_members", "unknown", "failed")
_UNDECODABLE = re.compile("[\ud800-\udfff]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


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
            raise AnsibleFilterError(_not_utf8_message(exc))
    if not isinstance(data, str):
        raise AnsibleFilterError("people_from_csv expects the CSV file's text, got %s" % type(data).__name__)
    text = to_text(data)
    # ansible.builtin.file decodes with surrogateescape: bytes that are not UTF-8 come back as lone surrogates.
    bad = _UNDECODABLE.search(text)
    if bad:
        raise AnsibleFilterError(_not_utf8_message(None, text.count("\n", 0, bad.start()) + 1))
    # Excel's "CSV UTF-8" starts with a byte order mark; it is not part of the first column's name.
    return text[1:] if text.startswith("\ufeff") else text


def _not_utf8_message(exc, line=None):
    where = " (line %d)" % line if line else (" (%s)" % exc if exc else "")
    return (
        "the CSV file is not UTF-8%s: save it again as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8; "
        "LibreOffice: character set Unicode (UTF-8))" % where
    )


def people_from_csv(data, delimiter=",", unknown_columns="fail"):
    """The rows of a CSV with a header row, as a list of user dicts for moodle_user (see people_from_csv.yml)."""
    if unknown_columns not in ("fail", "ignore"):
        raise AnsibleFilterError("unknown_columns must be 'fail' or 'ignore', not %r" % (unknown_columns,))
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise AnsibleFilterError("delimiter must be one character, not %r" % (delimiter,))
    reader = csv.reader(io.StringIO(_csv_text(data), newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise AnsibleFilterError(
                "the CSV file is empty: its first row must name the columns (email, firstname, lastname, ...)"
            )
        keys = _header_keys(header, delimiter, unknown_columns)
        people = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(keys):
                raise AnsibleFilterError(
                    "line %d of the CSV file has %d cells but the header has %d: a name or value containing '%s' "
                    'must be quoted ("Smith, Jr.")' % (reader.line_num, len(row), len(keys), delimiter)
                )
            people.append(_person(keys, row))
    except csv.Error as exc:
        raise AnsibleFilterError("the CSV file cannot be read at line %d: %s" % (reader.line_num, exc))
    return people


def _header_keys(header, delimiter, unknown_columns):
    keys = [_header_key(cell) for cell in header]
    if len(keys) == 1 and delimiter == "," and ";" in header[0]:
        raise AnsibleFilterError(
            "the CSV header has one column %r: the file seems to be separated by ';', "
            "set the delimiter to ';' (role variable moodle_enrol_csv_delimiter)" % header[0]
        )
    seen = set()
    unknown = []
    for index, key in enumerate(keys):
        if not key:
            following = index + 1
            if any(keys[following:]):
                raise AnsibleFilterError("column %d of the CSV header has no name" % (index + 1))
            continue
        if key in seen:
            raise AnsibleFilterError("the CSV header names the column %r twice" % key)
        seen.add(key)
        if key not in CSV_FIELDS and not key.startswith(PROFILE_FIELD_PREFIX):
            unknown.append(header[index].strip())
    if "email" not in seen:
        raise AnsibleFilterError(
            "the CSV header has no email column (found: %s)" % ", ".join(h.strip() for h in header)
        )
    if unknown and unknown_columns == "fail":
        raise AnsibleFilterError(
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


def enrol_user_records(people):
    """People as moodle_user ``users`` items: ``create_password: true`` for manual accounts given no password."""
    if not isinstance(people, list):
        raise AnsibleFilterError("the people to enrol must be a list of dicts, got %s" % type(people).__name__)
    records = []
    for position, person in enumerate(people, 1):
        if not isinstance(person, dict):
            raise AnsibleFilterError(
                "person %d of the list is not a dict (email, firstname, lastname, ...): %r"
                % (position, type(person).__name__)
            )
        record = dict(person)
        # Moodle then generates the password, mails it to the person and forces a change at first login,
        # so no password travels through the playbook, its variables or its logs (docs/moodle-behaviour.md#create-transaction).
        if (
            not record.get("password")
            and "create_password" not in record
            and record.get("auth", "manual") in (None, "", "manual")
        ):
            record["create_password"] = True
        records.append(record)
    return records


def enrol_member_refs(user_results):
    """The cohort members to ensure, from moodle_user's ``results``: ``{id}``, or ``{email}`` before creation."""
    refs = []
    results, _failure = _results(user_results, "moodle_user")
    for result in results:
        if result.get("status") not in USER_READY:
            continue
        if result.get("id"):
            refs.append({"id": int(result["id"])})
        else:
            # Check mode: the user would be created, so only the e-mail is known (moodle_cohort_member
            # predicts would_add for it).
            refs.append({"email": result.get("email")})
    return refs


def _results(value, module):
    """``(results, failure)``: a registered result without ``results`` (the module failed as a whole, e.g. an
    invalid token, or the task was skipped) gives no results and the module's message."""
    if isinstance(value, dict):
        if "results" not in value:
            return [], value.get("msg") or "%s returned no results" % module
        value = value["results"]
    if value is None:
        return [], "%s returned no results" % module
    if not isinstance(value, list):
        raise AnsibleFilterError("expected the results of %s, got %s" % (module, type(value).__name__))
    return value, None


def enrol_report(people, user_results, member_results):
    """One row per input person (user step, cohort step, outcome, reason) and the summary counts."""
    user_results, user_failure = _results(user_results, "moodle_user")
    member_results, member_failure = _results(member_results, "moodle_cohort_member")
    if user_failure:
        # Every person still ends with a reason, never silently dropped.
        user_results = [{"email": p.get("email"), "status": user_status.FAILED, "msg": user_failure} for p in people]
    if len(user_results) != len(people):
        raise AnsibleFilterError("moodle_user returned %d results for %d people" % (len(user_results), len(people)))
    members = iter(member_results)
    rows = []
    for position, (person, user) in enumerate(zip(people, user_results), 1):
        member = next(members, None) if user.get("status") in USER_READY else None
        rows.append(_report_row(position, person, user, member, member_failure))
    leftover = next(members, None)
    if leftover is not None:
        raise AnsibleFilterError("moodle_cohort_member returned more results than users were sent to it")
    return {"people": rows, "summary": _summary(rows), "failed": [r for r in rows if r["outcome"] == "failed"]}


def _report_row(position, person, user, member, member_failure):
    row = {
        "position": position,
        "email": user.get("email") or person.get("email"),
        "username": user.get("username") or person.get("username"),
        "firstname": person.get("firstname"),
        "lastname": person.get("lastname"),
        "id": user.get("id") or (member or {}).get("id"),
        "user": user.get("status"),
        "cohort": "skipped",
        "msg": "",
    }
    user_msg = user.get("msg") or ""
    if row["user"] not in USER_READY:
        row["outcome"] = "failed"
        row["msg"] = user_msg or "moodle_user status %s" % row["user"]
        return row
    if member is None:
        row["cohort"] = cohort_status.FAILED
        member_msg = member_failure or "moodle_cohort_member returned no result for this user"
    else:
        row["cohort"] = member.get("status")
        member_msg = member.get("msg") or ""
    if row["cohort"] == cohort_status.FAILED:
        row["outcome"] = "failed"
        row["msg"] = member_msg or "moodle_cohort_member status failed"
    else:
        row["outcome"] = "unknown" if row["cohort"] == cohort_status.UNKNOWN else "ok"
        # Information, not a failure: e.g. which fields of an existing user differ from the input.
        row["msg"] = "; ".join(m for m in (user_msg, member_msg) if m)
    return row


def _summary(rows):
    counts = dict((key, 0) for key in SUMMARY_KEYS)
    counts["people"] = len(rows)
    for row in rows:
        if row["user"] in (user_status.CREATED, user_status.WOULD_CREATE):
            counts["created"] += 1
        elif row["user"] in (user_status.EXISTS, user_status.UPDATED, user_status.WOULD_UPDATE):
            counts["existed"] += 1
        if row["cohort"] in (cohort_status.ADDED, cohort_status.WOULD_ADD):
            counts["added"] += 1
        elif row["cohort"] == cohort_status.MEMBER:
            counts["already_members"] += 1
        elif row["cohort"] == cohort_status.UNKNOWN:
            counts["unknown"] += 1
        if row["outcome"] == "failed":
            counts["failed"] += 1
    return counts


def enrol_summary(report, check_mode=False, max_failed=20):
    """The short summary of an enrol_report as lines of text: counts, then the failed people and why."""
    counts = report["summary"]
    would = "would be " if check_mode else ""
    cohort = "cohort: %d %sadded, %d already members" % (counts["added"], would, counts["already_members"])
    if counts["unknown"]:
        cohort += (
            ", %d unknown (check mode cannot read memberships without core_cohort_get_cohort_members in "
            "the service)" % counts["unknown"]
        )
    lines = ["CHECK MODE: nothing was written, these are predictions"] if check_mode else []
    lines += [
        "people: %d" % counts["people"],
        "users: %d %screated, %d existed" % (counts["created"], would, counts["existed"]),
        cohort,
        "failed: %d" % counts["failed"],
    ]
    failed = report.get("failed") or []
    for row in failed[: max(int(max_failed), 0)]:
        who = row.get("email") or row.get("username") or "(no e-mail)"
        step = "user" if row.get("cohort") == "skipped" else "cohort"
        lines.append("  #%d %s: %s failed: %s" % (row["position"], who, step, row.get("msg") or "no reason given"))
    if len(failed) > max(int(max_failed), 0):
        lines.append("  ... and %d more (see the report file)" % (len(failed) - max(int(max_failed), 0)))
    return lines


def rows_to_csv(rows, columns=None):
    """Rows (dicts) as CSV text with a header row (see rows_to_csv.yml); shared with the report_file action."""
    try:
        return report_text.rows_to_csv(rows, columns)
    except TypeError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {
            "people_from_csv": people_from_csv,
            "enrol_user_records": enrol_user_records,
            "enrol_member_refs": enrol_member_refs,
            "enrol_report": enrol_report,
            "enrol_summary": enrol_summary,
            "rows_to_csv": rows_to_csv,
        }
