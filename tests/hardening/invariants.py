# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promise every fault scenario checks: each input person is either created (once) and in the
cohort, or reported ``failed`` with a reason; nobody is created twice; no result claims what the
simulator's state contradicts."""

DONE_USER = ("created", "exists", "updated")
DONE_MEMBER = ("added", "member")


def accounts_by_email(sim):
    """``{lowercased e-mail: [live accounts]}`` from the simulator's state (deleted accounts left out)."""
    found = {}
    for user in sim.users():
        if not user.get("deleted"):
            found.setdefault((user.get("email") or "").lower(), []).append(user)
    return found


def _entry(result, index):
    entries = result.get("results") or []
    return entries[index] if index < len(entries) else None


def _reported_failed(result, index):
    """The person's own ``failed`` entry with a reason, or a task that failed without reaching anyone."""
    entry = _entry(result, index)
    if entry is not None:
        return entry.get("status") == "failed" and bool((entry.get("msg") or "").strip())
    return bool(result.get("failed")) and bool((result.get("msg") or "").strip())


def violations(sim, people, user_result, cohort_result, cohort_id=1):
    """Every way the outcome breaks the promise, as readable strings (empty list = promise kept)."""
    problems = []
    accounts = accounts_by_email(sim)
    members = set(sim.cohort_members(cohort_id))
    for result, name in ((user_result, "moodle_user"), (cohort_result, "moodle_cohort_member")):
        entries = result.get("results")
        if entries is not None and len(entries) != len(people):
            problems.append("%s returned %d results for %d people" % (name, len(entries), len(people)))
    for index, person in enumerate(people):
        email = person["email"]
        live = accounts.get(email.lower(), [])
        if len(live) > 1:
            problems.append("%s: created %d times (ids %s)" % (email, len(live), [u["id"] for u in live]))
        account = live[0] if len(live) == 1 else None
        done = account is not None and account["id"] in members
        if not done and not (_reported_failed(user_result, index) or _reported_failed(cohort_result, index)):
            problems.append("%s: neither enrolled (account %s, in cohort %s) nor reported failed (user: %s; cohort: %s)"
                            % (email, account and account["id"], bool(account and account["id"] in members),
                               _entry(user_result, index), _entry(cohort_result, index)))
        user_entry = _entry(user_result, index)
        if user_entry and user_entry.get("status") in DONE_USER:
            if account is None or (user_entry.get("id") not in (None, account["id"])):
                problems.append("%s: moodle_user says %s (id %s) but the site has %s" % (
                    email, user_entry.get("status"), user_entry.get("id"), [u["id"] for u in live]))
        member_entry = _entry(cohort_result, index)
        if member_entry and member_entry.get("status") in DONE_MEMBER and not (account and account["id"] in members):
            problems.append("%s: moodle_cohort_member says %s but the account is not in cohort %s" % (
                email, member_entry.get("status"), cohort_id))
    return problems


def all_enrolled(sim, people, cohort_id=1):
    """Violations of the stronger promise after a clean rerun: everyone has one account in the cohort."""
    accounts = accounts_by_email(sim)
    members = set(sim.cohort_members(cohort_id))
    problems = []
    for person in people:
        live = accounts.get(person["email"].lower(), [])
        if len(live) != 1 or live[0]["id"] not in members:
            problems.append("%s: %d accounts, in cohort: %s" % (
                person["email"], len(live), [u["id"] in members for u in live]))
    return problems
