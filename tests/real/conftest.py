# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make test-real``: the integration scenarios against a real Moodle site (see README.md here).

Every person these tests create has an e-mail starting with a prefix unique to the run; cleanup deletes
only accounts this run created (checked again by e-mail prefix before deleting) and says what it had to
leave behind when the token may not delete.
"""

import datetime
import os
import secrets
import sys

import pytest

# The integration harness runs the modules and playbooks as real ansible processes.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError

REQUIRED = ("MOODLE_BASE_URL", "MOODLE_TOKEN", "MOODLE_ONEMEMBERSHIP_COHORT_ID")
LEFT_BEHIND = []
CLEANED = []


class RealSite(object):
    """The site under test, the run's prefix, and what the run created (for cleanup)."""

    def __init__(self, url, token, cohort_id, ca_path=None, validate_certs=True):
        self.url = url
        self.token = token
        self.cohort_id = cohort_id
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
        self.prefix = "dsenroll-it-%s-%s" % (stamp, secrets.token_hex(3))
        self.created_ids = set()
        self.added_ids = set()
        self.client = MoodleClient(
            url, token, validate_certs=validate_certs, ca_path=ca_path, timeout=60, max_input_vars=1000
        )

    def email(self, name):
        return "%s-%s@example.invalid" % (self.prefix, name)

    def password(self):
        # Strong enough for Moodle's default password policy; given so that Moodle mails nobody.
        return "Dsx-%s!9aA" % secrets.token_hex(6)

    def env(self):
        """Environment for ansible runs: the connection through the documented variables only."""
        env = {
            "MOODLE_BASE_URL": self.url,
            "MOODLE_TOKEN": self.token,
            "MOODLE_ONEMEMBERSHIP_COHORT_ID": str(self.cohort_id),
        }
        return env

    def connection(self):
        """Module options besides the URL and token (which come from the environment)."""
        options = {"validate_certs": self.validate_certs, "timeout": 60}
        if self.ca_path:
            options["ca_path"] = self.ca_path
        return options

    def remember(self, results):
        """Note the accounts created and the memberships added by this run (from module results)."""
        for entry in results or []:
            if not entry.get("id"):
                continue
            if entry.get("status") == "created" and (entry.get("email") or "").lower().startswith(self.prefix):
                self.created_ids.add(int(entry["id"]))
            if entry.get("status") == "added":
                self.added_ids.add(int(entry["id"]))

    def find(self, email):
        """Live accounts with exactly this e-mail (any letter case), by the token's own lookups."""
        users = self.client.call("core_user_get_users_by_field", {"field": "email", "values": [email, email.lower()]})
        return [u for u in users or [] if (u.get("email") or "").lower() == email.lower()]

    def cleanup(self):
        ids = sorted(self.created_ids)
        if not ids:
            return
        # Never touch an account that is not this run's: look each id up and keep the prefixed ones only.
        try:
            found = self.client.call("core_user_get_users_by_field", {"field": "id", "values": ids}) or []
        except MoodleError as err:
            LEFT_BEHIND.append("could not re-read the created accounts (%s): ids %s" % (err, ids))
            return
        ours = [u for u in found if (u.get("email") or "").lower().startswith(self.prefix)]
        ids = [u["id"] for u in ours]
        added = [uid for uid in ids if uid in self.added_ids]
        if added:
            try:
                self.client.call(
                    "core_cohort_delete_cohort_members",
                    {"members": [{"cohortid": self.cohort_id, "userid": uid} for uid in added]},
                )
            except MoodleError as err:
                LEFT_BEHIND.append(
                    "cohort %s still has members %s (core_cohort_delete_cohort_members: %s)"
                    % (self.cohort_id, added, err)
                )
        try:
            self.client.call("core_user_delete_users", {"userids": ids})
            CLEANED.append("deleted %d accounts of run %s: ids %s" % (len(ids), self.prefix, ids))
        except MoodleError as err:
            LEFT_BEHIND.append(
                "accounts left behind (core_user_delete_users: %s): %s"
                % (err, ", ".join("%s (id %s)" % (u.get("email"), u["id"]) for u in ours))
            )


@pytest.fixture(scope="session")
def real_site():
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        pytest.skip("make test-real needs a real Moodle site: set %s (see tests/real/README.md)" % ", ".join(missing))
    site = RealSite(
        os.environ["MOODLE_BASE_URL"],
        os.environ["MOODLE_TOKEN"],
        int(os.environ["MOODLE_ONEMEMBERSHIP_COHORT_ID"]),
        ca_path=os.environ.get("MOODLE_CA_PATH"),
        validate_certs=os.environ.get("MOODLE_VALIDATE_CERTS", "true").lower() not in ("0", "false", "no"),
    )
    try:
        yield site
    finally:
        site.cleanup()


def pytest_terminal_summary(terminalreporter):
    for line in CLEANED:
        terminalreporter.write_line("test-real cleanup: %s" % line)
    for line in LEFT_BEHIND:
        terminalreporter.write_line("test-real LEFT BEHIND: %s" % line, yellow=True)
