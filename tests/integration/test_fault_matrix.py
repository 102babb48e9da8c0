# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: the enrol flow under the simulator's fault injection.

Every scenario ends with the same promise, checked against the simulator's state
(tests/support/invariants.py): each input person is either created (once) and in the cohort, or
reported ``failed`` with a reason; nobody is created twice; no report row claims what the site
contradicts. Where the first run may legitimately leave people failed, a clean rerun must then
enrol everyone. The flow is the enrol role's moodle_enrol task, which writes the report (support.flow
lean mode), with the seed's three-function token (TOKEN_OK), small populations, batches of 5, short
timeouts and quick retries, so the whole file stays short. Every scenario runs with one request at a time and
with four in flight (``parallel``), where several batches meet the faults at once.
"""

import threading
import time
from contextlib import contextmanager

import pytest

from moodlesim import TOKENS

from support import flow, invariants
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
    GET_USERS_BY_FIELD,
)

TOKEN = TOKENS["TOKEN_OK"]
STATUSES = (500, 502, 503, 504)
COHORT = 1


@pytest.fixture(params=[1, 4], ids=["parallel1", "parallel4"])
def enrol(moodle_sim, tmp_path, request):
    """Run the enrol flow against the per-test simulator: ``enrol(people, **run_enrol options)``, with one
    request at a time or four in flight."""

    def run(people, token=TOKEN, **options):
        options.setdefault("parallel", request.param)
        options.setdefault("batch_size", 5)
        options.setdefault("lean", True)
        options.setdefault("name", "run%d" % len(list(tmp_path.glob("*.yml"))))
        return flow.run_enrol(str(tmp_path), moodle_sim.url, token, people, cohort_id=COHORT, **options)

    return run


def assert_promise_kept(sim, people, result):
    problems = invariants.violations(sim, people, result.report, COHORT)
    assert problems == [], "%s\n%r" % ("\n".join(problems), result)


def assert_everyone_enrolled(sim, people, result):
    assert_promise_kept(sim, people, result)
    assert invariants.not_enrolled(sim, people, COHORT) == [], result
    assert result.summary["failed"] == 0, result


@contextmanager
def on_call(sim, wsfunction, number, action, hold=0.5):
    """Run ``action()`` while the ``number``-th ``wsfunction`` request is held (a latency fault), so that
    the site changes between the previous call and this one, exactly as an admin's click would."""
    sim.inject_fault("latency", wsfunction=wsfunction, on_calls=[number], latency=hold)
    done = threading.Event()

    def watch():
        while not done.is_set():
            if sim.request_counts().get(wsfunction, 0) >= number:
                action()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(timeout=5)


def test_transient_lookup_failures_of_every_kind_are_retried_and_nobody_is_lost(moodle_sim, enrol):
    people = flow.people("read", 12)
    # The same lookup fails five times in a row, once with each transient failure, then answers.
    for number, status in enumerate(STATUSES, start=1):
        moodle_sim.inject_fault("http_status", wsfunction=GET_USERS_BY_FIELD, on_calls=[number], status=status)
    moodle_sim.inject_fault("reset_before", wsfunction=GET_USERS_BY_FIELD, on_calls=[5])

    result = enrol(people, retries={"total": 5, "backoff_factor": 0.01, "max_backoff": 0.05})

    assert_everyone_enrolled(moodle_sim, people, result)
    assert moodle_sim.request_counts()[GET_USERS_BY_FIELD] >= 6


@pytest.mark.parametrize("wsfunction", [CREATE_USERS, ADD_COHORT_MEMBERS])
def test_http_errors_on_writes_are_reported_then_reconciled_by_a_rerun(moodle_sim, enrol, wsfunction):
    people = flow.people("write", 12)
    # Each write request in turn meets another status, so resending after a reconciling read meets the next.
    for number, status in enumerate(STATUSES, start=1):
        moodle_sim.inject_fault("http_status", wsfunction=wsfunction, on_calls=[number], status=status)

    first = enrol(people)

    assert_promise_kept(moodle_sim, people, first)
    assert moodle_sim.request_counts()[wsfunction] >= 2, "a lost write answer must be reconciled, then resent"
    moodle_sim.clear_faults()
    rerun = enrol(people)
    assert_everyone_enrolled(moodle_sim, people, rerun)


def test_connection_reset_before_processing_is_resent_after_a_lookup_and_everyone_is_enrolled(moodle_sim, enrol):
    people = flow.people("reset", 12)
    moodle_sim.inject_fault("reset_before", wsfunction=CREATE_USERS, on_calls=[2])
    moodle_sim.inject_fault("reset_before", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1])

    result = enrol(people)

    assert_everyone_enrolled(moodle_sim, people, result)
    assert [row["user"] for row in result.rows] == ["created"] * 12


def test_answers_lost_after_commit_are_reconciled_without_duplicates(moodle_sim, enrol):
    people = flow.people("drop", 12)
    moodle_sim.inject_fault("commit_then_drop", wsfunction=CREATE_USERS, on_calls=[1, 3])
    moodle_sim.inject_fault("commit_then_drop", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1])

    result = enrol(people)

    assert_everyone_enrolled(moodle_sim, people, result)
    # The committed batches are recognised as this run's creates, not as someone else's accounts.
    assert [row["user"] for row in result.rows] == ["created"] * 12
    # Without core_cohort_get_cohort_members the re-sent add can only prove membership ("3"), not who made
    # it, so the cohort step says "unknown" (with the reason) rather than claim "added".
    assert set(row["cohort"] for row in result.rows) <= {"added", "unknown"}, result


def test_answers_slower_than_the_timeout_never_create_anyone_twice(moodle_sim, enrol):
    people = flow.people("slow", 12)
    # The lookup is a read: retried. The create still commits after the client gave up on it, while the
    # client reconciles and resends: Moodle's unique username refuses the late duplicate.
    moodle_sim.inject_fault("latency", wsfunction=GET_USERS_BY_FIELD, on_calls=[2], latency=2.5)
    moodle_sim.inject_fault("latency", wsfunction=CREATE_USERS, on_calls=[1], latency=2.5)
    moodle_sim.inject_fault("latency", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1], latency=2.5)

    result = enrol(people, timeout=1)

    time.sleep(1.6)  # let the late create finish before reading the site's state
    assert_promise_kept(moodle_sim, people, result)
    moodle_sim.clear_faults()
    rerun = enrol(people, timeout=1)
    assert_everyone_enrolled(moodle_sim, people, rerun)


# PHP drops the form fields past its max_input_vars without an error (docs/moodle-behaviour.md#silent-truncation). The client is
# left at its default (1000) while the site allows 99 = the 3 fixed fields + 16 whole create records
# (6 fields each) = 3 + 24 whole cohort members (4 fields each): the cut falls between two records, so
# what survives is a valid, shorter request.
SERVER_MAX_INPUT_VARS = 99


def test_a_create_cut_short_by_the_servers_max_input_vars_loses_nobody(moodle_sim, enrol):
    moodle_sim.settings(max_input_vars=SERVER_MAX_INPUT_VARS)
    people = flow.people("cutnew", 40)

    result = enrol(people, batch_size=100)

    assert_promise_kept(moodle_sim, people, result)


def test_a_cohort_add_cut_short_by_the_servers_max_input_vars_loses_nobody(moodle_sim, enrol):
    people = flow.people("cutold", 40)
    for person in people:
        moodle_sim.add_user(
            person["email"], person["email"], firstname=person["firstname"], lastname=person["lastname"]
        )
    moodle_sim.settings(max_input_vars=SERVER_MAX_INPUT_VARS)

    result = enrol(people, batch_size=100)

    assert_promise_kept(moodle_sim, people, result)


def test_maintenance_mode_switched_on_mid_run_is_reported_and_a_later_run_finishes(moodle_sim, enrol):
    people = flow.people("maint", 12)

    with on_call(moodle_sim, CREATE_USERS, 2, lambda: moodle_sim.settings(maintenance=True)):
        first = enrol(people)

    assert_promise_kept(moodle_sim, people, first)
    failed = [row for row in first.rows if row["outcome"] == "failed"]
    assert failed and all("maintenance" in row["msg"].lower() for row in failed), first
    moodle_sim.settings(maintenance=False)
    rerun = enrol(people)
    assert_everyone_enrolled(moodle_sim, people, rerun)


def test_a_token_expiring_mid_run_is_reported_and_a_new_token_finishes(moodle_sim, enrol):
    people = flow.people("expire", 12)

    def expire():
        with moodle_sim.site.lock:
            moodle_sim.site.tokens[TOKEN].validuntil = 1

    with on_call(moodle_sim, CREATE_USERS, 2, expire):
        first = enrol(people)

    assert_promise_kept(moodle_sim, people, first)
    assert first.summary["failed"] > 0, first
    assert TOKEN not in moodle_sim.site.tokens, (
        "Moodle deletes an expired token on first use (docs/moodle-behaviour.md#expired-tokens)"
    )
    new_token = moodle_sim.add_token(3, "ds_enroll_moodle_integration")
    rerun = enrol(people, token=new_token)
    assert_everyone_enrolled(moodle_sim, people, rerun)


def test_two_enrol_runs_at_once_over_the_same_people_create_each_person_once(moodle_sim, enrol):
    first_people = flow.people("twice", 16)
    second_people = flow.people("twice", 16, start=8)  # 8 people in both runs
    # Slow every create a little so that the two runs' lookups and creates interleave.
    moodle_sim.inject_fault("latency", wsfunction=CREATE_USERS, latency=0.2)
    results = {}

    def run(name, people):
        results[name] = enrol(people, lean=False, name=name)

    threads = [
        threading.Thread(target=run, args=(name, people))
        for name, people in (("first", first_people), ("second", second_people))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert_promise_kept(moodle_sim, first_people, results["first"])
    assert_promise_kept(moodle_sim, second_people, results["second"])
    everyone = flow.people("twice", 24)
    assert invariants.not_enrolled(moodle_sim, everyone, COHORT) == [], results


# -- several batches in flight, one of them meeting the fault ----------------------------------------------
def test_one_create_batch_of_several_lost_after_commit_is_reconciled_while_the_others_succeed(moodle_sim, enrol):
    people = flow.people("several", 30)
    moodle_sim.inject_fault("commit_then_drop", wsfunction=CREATE_USERS, on_calls=[3])

    result = enrol(people)

    assert_everyone_enrolled(moodle_sim, people, result)
    assert [row["user"] for row in result.rows] == ["created"] * 30


def test_one_create_batch_of_several_refused_by_a_database_race_is_sent_again(moodle_sim, enrol):
    people = flow.people("race", 30)
    moodle_sim.inject_fault("write_race", wsfunction=CREATE_USERS, on_calls=[2])
    moodle_sim.inject_fault("write_race", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1])

    result = enrol(people, max_input_vars=60)

    assert_everyone_enrolled(moodle_sim, people, result)
    assert [row["user"] for row in result.rows] == ["created"] * 30


def test_batches_cut_by_the_servers_max_input_vars_among_several_in_flight_lose_nobody(moodle_sim, enrol):
    moodle_sim.settings(max_input_vars=SERVER_MAX_INPUT_VARS)
    people = flow.people("cutmany", 60)

    result = enrol(people, batch_size=30, max_input_vars=400)

    assert_everyone_enrolled(moodle_sim, people, result)


def test_a_site_answering_503_to_several_lookups_at_once_enrols_everyone(moodle_sim, enrol):
    people = flow.people("busy", 40)
    moodle_sim.inject_fault("http_status", wsfunction=GET_USERS_BY_FIELD, on_calls=[2, 3, 4], status=503)
    moodle_sim.inject_fault("http_status", wsfunction=ADD_COHORT_MEMBERS, on_calls=[1], status=429)

    result = enrol(people, max_input_vars=60, retries={"total": 4, "backoff_factor": 0.01, "max_backoff": 0.05})

    assert_everyone_enrolled(moodle_sim, people, result)
