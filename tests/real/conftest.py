# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make test-real``: the integration scenarios against a real Moodle site (see README.md here).

Two targets, chosen here:

* an outside site, when MOODLE_BASE_URL, MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID are set: every person
  these tests create has an e-mail starting with a prefix unique to the run; cleanup deletes only accounts this
  run created (checked again by e-mail prefix before deleting) and says what it had to leave behind when the token
  may not delete. Tests that need the lab's other tokens, its fixtures, a setting change or a reset are skipped,
  saying why;
* otherwise the lab of ``make lab`` (tools/moodle_lab), from the lab.env file named by MOODLE_LAB_ENV (default
  build/lab/default/lab.env): its tokens, ``reset`` for the tests that need a pristine site and ``config`` for
  the tests that change a site setting (restored in the fixture's teardown).
"""

import datetime
import os
import secrets
import subprocess
import sys
import time

import pytest

# The integration harness runs the modules and playbooks as real ansible processes.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

import harness  # noqa: E402  pylint: disable=wrong-import-position

# The lab tool's own reader of its lab.env file.
sys.path.insert(0, os.path.join(harness.REPO, "tools"))
from moodle_lab.envfile import read_env_file  # noqa: E402  pylint: disable=wrong-import-position

from moodlesim.seed import TOKEN_NAMES  # the lab writes them as MOODLE_LAB_<name>, named as in the simulator
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import AccessDeniedError, MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import (
    email_spellings,
    get_users_by_field,
    normalize_email,
    not_deleted,
    search_email_case_insensitive,
)

REQUIRED = ("MOODLE_BASE_URL", "MOODLE_TOKEN", "MOODLE_ONEMEMBERSHIP_COHORT_ID")
DEFAULT_LAB_ENV = os.path.join(harness.REPO, "build", "lab", "default", "lab.env")
# The lab's configured values of the settings tests change (restored after each such test).
CONFIGURED = {
    "enablewebservices": "1",
    "webserviceprotocols": "rest",
    "debug": "0",
    "debugdisplay": "0",
    "maintenance_enabled": "0",
    "allowaccountssameemail": "0",
}
LEFT_BEHIND = []
CLEANED = []
LAB_LOG = []


class Lab(object):
    """The lab's tool, for this lab only: reset the site, change one setting."""

    def __init__(self, values):
        self.name = values["MOODLE_LAB_NAME"]
        self.tool = values["MOODLE_LAB_TOOL"]
        self.release = values.get("MOODLE_LAB_RELEASE", "")
        self.db = values.get("MOODLE_LAB_DB", "pgsql")
        self.env_file = values["__file__"]

    def run(self, command, *args):
        # --name is an option of the tool itself, so it comes before the command.
        cmd = [sys.executable, self.tool, "--name", self.name, command] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode:
            output = (proc.stdout + proc.stderr)[-2000:]
            raise RuntimeError("%s failed (rc %d): %s" % (" ".join(cmd[1:]), proc.returncode, output))
        return proc.stdout

    def reset(self):
        started = time.time()
        self.run("reset")
        LAB_LOG.append("reset in %.1f s" % (time.time() - started))

    def config(self, name, value):
        self.run("config", name, value)


class RealSite(object):
    """The site under test, the run's prefix, and what the run created (for cleanup on an outside site)."""

    def __init__(self, url, token, cohort_id, ca_path=None, validate_certs=True, lab=None, tokens=None):
        self.url = url
        self.token = token
        self.cohort_id = cohort_id
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.lab = lab
        self.tokens = dict(tokens or {})
        self.tokens.setdefault("TOKEN_OK", token)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
        self.prefix = "dsenroll-it-%s-%s" % (stamp, secrets.token_hex(3))
        self.created_ids = set()
        self.added_ids = set()
        self.expired_token_used = False
        self.client = self.client_for("TOKEN_OK")
        # Reads back the site's state: the lab's full token (every read function), else the given token.
        self.reader = self.client_for("TOKEN_FULL") if lab else self.client

    def client_for(self, token_name):
        return MoodleClient(
            self.url,
            self.token_of(token_name),
            validate_certs=self.validate_certs,
            ca_path=self.ca_path,
            timeout=60,
            max_input_vars=1000,
        )

    def token_of(self, token_name):
        """The value of one of the lab's tokens; skips the test on an outside site, which has only one."""
        if token_name not in self.tokens:
            pytest.skip("needs the lab's %s: an outside site gives only MOODLE_TOKEN (run `make lab`)" % token_name)
        return self.tokens[token_name]

    def secrets(self):
        """Every token this run knows, for the leak searches."""
        return dict(("token %s" % name, value) for name, value in self.tokens.items())

    def email(self, name):
        return "%s-%s@example.invalid" % (self.prefix, name)

    def password(self):
        # Strong enough for Moodle's default password policy; given so that Moodle mails nobody.
        return "Dsx-%s!9aA" % secrets.token_hex(6)

    def env(self, token_name="TOKEN_OK", cohort=None):
        """Environment for ansible runs: the connection through the documented variables only."""
        return {
            "MOODLE_BASE_URL": self.url,
            "MOODLE_TOKEN": self.token_of(token_name),
            "MOODLE_ONEMEMBERSHIP_COHORT_ID": str(self.cohort_id if cohort is None else cohort),
        }

    def connection(self):
        """Module options besides the URL and token (which come from the environment)."""
        options = {"validate_certs": self.validate_certs, "timeout": 60}
        if self.ca_path:
            options["ca_path"] = self.ca_path
        return options

    def playbook_vars(self):
        extra = {"moodle_validate_certs": self.validate_certs}
        if self.ca_path:
            extra["moodle_ca_path"] = self.ca_path
        return extra

    def remember(self, results):
        """Note the accounts created and the memberships added by this run (from module results)."""
        for entry in results or []:
            if not entry.get("id"):
                continue
            if entry.get("status") == "created" and (entry.get("email") or "").lower().startswith(self.prefix):
                self.created_ids.add(int(entry["id"]))
            if entry.get("status") in ("added", "unknown"):
                self.added_ids.add(int(entry["id"]))

    # -- running the collection -------------------------------------------------------------------------------
    def module(self, name, args, token="TOKEN_OK", **options):
        """``ansible -m dsenroll.moodle.<name>`` with the token from the environment; returns the Run."""
        full = dict(self.connection())
        full.update(args)
        run = harness.run_module(name, full, env=self.env(token), **options)
        if run.result:
            self.remember(run.result.get("results"))
        return run

    def task(self, name, args, people=None, token="TOKEN_OK", **options):
        """``name`` as the one task of a playbook, ``people`` (for ``users``) in a vars file; (result, Run)."""
        task_args = dict(self.connection())
        task_args.update(args)
        extra = {}
        if people is not None:
            task_args["users"] = "{{ people }}"
            extra["people"] = people
        result, run = harness.run_task(name, task_args, extra, env=self.env(token), **options)
        assert result is not None, run
        self.remember(result.get("results"))
        return result, run

    def playbook(self, playbook, extra_vars=None, token="TOKEN_OK", cohort=None, env=None, **options):
        variables = self.playbook_vars()
        variables.update(extra_vars or {})
        full_env = self.env(token, cohort)
        full_env.update(env or {})
        return harness.run_playbook(playbook, extra_vars=variables, env=full_env, **options)

    # -- the site's state, read back through the API ---------------------------------------------------------
    def find(self, email):
        """Live accounts with exactly this e-mail (any letter case), by the reading token's own lookups."""
        try:
            found = search_email_case_insensitive(self.reader, email)
        except AccessDeniedError:  # an outside token without core_user_get_users: both spellings
            found = (
                self.reader.call("core_user_get_users_by_field", {"field": "email", "values": email_spellings([email])})
                or []
            )
        return [u for u in not_deleted(found) if normalize_email(u.get("email") or "") == normalize_email(email)]

    def one(self, email):
        found = self.find(email)
        assert len(found) == 1, "expected one account with %s, found %s" % (email, found)
        return found[0]

    def accounts(self, emails):
        """``{e-mail: [live accounts]}`` for e-mails stored as given (one batched lookup, exact match)."""
        found = dict((e, []) for e in emails)
        for user in not_deleted(get_users_by_field(self.reader, "email", list(emails))):
            if user.get("email") in found:
                found[user["email"]].append(user)
        return found

    def by_id(self, user_id):
        return self.reader.call("core_user_get_users_by_field", {"field": "id", "values": [user_id]}) or []

    def labels(self, user_ids):
        """The members as moodle_cohort_member's diff names them: ``<e-mail> (id N)``, in id order."""
        found = get_users_by_field(self.reader, "id", sorted(user_ids)) if user_ids else []
        emails = dict((int(u["id"]), u.get("email")) for u in found)
        return ["%s (id %d)" % (emails[uid], uid) for uid in sorted(user_ids)]

    def members(self, cohort_id):
        """The cohort's member ids, sorted."""
        try:
            answer = self.reader.call("core_cohort_get_cohort_members", {"cohortids": [cohort_id]}) or []
        except AccessDeniedError:
            pytest.skip("the token's service lacks core_cohort_get_cohort_members: memberships cannot be read back")
        return sorted(uid for entry in answer for uid in entry.get("userids") or [])

    # -- outside sites: remove what this run created -----------------------------------------------------------
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


NO_SITE = (
    "make test-real needs a real Moodle: run `make lab` (it writes %s), or point MOODLE_LAB_ENV at a lab's "
    "lab.env, or set MOODLE_BASE_URL, MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID for an outside site "
    "(see tests/real/README.md)"
)


def outside_site():
    return RealSite(
        os.environ["MOODLE_BASE_URL"],
        os.environ["MOODLE_TOKEN"],
        int(os.environ["MOODLE_ONEMEMBERSHIP_COHORT_ID"]),
        ca_path=os.environ.get("MOODLE_CA_PATH"),
        validate_certs=os.environ.get("MOODLE_VALIDATE_CERTS", "true").lower() not in ("0", "false", "no"),
    )


def lab_site(path):
    values = read_env_file(path)
    values["__file__"] = os.path.abspath(path)
    missing = [k for k in REQUIRED + ("MOODLE_LAB_NAME", "MOODLE_LAB_TOOL") if not values.get(k)]
    if missing:
        pytest.skip("%s lacks %s: bring the lab up again with `make lab`" % (path, ", ".join(missing)))
    tokens = dict((name, values["MOODLE_LAB_" + name]) for name in TOKEN_NAMES if values.get("MOODLE_LAB_" + name))
    return RealSite(
        values["MOODLE_BASE_URL"],
        values["MOODLE_TOKEN"],
        int(values["MOODLE_ONEMEMBERSHIP_COHORT_ID"]),
        lab=Lab(values),
        tokens=tokens,
    )


@pytest.fixture(scope="session")
def real_site():
    given = [name for name in REQUIRED if os.environ.get(name)]
    if given:
        missing = [name for name in REQUIRED if name not in given]
        if missing:
            pytest.skip(
                "an outside Moodle site needs all of %s: %s unset (see tests/real/README.md)"
                % (", ".join(REQUIRED), ", ".join(missing))
            )
        site = outside_site()
    else:
        path = os.environ.get("MOODLE_LAB_ENV") or DEFAULT_LAB_ENV
        if not os.path.exists(path):
            pytest.skip(NO_SITE % path)
        site = lab_site(path)
        # Whatever an earlier, interrupted run left (a setting off, people), the suite starts from the configured site.
        site.lab.reset()
    try:
        yield site
    finally:
        if site.lab is None:
            site.cleanup()


@pytest.fixture
def lab(real_site):
    """The lab's tool; skips on an outside site, which this suite may not reconfigure or reset."""
    if real_site.lab is None:
        pytest.skip(
            "needs the lab (its fixtures, settings or reset): an outside site is never reconfigured, "
            "reset or touched beyond this run's own people"
        )
    return real_site.lab


@pytest.fixture
def pristine(real_site, lab):
    """The configured site, as tools/moodle_lab reset leaves it."""
    lab.reset()
    real_site.expired_token_used = False
    return real_site


class Settings(object):
    """``setting(name, value)`` changes a site setting; ``restore()`` puts the configured values back."""

    def __init__(self, lab):
        self.lab = lab
        self.changed = []

    def __call__(self, name, value):
        if name not in CONFIGURED:
            raise ValueError("add the configured value of %s to CONFIGURED first" % name)
        self.changed.append(name)
        self.lab.config(name, value)

    def restore(self):
        names, self.changed = list(dict.fromkeys(reversed(self.changed))), []
        for name in names:
            self.lab.config(name, CONFIGURED[name])


@pytest.fixture
def setting(lab):
    """Change site settings for one test; the configured values come back afterwards, whatever happened."""
    settings = Settings(lab)
    try:
        yield settings
    finally:
        settings.restore()


@pytest.fixture
def expired_token(real_site, lab):
    """TOKEN_EXPIRED as configured: Moodle deletes it on first use, so a second test needs a reset first."""
    if real_site.expired_token_used:
        lab.reset()
    real_site.expired_token_used = True
    return real_site.token_of("TOKEN_EXPIRED")


def pytest_terminal_summary(terminalreporter):
    for line in CLEANED:
        terminalreporter.write_line("test-real cleanup: %s" % line)
    for line in LEFT_BEHIND:
        terminalreporter.write_line("test-real LEFT BEHIND: %s" % line, yellow=True)
    if LAB_LOG:
        terminalreporter.write_line("test-real lab: %d resets (%s)" % (len(LAB_LOG), ", ".join(LAB_LOG)))
