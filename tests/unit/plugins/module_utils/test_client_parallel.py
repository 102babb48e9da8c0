# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent batches: the runner, the throttle, and every write path with several requests in flight."""

import threading
import time

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import DatabaseWriteError
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.parallel import Throttle, each, in_worker
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.membership import add_members, remove_members
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.resolve import Cohort
from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.status import ADDED, REMOVED
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
    GET_USERS_BY_FIELD,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.create import UserCreator
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import find_by_email

from support.site import FULL_TOKEN, InFlight, accounts_with_email, planned, sim_client

COHORT = 1


class Recorder(object):
    """A function for ``each`` that records how many calls ran at once and in which order they started."""

    def __init__(self, pause=0.02, fail_on=()):
        self.pause = pause
        self.fail_on = set(fail_on)
        self.started = []
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, item):
        with self.lock:
            self.started.append(item)
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.pause * (1 + item % 3))
            if item in self.fail_on:
                raise ValueError("item %d" % item)
            return item * 10
        finally:
            with self.lock:
                self.now -= 1


# -- the runner --------------------------------------------------------------------------------------
def test_results_come_back_in_the_order_of_the_items_whatever_order_they_finish_in():
    assert each(Recorder(), range(12), parallel=4) == [i * 10 for i in range(12)]


def test_no_more_than_parallel_items_run_at_once():
    recorder = Recorder()
    each(recorder, range(12), parallel=3)
    assert recorder.most == 3


def test_one_at_a_time_when_parallel_is_one():
    recorder = Recorder(pause=0.001)
    each(recorder, range(5), parallel=1)
    assert recorder.most == 1 and recorder.started == list(range(5))


def test_the_first_item_runs_alone_before_any_other_starts_when_asked():
    order = []

    def run(item):
        order.append(("start", item))
        time.sleep(0.02)
        order.append(("end", item))

    each(run, range(4), parallel=4, first_alone=True)
    assert order[:2] == [("start", 0), ("end", 0)]


def test_the_first_failure_stops_new_items_and_the_earliest_failed_item_is_raised():
    recorder = Recorder(pause=0.01, fail_on=(1, 2))
    with pytest.raises(ValueError, match="item 1"):
        each(recorder, range(20), parallel=3)
    assert len(recorder.started) < 20


def test_batches_inside_a_worker_run_one_after_another():
    seen = []

    def outer(item):
        seen.append(in_worker())
        return each(lambda x: (in_worker(), threading.current_thread().name), range(3), parallel=4)

    inner = each(outer, range(2), parallel=2)
    assert seen == [True, True]
    assert all(len(set(name for _w, name in run)) == 1 for run in inner)


# -- the throttle ------------------------------------------------------------------------------------
def test_strain_halves_the_requests_in_flight_once_for_requests_sent_together():
    throttle = Throttle(8)
    tickets = [throttle.acquire() for _request in range(4)]
    for ticket in tickets:
        throttle.release(ticket, strained=True)
    assert (throttle.limit, throttle.cuts) == (4, 1)
    throttle.release(throttle.acquire(), strained=True)
    assert (throttle.limit, throttle.cuts, throttle.lowest) == (2, 2, 2)


def test_the_limit_climbs_back_by_one_after_as_many_successes_as_in_flight_and_never_passes_the_ceiling():
    throttle = Throttle(4)
    throttle.release(throttle.acquire(), strained=True)
    throttle.release(throttle.acquire(), strained=True)
    assert throttle.limit == 1
    throttle.release(throttle.acquire())
    assert throttle.limit == 2
    for _request in range(2):
        throttle.release(throttle.acquire())
    assert throttle.limit == 3
    for _request in range(50):
        throttle.release(throttle.acquire())
    assert throttle.limit == 4


def test_the_limit_never_falls_below_one():
    throttle = Throttle(2)
    for _request in range(5):
        throttle.release(throttle.acquire(), strained=True)
    assert throttle.limit == 1


def test_parallel_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        Throttle(0)


# -- the client on the simulator ----------------------------------------------------------------------
def emails(count, prefix="p"):
    return ["%s%d@example.org" % (prefix, i) for i in range(count)]


def admin_email(sim):
    return sim_client(sim).call(GET_USERS_BY_FIELD, {"field": "id", "values": [2]})[0]["email"]


def test_batched_lookups_go_out_side_by_side_after_a_first_request_alone(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=20, parallel=4)
    flight = InFlight(client)
    moodle_sim.inject_fault("latency", wsfunction=GET_USERS_BY_FIELD, latency=0.05)
    wanted = emails(120) + [admin_email(moodle_sim)]  # 8 batches of 16 values
    sequential = find_by_email(sim_client(moodle_sim, max_input_vars=20), wanted)
    found = find_by_email(client, wanted)
    assert found == sequential and found[wanted[-1].lower()]
    assert flight.first == 1
    assert flight.most == 4


def test_an_overloaded_site_lowers_the_requests_in_flight_and_the_reads_still_succeed(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=20, parallel=4, retries=2)
    client.call(GET_USERS_BY_FIELD, {"field": "id", "values": [2]})
    wanted = emails(40) + [admin_email(moodle_sim)]
    moodle_sim.inject_fault("http_status", wsfunction=GET_USERS_BY_FIELD, status=503, times=2)
    found = find_by_email(client, wanted)
    assert len(found[wanted[-1].lower()]) == 1
    assert client.throttle.cuts >= 1 and client.throttle.lowest < 4


def test_a_read_refused_by_a_database_race_is_sent_again(moodle_sim):
    client = sim_client(moodle_sim, retries=1)
    moodle_sim.inject_fault("write_race", wsfunction=GET_USERS_BY_FIELD, times=1)
    users = client.call(GET_USERS_BY_FIELD, {"field": "id", "values": [2]})
    assert users[0]["id"] == 2
    assert moodle_sim.request_counts()[GET_USERS_BY_FIELD] == 2


def test_a_database_race_without_retries_left_is_a_typed_error_saying_what_to_do(moodle_sim):
    client = sim_client(moodle_sim, retries=0)
    moodle_sim.inject_fault("write_race", wsfunction=GET_USERS_BY_FIELD, times=1)
    with pytest.raises(DatabaseWriteError) as caught:
        client.call(GET_USERS_BY_FIELD, {"field": "id", "values": [2]})
    assert caught.value.errorcode == "dmlwriteexception" and "rerun" in caught.value.remediation


# -- writes with several requests in flight -----------------------------------------------------------
def created_once(sim, outcomes):
    return all(len(accounts_with_email(sim, o.record.email)) == 1 for o in outcomes)


def test_creates_in_several_batches_at_once_create_everyone_once_in_input_order(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=4)
    outcomes = planned(client, emails(45))
    UserCreator(client, batch_size=5).run(outcomes)
    assert [o.status for o in outcomes] == ["created"] * 45
    assert [o.id for o in outcomes] == [accounts_with_email(moodle_sim, o.record.email)[0]["id"] for o in outcomes]
    assert created_once(moodle_sim, outcomes)
    assert moodle_sim.request_counts()[CREATE_USERS] == 9


def test_one_refused_batch_among_concurrent_ones_fails_only_its_refused_user(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=4)
    weak = {"p17@example.org": {"password": "weak", "create_password": None}}
    outcomes = planned(client, emails(40), **weak)
    UserCreator(client, batch_size=5).run(outcomes)
    statuses = [o.status for o in outcomes]
    assert statuses == ["created"] * 17 + ["failed"] + ["created"] * 22
    assert "password policy" in outcomes[17].msg
    assert created_once(moodle_sim, [o for o in outcomes if o.status == "created"])


def test_a_lost_answer_in_one_of_the_concurrent_batches_is_reconciled_without_a_duplicate(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=4)
    outcomes = planned(client, emails(30))
    moodle_sim.inject_fault("commit_then_drop", wsfunction=CREATE_USERS, on_calls=[3])
    UserCreator(client, batch_size=5).run(outcomes)
    assert [o.status for o in outcomes] == ["created"] * 30
    assert created_once(moodle_sim, outcomes)


def test_a_batch_cut_by_the_sites_max_input_vars_among_concurrent_ones_loses_nobody(moodle_sim):
    moodle_sim.settings(max_input_vars=40)
    client = sim_client(moodle_sim, max_input_vars=80, parallel=4)
    outcomes = planned(client, emails(30))
    UserCreator(client, batch_size=100).run(outcomes)
    assert [o.status for o in outcomes] == ["created"] * 30
    assert created_once(moodle_sim, outcomes)


def test_a_create_refused_by_a_database_race_is_sent_again_and_creates_everyone_once(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=4)
    outcomes = planned(client, emails(20))
    moodle_sim.inject_fault("write_race", wsfunction=CREATE_USERS, on_calls=[2])
    UserCreator(client, batch_size=5).run(outcomes)
    assert [o.status for o in outcomes] == ["created"] * 20
    assert created_once(moodle_sim, outcomes)
    assert moodle_sim.request_counts()[CREATE_USERS] == 5


def test_a_create_the_database_keeps_refusing_is_narrowed_to_the_user_it_refuses(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=2)
    outcomes = planned(client, emails(4))
    moodle_sim.inject_fault("write_race", wsfunction=CREATE_USERS, on_calls=[1, 2, 3, 4])
    UserCreator(client, batch_size=4).run(outcomes)
    # Three sends of the whole batch are refused; the split halves then go through.
    assert [o.status for o in outcomes] == ["created"] * 4
    assert created_once(moodle_sim, outcomes)


def test_concurrent_cohort_additions_survive_a_database_race_and_report_each_member(moodle_sim):
    client = sim_client(moodle_sim, token=FULL_TOKEN, max_input_vars=40, parallel=4)
    users = [moodle_sim.add_user("m%d" % i, "m%d@example.org" % i) for i in range(30)]
    ids = [u["id"] for u in users]
    moodle_sim.inject_fault("write_race", wsfunction=ADD_COHORT_MEMBERS, on_calls=[2])
    outcomes = {}
    add_members(client, Cohort(COHORT, None), ids, set(moodle_sim.cohort_members(COHORT)), outcomes)
    assert [outcomes[uid][0] for uid in ids] == [ADDED] * 30
    assert set(ids) <= set(moodle_sim.cohort_members(COHORT))


def test_concurrent_cohort_removals_remove_each_member(moodle_sim):
    client = sim_client(moodle_sim, token=FULL_TOKEN, max_input_vars=40, parallel=4)
    users = [moodle_sim.add_user("r%d" % i, "r%d@example.org" % i) for i in range(24)]
    ids = [u["id"] for u in users]
    for uid in ids:
        moodle_sim.add_cohort_member(COHORT, uid)
    outcomes = {}
    remove_members(client, Cohort(COHORT, None), ids, True, outcomes)
    assert [outcomes[uid][0] for uid in ids] == [REMOVED] * 24
    assert not set(ids) & set(moodle_sim.cohort_members(COHORT))


def test_a_list_that_fits_one_request_is_spread_over_the_requests_in_flight(moodle_sim):
    client = sim_client(moodle_sim, max_input_vars=5000, parallel=4)
    assert [len(b) for b in client.batches(list(range(1000)))] == [250] * 4
    # Never below 25 items a request, and never above what max_input_vars or max_items allow.
    assert [len(b) for b in client.batches(list(range(60)))] == [25, 25, 10]
    assert [len(b) for b in client.batches(list(range(40)))] == [40]
    assert [len(b) for b in client.batches(list(range(1000)), max_items=100)] == [100] * 10
    assert [len(b) for b in sim_client(moodle_sim, max_input_vars=5000).batches(list(range(1000)))] == [1000]
