# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole enrolment in one run: find or create every user by e-mail, then add them all to the cohort.

The steps of a moodle_user task followed by a moodle_cohort_member task given ``enrol_member_refs`` of its results
(the two-module path), with the same semantics (``_users``, ``_cohorts``) and the same rows (``_enrol.report``).
One run knows what the composed path must look up again:

- the cohort is resolved and its members read before anything is written, so that a cohort proven missing stops
  the run before anyone is created;
- users found or created reach the cohort step by id, known to exist, and users check mode only predicts by
  e-mail, known not to exist yet: the cohort step looks nobody up a second time.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import report as membership_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.membership import apply_plan, plan_membership
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import parse_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import (
    Cohort,
    read_members,
    resolve_cohort,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol import report as enrol_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._users import report as user_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import UserCreator
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import (
    fail_undecided,
    finish_check_mode,
    local_outcomes,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan as plan_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.update import update_users

MEMBERS_HEADER = "members of %s"


def member_people(user_results):
    """The cohort step's people from the user step's results: by id those found or created, by e-mail those check
    mode only predicts, which do not exist yet (the user step has just looked them up)."""
    people = parse_users(enrol_report.member_refs(user_results))
    for person in people:
        if person.key == "email":
            person.missing = True
    return people


class Enrolment(object):
    """One enrolment of ``people`` (user dicts, ready for the user step) into a cohort given by id or idnumber."""

    def __init__(self, people, cohort_id=None, cohort_idnumber=None, update=False, batch_size=100):
        self.people = people
        self.records = validate([UserRecord(i, spec) for i, spec in enumerate(people)], "present")
        self.update = update
        self.batch_size = batch_size
        self.cohort = Cohort(cohort_id, cohort_idnumber)
        self.members = None  # the member ids read first, or None when unreadable
        self.outcomes = local_outcomes(self.records)
        self.user_fatal = None  # the error that stopped the lookups or the creates
        self.cohort_fatal = None  # the error that stopped the cohort step before any write
        self.memberships = None  # the cohort step's plan, once someone reached it

    # -- reads -----------------------------------------------------------------------------------
    def plan(self, client, check_mode=False):
        """Resolve the cohort, read its members, match and plan every user: reads only. In check mode the plan is
        the prediction, down to each membership."""
        if self.records:
            self._resolve_cohort(client)
            self._plan_users(client, check_mode)
        if check_mode:
            finish_check_mode(self.outcomes)
            self._settle_users()
            self._plan_members(check_mode=True)

    def _resolve_cohort(self, client):
        try:
            self.cohort = resolve_cohort(client, self.cohort.id, self.cohort.idnumber)
            self.members = read_members(client, self.cohort)
        except MoodleError as err:
            self.cohort_fatal = err

    def _plan_users(self, client, check_mode):
        try:
            self.outcomes = plan_users(client, self.records, "present", self.update, confirm_case=check_mode)
        except MoodleError as err:
            self.outcomes = fail_undecided(local_outcomes(self.records), "not looked up: %s" % err)
            self.user_fatal = err

    def _settle_users(self):
        """Every user not settled by now failed: say why."""
        reason = "not processed: %s" % self.cohort_fatal if self.cohort_fatal is not None else "not processed"
        fail_undecided(self.outcomes, reason)

    def _plan_members(self, check_mode):
        """The membership of every user found or created (in check mode: predicted), unless the cohort is unusable."""
        if self.cohort_fatal is not None:
            return
        people = member_people(self.user_results())
        if people:
            self.memberships = plan_membership(people, self.members, check_mode=check_mode)

    # -- writes ----------------------------------------------------------------------------------
    def apply(self, client):
        """Create the missing users and update those that differ (``update``), unless a read stopped the run; then
        add everyone found or created to the cohort."""
        if self.user_fatal is None and self.cohort_fatal is None:
            creator = UserCreator(client, batch_size=self.batch_size, update=self.update)
            creator.run(self.outcomes)
            update_users(client, self.outcomes, self.batch_size)
            self.user_fatal = creator.fatal
        self._settle_users()
        self._plan_members(check_mode=False)
        if self.memberships is not None:
            apply_plan(client, self.cohort, self.memberships)

    # -- what it did -----------------------------------------------------------------------------
    def user_results(self):
        return user_report.results(self.outcomes)

    def member_results(self):
        """The cohort step's results, or its failure as a whole (``{msg}``) when the cohort is unusable."""
        if self.cohort_fatal is not None:
            return {"msg": str(self.cohort_fatal)}
        if self.memberships is None:
            return []
        return membership_report.results(self.memberships)

    def report(self):
        """``{people: rows, summary, failed: rows}``, as the enrol_report filter gives for the two-module path."""
        return enrol_report.report(self.people, self.user_results(), self.member_results())

    @property
    def fatal(self):
        """The first error that stopped a step as a whole, or None."""
        for err in (self.user_fatal, self.cohort_fatal, getattr(self.memberships, "fatal", None)):
            if err is not None:
                return err
        return None

    @property
    def changed(self):
        """True when a user was (or would be) created or updated, or a member added (or may have been)."""
        if user_report.changed(self.outcomes):
            return True
        return self.memberships is not None and membership_report.changed(self.memberships)

    @property
    def members_unreadable(self):
        """True when the cohort step ran without the cohort's members: check mode cannot then be exact."""
        return self.memberships is not None and self.members is None

    def diff(self):
        """The users created or updated (and those that differ but are left alone), then the cohort's members
        before and after, each named by the e-mail of its account, which the user step knows."""
        diffs = user_report.diff(self.outcomes)
        if self.memberships is not None:
            accounts = dict((o.id, o.user or {"email": o.record.email}) for o in self.outcomes if o.id is not None)
            members = membership_report.diff(self.memberships, self.cohort, False, accounts)
            header = MEMBERS_HEADER % self.cohort.label()
            members.update(before_header=header, after_header=header)
            diffs.append(members)
        return diffs
