# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clients on the in-process simulator (the ``moodle_sim`` fixture), and what they sent.

The simulator is the fake Moodle of the unit tests wherever it can answer: it is proven against the real
recordings (tests/contract), so a test on it exercises Moodle's behaviour rather than a test's idea of it.
"""

import threading
from urllib.parse import parse_qsl

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate
from moodlesim import TOKENS
from moodlesim.state import CAP_REST_USE, MANAGER

# The seeded site's tokens: the three enrolment functions, and every function the collection calls.
ENROLMENT_TOKEN = TOKENS["TOKEN_OK"]
FULL_TOKEN = TOKENS["TOKEN_FULL"]
# A user with webservice/rest:use only: Moodle's visibility filter hides every other user from it.
REST_ONLY_TOKEN = TOKENS["TOKEN_NOCAP_RESTONLY"]
# The API user of ENROLMENT_TOKEN and FULL_TOKEN.
API_USER_ID = 3
MANAGER_WITHOUT_CREATE = sorted((MANAGER - {"moodle/user:create"}) | {CAP_REST_USE})


class SentCalls(object):
    """The calls a client sent, as ``(wsfunction, [(field, value), ...])`` in order."""

    def __init__(self, client):
        self.calls = []
        post = client.session.post

        def recording_post(url, data=None, **kwargs):
            fields = list(data) if isinstance(data, (list, tuple)) else parse_qsl(data or "")
            self.calls.append((dict(fields).get("wsfunction"), fields))
            return post(url, data=data, **kwargs)

        client.session.post = recording_post

    def of(self, wsfunction):
        return [fields for fn, fields in self.calls if fn == wsfunction]


def sim_client(sim, token=ENROLMENT_TOKEN, max_input_vars=1000, parallel=1, retries=0):
    """A client of the simulator ``sim``, by default without retries (a fault injected once is met once)."""
    return MoodleClient(
        sim.url,
        token,
        max_input_vars=max_input_vars,
        retry_policy=RetryPolicy(total=retries, backoff_factor=0),
        parallel=parallel,
    )


class InFlight(object):
    """Counts the requests a client has in flight at once: ``most`` is the highest count seen, ``first`` the
    count while its first request was in flight."""

    def __init__(self, client):
        self.now = self.most = 0
        self.first = None
        self._lock = threading.Lock()
        post = client.session.post

        def counting_post(*args, **kwargs):
            with self._lock:
                self.now += 1
                self.most = max(self.most, self.now)
                starting_first = self.first is None
                if starting_first:
                    self.first = 0
            try:
                return post(*args, **kwargs)
            finally:
                with self._lock:
                    if starting_first:
                        self.first = self.most
                    self.now -= 1

        client.session.post = counting_post


def new_users(sim, count, prefix="learner", cohort=None):
    """``count`` new accounts ``<prefix>N`` (members of ``cohort`` when given); returns their ids."""
    ids = [sim.add_user("%s%d" % (prefix, n), "%s%d@example.org" % (prefix, n))["id"] for n in range(count)]
    if cohort is not None:
        for userid in ids:
            sim.add_cohort_member(cohort, userid)
    return ids


def member_ids(fields):
    """The user ids of a cohort add or delete request (its fields as pairs or a dict), in order."""
    fields = dict(fields)
    keys = [k for k in fields if k.endswith("[usertype][value]") or k.endswith("[userid]")]
    keys.sort(key=lambda k: int(k.split("[")[1].rstrip("]")))
    return [int(fields[k]) for k in keys]


def accounts_with_email(sim, email):
    """The simulator's accounts having ``email`` in any letter case (deleted ones left out)."""
    return [u for u in sim.users() if (u.get("email") or "").lower() == email.lower() and not u.get("deleted")]


def service_token(sim, shortname, functions):
    """A token of the API user on a new service ``shortname`` offering only ``functions``."""
    sim.add_service(shortname, functions, authorised=[API_USER_ID])
    return sim.add_token(API_USER_ID, shortname)


def planned(client, emails, **extra):
    """The plan of new people with ``emails`` (Moodle generates their passwords); ``extra``: more fields by e-mail."""
    specs = []
    for email in emails:
        spec = {"email": email, "firstname": "Lab", "lastname": "User", "create_password": True}
        spec.update(extra.get(email, {}))
        specs.append(spec)
    return plan(client, validate([UserRecord(i, s) for i, s in enumerate(specs)], "present"))
