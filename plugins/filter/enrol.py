# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side data shaping for composing ``moodle_user`` and ``moodle_cohort_member``: read people from CSV,
prepare the records for ``moodle_user``, hand its results to ``moodle_cohort_member``, merge both into one row per
person, summarise, and write rows as CSV.

Thin wrappers: the work is done in ``module_utils/_enrol``, which the ``moodle_enrol`` module runs too, so that
both paths read the same files and report the same rows. No I/O and no Moodle calls here. Documentation of each
filter: ``<filter name>.yml`` next to this file.
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import people as enrol_people
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import report as enrol_report_rows
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import report_file


def _filter_error(errors, function, *args):
    """``function(*args)``, its refusal (one of ``errors``) raised as the filter's error."""
    try:
        return function(*args)
    except errors as exc:
        raise AnsibleFilterError(str(exc))


def people_from_csv(data, delimiter=",", unknown_columns="fail"):
    """The rows of a CSV with a header row, as a list of user dicts for moodle_user (see people_from_csv.yml)."""
    return _filter_error(enrol_people.PeopleError, enrol_people.people_from_csv, data, delimiter, unknown_columns)


def enrol_user_records(people):
    """People as moodle_user ``users`` items: ``create_password: true`` for manual accounts given no password."""
    return _filter_error(enrol_people.PeopleError, enrol_people.enrol_user_records, people)


def enrol_member_refs(user_results):
    """The cohort members to ensure, from moodle_user's ``results``: ``{id}``, or ``{email}`` before creation."""
    return _filter_error(enrol_report_rows.ReportError, enrol_report_rows.member_refs, user_results)


def enrol_report(people, user_results, member_results):
    """One row per input person (user step, cohort step, outcome, reason) and the summary counts."""
    return _filter_error(enrol_report_rows.ReportError, enrol_report_rows.report, people, user_results, member_results)


def enrol_summary(report, check_mode=False, max_failed=20):
    """The short summary of an enrolment as lines of text: counts, then the failed people and why."""
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
        step = "user" if row.get("cohort") == enrol_report_rows.SKIPPED else "cohort"
        lines.append("  #%d %s: %s failed: %s" % (row["position"], who, step, row.get("msg") or "no reason given"))
    if len(failed) > max(int(max_failed), 0):
        lines.append("  ... and %d more (see the report file)" % (len(failed) - max(int(max_failed), 0)))
    return lines


def rows_to_csv(rows, columns=None):
    """Rows (dicts) as CSV text with a header row (see rows_to_csv.yml); shared with the report_file action."""
    return _filter_error(TypeError, report_file.rows_to_csv, rows, columns)


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
