# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One row per person from the user step and the cohort step, and the counts of an enrolment.

Shared by the enrol filters (``enrol_member_refs``, ``enrol_report``) and the ``moodle_enrol`` module, so that the
two-module path (moodle_user, then moodle_cohort_member) and the one-module path report the same rows. Rows never
hold a password or the token: they are built from named fields only. Errors are ReportError (a ValueError).
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import status as cohort_status
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import status as user_status

# The user statuses after which the person goes on to the cohort step.
USER_READY = (
    user_status.CREATED,
    user_status.WOULD_CREATE,
    user_status.EXISTS,
    user_status.UPDATED,
    user_status.WOULD_UPDATE,
)
SUMMARY_KEYS = ("people", "created", "existed", "added", "already_members", "unknown", "failed")
# The columns of a row, in the order a CSV report has them.
COLUMNS = ("position", "email", "username", "firstname", "lastname", "id", "user", "cohort", "outcome", "msg")
# A row's outcome, and its cohort status when the user step did not let the person reach the cohort step.
OK, UNKNOWN, FAILED = "ok", "unknown", "failed"
SKIPPED = "skipped"
USER_STEP = "moodle_user"
COHORT_STEP = "moodle_cohort_member"


class ReportError(ValueError):
    """The results given do not belong to the people given."""


def member_refs(user_results):
    """The cohort members to ensure, from the user step's results: ``{id}``, or ``{email}`` before creation."""
    refs = []
    results, _failure = results_of(user_results, USER_STEP)
    for result in results:
        if result.get("status") not in USER_READY:
            continue
        if result.get("id"):
            refs.append({"id": int(result["id"])})
        else:
            # Check mode: the user would be created, so only the e-mail is known (the cohort step predicts
            # would_add for it).
            refs.append({"email": result.get("email")})
    return refs


def results_of(value, step):
    """``(results, failure)``: a step's result without ``results`` (the step failed as a whole, e.g. an invalid
    token, or was skipped) gives no results and the step's message."""
    if isinstance(value, dict):
        if "results" not in value:
            return [], value.get("msg") or "%s returned no results" % step
        value = value["results"]
    if value is None:
        return [], "%s returned no results" % step
    if not isinstance(value, list):
        raise ReportError("expected the results of %s, got %s" % (step, type(value).__name__))
    return value, None


def report(people, user_results, member_results):
    """One row per input person (user step, cohort step, outcome, reason), the counts, and the failed rows."""
    user_results, user_failure = results_of(user_results, USER_STEP)
    member_results, member_failure = results_of(member_results, COHORT_STEP)
    if user_failure:
        # Every person still ends with a reason, never silently dropped.
        user_results = [{"email": p.get("email"), "status": user_status.FAILED, "msg": user_failure} for p in people]
    if len(user_results) != len(people):
        raise ReportError("%s returned %d results for %d people" % (USER_STEP, len(user_results), len(people)))
    members = iter(member_results)
    rows = []
    for position, (person, user) in enumerate(zip(people, user_results), 1):
        member = next(members, None) if user.get("status") in USER_READY else None
        rows.append(_row(position, person, user, member, member_failure))
    leftover = next(members, None)
    if leftover is not None:
        raise ReportError("%s returned more results than users were sent to it" % COHORT_STEP)
    return {"people": rows, "summary": summary(rows), "failed": [r for r in rows if r["outcome"] == FAILED]}


def _row(position, person, user, member, member_failure):
    row = {
        "position": position,
        "email": user.get("email") or person.get("email"),
        "username": user.get("username") or person.get("username"),
        "firstname": person.get("firstname"),
        "lastname": person.get("lastname"),
        "id": user.get("id") or (member or {}).get("id"),
        "user": user.get("status"),
        "cohort": SKIPPED,
        "msg": "",
    }
    user_msg = user.get("msg") or ""
    if row["user"] not in USER_READY:
        row["outcome"] = FAILED
        row["msg"] = user_msg or "%s status %s" % (USER_STEP, row["user"])
        return row
    if member is None:
        row["cohort"] = cohort_status.FAILED
        member_msg = member_failure or "%s returned no result for this user" % COHORT_STEP
    else:
        row["cohort"] = member.get("status")
        member_msg = member.get("msg") or ""
    if row["cohort"] == cohort_status.FAILED:
        row["outcome"] = FAILED
        row["msg"] = member_msg or "%s status failed" % COHORT_STEP
    else:
        row["outcome"] = UNKNOWN if row["cohort"] == cohort_status.UNKNOWN else OK
        # Information, not a failure: e.g. which fields of an existing user differ from the input.
        row["msg"] = "; ".join(m for m in (user_msg, member_msg) if m)
    return row


def summary(rows):
    """How many people, users created and found, members added and already there, unknown, failed."""
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
        if row["outcome"] == FAILED:
            counts["failed"] += 1
    return counts


# -- what an enrolment returns and writes -------------------------------------------------------
# How many rows a task returns: every person, the failed ones, or none (the summary is always returned).
RESULTS = ("all", "failed", "none")
# How many failed people the failure message names before "and N more".
NAMED_FAILURES = 3


def rows_returned(report, which):
    """The rows ``which`` (one of RESULTS) asks for."""
    if which == "none":
        return []
    return list(report["failed"] if which == "failed" else report["people"])


def document(report, site, cohort, check_mode):
    """The JSON report file: the site's host name, the cohort as given, whether check mode predicted it, the counts
    and the rows."""
    return {
        "site": site,
        "cohort": cohort,
        "check_mode": check_mode,
        "summary": report["summary"],
        "people": report["people"],
    }


def _who(row):
    return "#%d %s" % (row["position"], row.get("email") or row.get("username") or "(no e-mail)")


def failure_message(report, fatal=None):
    """``None`` when everyone was enrolled; else how many were not, led by the error that stopped a step as a whole
    (and what to change in Moodle), or naming the first failed people and why."""
    counts = report["summary"]
    if fatal is not None:
        remediation = getattr(fatal, "remediation", "")
        return "%s. %s(%d of %d people were not enrolled)" % (
            fatal,
            remediation + " " if remediation else "",
            counts["failed"],
            counts["people"],
        )
    failed = report["failed"]
    if not failed:
        return None
    named = "; ".join("%s: %s" % (_who(row), row.get("msg")) for row in failed[:NAMED_FAILURES])
    more = len(failed) - NAMED_FAILURES
    return "%d of %d people were not enrolled: %s%s" % (
        len(failed),
        counts["people"],
        named,
        " (and %d more, see people or the report)" % more if more > 0 else "",
    )
