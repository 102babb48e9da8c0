# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one-run enrolment (module_utils/_enrol/flow.py) against the in-process simulator, and the same people
through moodle_user then moodle_cohort_member with the enrol filters (the two-module path): the same rows."""

import json

import pytest

from ansible_collections.dsenroll.moodle.plugins.filter.enrol import enrol_member_refs
from ansible_collections.dsenroll.moodle.plugins.filter.enrol import enrol_report as two_module_report
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.flow import Enrolment
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.people import enrol_user_records
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
    GET_USERS_BY_FIELD,
)
from ansible_collections.dsenroll.moodle.plugins.modules import moodle_cohort_member, moodle_user

from support.module_args import run_main
from support.site import ENROLMENT_TOKEN, FULL_TOKEN, REST_ONLY_TOKEN, SentCalls, sim_client

COHORT_ID = 1  # OneMembership, a system cohort of the seeded site
LEARNER_ID = 7  # existing.learner@example.com, in no cohort

PEOPLE = [
    {"email": "zoe.lefevre@example.org", "firstname": "Zoé", "lastname": "Lefèvre"},
    {"email": "Existing.Learner@example.com", "firstname": "Existing", "lastname": "Learner"},
    {"email": "not-an-address", "firstname": "No", "lastname": "Mail"},
    {"email": "nameless@example.org", "lastname": "Nobody"},
    {"email": "twice@example.org", "firstname": "One", "lastname": "Twice"},
    {"email": "TWICE@example.org", "firstname": "Two", "lastname": "Twice"},
    {"email": "sean.obrien@example.org", "firstname": "Seán", "lastname": "O'Brien", "password": "S3cret!Pass-word"},
]


def site_state(sim):
    state = sim.state()
    return sorted((u["id"], u["email"]) for u in state["users"]), dict(
        (c["id"], c["members"]) for c in state["cohorts"]
    )


def two_module_rows(capsys, sim, token, check=False, cohort_id=COHORT_ID):
    """The enrol role's former path: moodle_user, enrol_member_refs, moodle_cohort_member, enrol_report."""
    people = enrol_user_records(PEOPLE)
    common = dict(moodle_url=sim.url, moodle_token=token, retries=0, _ansible_check_mode=check)
    run_main(moodle_user.main, dict(common, users=people))
    users = json.loads(capsys.readouterr().out)
    refs = enrol_member_refs(users)
    members = []
    if refs:
        run_main(moodle_cohort_member.main, dict(common, cohort_id=cohort_id, users=refs))
        members = json.loads(capsys.readouterr().out)
    return two_module_report(people, users, members)["people"]


def enrol(sim, token, check=False, cohort_id=COHORT_ID, people=None):
    client = sim_client(sim, token)
    enrolment = Enrolment(enrol_user_records(PEOPLE if people is None else people), cohort_id)
    enrolment.plan(client, check_mode=check)
    if not check:
        enrolment.apply(client)
    return enrolment


@pytest.mark.parametrize("token", [ENROLMENT_TOKEN, FULL_TOKEN], ids=["guide token", "full token"])
@pytest.mark.parametrize("check", [False, True], ids=["real run", "check mode"])
def test_one_run_reports_the_rows_of_moodle_user_then_moodle_cohort_member(capsys, moodle_sim, token, check):
    expected = two_module_rows(capsys, moodle_sim, token, check)
    composed_state = site_state(moodle_sim)
    moodle_sim.reset()

    rows = enrol(moodle_sim, token, check).report()["people"]

    assert rows == expected
    assert site_state(moodle_sim) == composed_state


def test_a_real_run_creates_and_adds_everyone_it_can_and_gives_the_others_a_reason(moodle_sim):
    enrolment = enrol(moodle_sim, ENROLMENT_TOKEN)
    report = enrolment.report()

    assert [(r["user"], r["cohort"], r["outcome"]) for r in report["people"]] == [
        ("created", "added", "ok"),
        ("exists", "added", "ok"),
        ("failed", "skipped", "failed"),
        ("failed", "skipped", "failed"),
        ("failed", "skipped", "failed"),
        ("failed", "skipped", "failed"),
        ("created", "added", "ok"),
    ]
    assert all(row["msg"] for row in report["failed"])
    assert report["summary"] == {
        "people": 7, "created": 2, "existed": 1, "added": 3, "already_members": 0, "unknown": 0, "failed": 4,
    }  # fmt: skip
    assert enrolment.changed and enrolment.fatal is None
    assert set(r["id"] for r in report["people"] if r["outcome"] == "ok") <= set(moodle_sim.cohort_members(COHORT_ID))
    counts = moodle_sim.request_counts()
    assert counts[CREATE_USERS] == 1 and counts[ADD_COHORT_MEMBERS] == 1, counts


def test_check_mode_writes_nothing_and_a_rerun_after_the_real_run_changes_nothing(moodle_sim):
    before = site_state(moodle_sim)
    predicted = enrol(moodle_sim, FULL_TOKEN, check=True)
    assert site_state(moodle_sim) == before
    assert CREATE_USERS not in moodle_sim.request_counts() and ADD_COHORT_MEMBERS not in moodle_sim.request_counts()

    real = enrol(moodle_sim, FULL_TOKEN)
    done = {"would_create": "created", "would_add": "added"}
    assert [
        (done.get(r["user"], r["user"]), done.get(r["cohort"], r["cohort"])) for r in predicted.report()["people"]
    ] == [(r["user"], r["cohort"]) for r in real.report()["people"]]
    rerun = enrol(moodle_sim, FULL_TOKEN)
    assert not rerun.changed
    assert rerun.report()["summary"]["already_members"] == 3


def test_the_cohort_step_looks_nobody_up_again(moodle_sim):
    # Check mode with the members readable: the two-module path looks the predicted users up again (and proves the
    # token's visibility again); one run already knows them.
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    enrolment = Enrolment(enrol_user_records(PEOPLE), COHORT_ID)
    enrolment.plan(client, check_mode=True)

    lookups = [dict(fields) for fields in sent.of(GET_USERS_BY_FIELD)]
    assert [(f["field"], f.get("values[0]")) for f in lookups if f["field"] == "id"] == [("id", "2")], lookups
    assert [r["cohort"] for r in enrolment.report()["people"] if r["outcome"] == "ok"] == ["would_add"] * 3


def test_a_cohort_proven_missing_stops_the_run_before_anyone_is_created(moodle_sim):
    enrolment = enrol(moodle_sim, FULL_TOKEN, cohort_id=99)
    rows = enrolment.report()["people"]

    assert CREATE_USERS not in moodle_sim.request_counts() and ADD_COHORT_MEMBERS not in moodle_sim.request_counts()
    assert (rows[0]["user"], rows[0]["cohort"]) == ("failed", "skipped")
    assert rows[0]["msg"] == "not processed: core_cohort_get_cohorts: no cohort with id 99"
    assert (rows[1]["user"], rows[1]["cohort"], rows[1]["msg"]) == (
        "exists",
        "failed",
        "core_cohort_get_cohorts: no cohort with id 99",
    )
    assert "no cohort with id 99" in str(enrolment.fatal)


def test_a_token_that_cannot_see_users_fails_everyone_with_the_reason_and_creates_nobody(moodle_sim):
    enrolment = enrol(moodle_sim, REST_ONLY_TOKEN)
    report = enrolment.report()

    assert report["summary"]["failed"] == len(PEOPLE)
    assert all(r["msg"] for r in report["people"])
    assert "cannot see other users" in str(enrolment.fatal)
    assert CREATE_USERS not in moodle_sim.request_counts()


def test_the_diff_names_users_and_members_by_e_mail_and_never_shows_a_password(moodle_sim):
    client = sim_client(moodle_sim, FULL_TOKEN)
    sent = SentCalls(client)
    enrolment = Enrolment(enrol_user_records(PEOPLE), COHORT_ID)
    enrolment.plan(client)
    enrolment.apply(client)
    lookups_before_diff = len(sent.of(GET_USERS_BY_FIELD))

    users, members = enrolment.diff()

    assert sorted(users["after"]) == ["sean.obrien@example.org", "zoe.lefevre@example.org"]
    assert members["before"]["members"] == []
    assert members["after"]["members"] == [
        "existing.learner@example.com (id 7)",
        "zoe.lefevre@example.org (id 8)",
        "sean.obrien@example.org (id 9)",
    ]
    assert members["before_header"] == "members of cohort id=1 (OneMembership)"
    assert "S3cret!Pass-word" not in json.dumps(enrolment.diff())
    assert len(sent.of(GET_USERS_BY_FIELD)) == lookups_before_diff


def test_no_people_send_nothing(moodle_sim):
    enrolment = enrol(moodle_sim, ENROLMENT_TOKEN, people=[])
    assert enrolment.report()["summary"]["people"] == 0 and not enrolment.changed
    assert moodle_sim.request_counts() == {}
