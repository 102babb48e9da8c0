# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Updates (warnings per user) and deletes (all-or-nothing, split) of existing users, on the simulated Moodle."""

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import DELETE_USERS, UPDATE_USERS
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.delete import delete_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.update import update_users

from support.site import FULL_TOKEN, SentCalls, sim_client


def planned(client, specs, state="present", update=False, match_by="email"):
    records = validate([UserRecord(i, s, match_by) for i, s in enumerate(specs)], state)
    return plan(client, records, state, update)


def user(sim, userid):
    return sim.find_users(id=userid)[0]


def test_update_sends_only_changed_fields_and_marks_users_updated(moodle_sim):
    moodle_sim.add_user("b", "b@example.org", department="Sales")
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = planned(
        client,
        [
            {"email": "existing.learner@example.com", "department": "Ops"},
            {"email": "b@example.org", "department": "Sales"},
        ],
        update=True,
    )
    sent = SentCalls(client)
    update_users(client, outcomes)
    assert [o.status for o in outcomes] == ["updated", "exists"]
    updates = [dict(fields) for fields in sent.of(UPDATE_USERS)]
    assert len(updates) == 1
    assert {k: v for k, v in updates[0].items() if k.startswith("users")} == {
        "users[0][id]": "7",
        "users[0][department]": "Ops",
    }
    assert user(moodle_sim, 7)["department"] == "Ops"


def test_update_warning_fails_only_its_user(moodle_sim):
    b = moodle_sim.add_user("b", "b@example.org")
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    # b, found by username, is asked to take the existing learner's e-mail: Moodle warns for b alone.
    outcomes = planned(
        client,
        [
            {"username": "existing.learner", "email": "existing.learner@example.com", "department": "Ops"},
            {"username": "b", "email": "existing.learner@example.com", "department": "Ops"},
        ],
        update=True,
        match_by="username",
    )
    update_users(client, outcomes)
    assert [o.status for o in outcomes] == ["updated", "failed"]
    assert outcomes[1].msg == "Moodle did not update this user: useremailduplicate: Duplicate address"
    assert user(moodle_sim, 7)["department"] == "Ops" and user(moodle_sim, b["id"])["email"] == "b@example.org"


def test_update_without_the_function_in_the_service_fails_with_where_to_add_it(moodle_sim):
    client = sim_client(moodle_sim)
    outcomes = planned(client, [{"email": "existing.learner@example.com", "department": "Ops"}], update=True)
    update_users(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "External services > <service> > Functions" in outcomes[0].msg
    assert user(moodle_sim, 7).get("department", "") == ""


def test_delete_of_admin_is_isolated_and_the_others_are_deleted(moodle_sim):
    for name in ("a", "b", "c"):
        moodle_sim.add_user(name, "%s@example.org" % name)
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = planned(
        client,
        [
            {"email": "a@example.org"},
            {"email": "admin@example.com"},
            {"email": "b@example.org"},
            {"email": "c@example.org"},
        ],
        state="absent",
    )
    delete_users(client, outcomes)
    assert [o.status for o in outcomes] == ["deleted", "failed", "deleted", "deleted"]
    assert "Administrator accounts cannot be deleted" in outcomes[1].msg
    assert not any(moodle_sim.find_users(username=name) for name in ("a", "b", "c"))
    assert moodle_sim.find_users(username="admin")


def test_delete_whose_answer_was_lost_is_confirmed_by_lookup(moodle_sim):
    moodle_sim.inject_fault("commit_then_drop", wsfunction=DELETE_USERS, on_calls=[1])
    client = sim_client(moodle_sim, token=FULL_TOKEN)
    outcomes = planned(client, [{"email": "existing.learner@example.com"}], state="absent")
    delete_users(client, outcomes)
    assert outcomes[0].status == "deleted"
    assert moodle_sim.request_counts()[DELETE_USERS] == 1
    assert not moodle_sim.find_users(username="existing.learner")
