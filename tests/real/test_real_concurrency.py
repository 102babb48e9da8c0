# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several requests in flight against a real Moodle (docs/moodle-behaviour.md#concurrency).

A fresh API user's first web service calls insert its ``last_time_enrolments_synced`` preference; concurrent
first calls race for that row and the loser is refused with ``dmlwriteexception``. The lab's reset leaves the API
user without the preference, so each test here that starts from ``pristine`` meets a fresh API user.
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import GET_USERS_BY_FIELD
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import find_by_email


def people(site, name, count):
    return [
        {"email": site.email("%s%03d" % (name, n)), "firstname": "Con", "lastname": "Current", "create_password": True}
        for n in range(count)
    ]


def test_a_fresh_api_users_first_task_with_requests_in_flight_meets_no_race(pristine):
    site = pristine
    batch = people(site, "fresh", 120)

    result, run = site.task("moodle_user", {"batch_size": 10, "max_input_vars": 200, "parallel": 4}, people=batch)

    assert result["summary"]["created"] == 120 and result["summary"]["failed"] == 0, run
    found = site.accounts([p["email"] for p in batch])
    assert all(len(accounts) == 1 for accounts in found.values())


def test_reads_sent_together_as_a_fresh_api_users_first_calls_survive_the_race(pristine):
    site = pristine
    client = MoodleClient(
        site.url,
        site.token_of("TOKEN_OK"),
        max_input_vars=20,
        parallel=4,
        retry_policy=RetryPolicy(total=3, backoff_factor=0.1),
    )
    # As if it had called before: its first requests go out together, as an unguarded script's would.
    client.answered = True
    emails = [site.email("race%03d" % n) for n in range(100)]

    found = find_by_email(client, emails)

    assert found == dict((e.lower(), []) for e in emails)
    batches = len(client.batches(emails, {"field": "email"}))
    # Each batch once, and at most a retry for each request that lost the race.
    assert batches <= client.calls[GET_USERS_BY_FIELD] <= batches + 3


def test_creates_and_additions_eight_at_a_time_enrol_everyone_once_in_input_order(real_site):
    site = real_site
    batch = people(site, "eight", 160)

    users, run = site.task("moodle_user", {"batch_size": 10, "parallel": 8}, people=batch)
    ids = [r["id"] for r in users["results"]]
    # 14 additions a request: 12 requests
    members, _run = site.task(
        "moodle_cohort_member",
        {"max_input_vars": 60, "parallel": 8, "cohort_id": int(site.cohort_id)},
        people=[{"id": i} for i in ids],
    )

    assert [r["status"] for r in users["results"]] == ["created"] * 160, run
    assert [r["email"] for r in users["results"]] == [p["email"] for p in batch]
    assert ids == [site.one(p["email"])["id"] for p in batch]
    assert [r["status"] for r in members.get("results", [])] == ["added"] * 160, members.get("msg")
    assert set(ids) <= set(site.members(int(site.cohort_id)))
