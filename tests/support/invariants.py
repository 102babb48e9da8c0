# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promise every fault scenario checks, from the enrol role's report and the simulator's state:
each input person is either created (once) and in the cohort, or reported ``failed`` with a reason;
nobody is created twice; no row claims what the site's state contradicts."""

USER_DONE = ("created", "exists", "updated")
MEMBER_DONE = ("added", "member")


def accounts_by_email(sim):
    """``{lowercased e-mail: [live accounts]}`` from the simulator's state (deleted accounts left out)."""
    found = {}
    for user in sim.users():
        if not user.get("deleted"):
            found.setdefault((user.get("email") or "").lower(), []).append(user)
    return found


def violations(sim, people, report, cohort_id=1):
    """Every way the outcome breaks the promise, as readable strings (an empty list = promise kept)."""
    if not report or report.get("people") is None:
        return ["no report: the role must write one row per person whatever happened"]
    rows = report["people"]
    problems = []
    if len(rows) != len(people):
        problems.append("the report has %d rows for %d people" % (len(rows), len(people)))
    accounts = accounts_by_email(sim)
    members = set(sim.cohort_members(cohort_id))
    for person, row in zip(people, rows):
        email = person["email"]
        live = accounts.get(email.lower(), [])
        if len(live) > 1:
            problems.append("%s: created %d times (ids %s)" % (email, len(live), [u["id"] for u in live]))
        account = live[0] if len(live) == 1 else None
        enrolled = account is not None and account["id"] in members
        reported = row.get("outcome") == "failed" and bool((row.get("msg") or "").strip())
        if not enrolled and not reported:
            problems.append(
                "%s: neither enrolled (account %s, in cohort %s) nor reported failed with a reason: %s"
                % (email, account and account["id"], enrolled, row)
            )
        if row.get("outcome") == "ok" and not enrolled:
            problems.append("%s: reported ok but not enrolled: %s" % (email, row))
        if row.get("user") in USER_DONE and (account is None or row.get("id") not in (None, account["id"])):
            problems.append(
                "%s: user step says %s (id %s) but the site has ids %s"
                % (email, row.get("user"), row.get("id"), [u["id"] for u in live])
            )
        if row.get("cohort") in MEMBER_DONE and not enrolled:
            problems.append(
                "%s: cohort step says %s but the account is not in cohort %s" % (email, row.get("cohort"), cohort_id)
            )
    return problems


def not_enrolled(sim, people, cohort_id=1):
    """The stronger promise after a clean rerun: everyone has exactly one account, in the cohort."""
    accounts = accounts_by_email(sim)
    members = set(sim.cohort_members(cohort_id))
    problems = []
    for person in people:
        live = accounts.get(person["email"].lower(), [])
        if len(live) != 1 or live[0]["id"] not in members:
            problems.append(
                "%s: %d accounts, in cohort: %s" % (person["email"], len(live), [u["id"] in members for u in live])
            )
    return problems
