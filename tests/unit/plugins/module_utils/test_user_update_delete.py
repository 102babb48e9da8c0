# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Updates (warnings per user) and deletes (all-or-nothing, split) of existing users."""

import json

import responses

from ansible_collections.dsenroll.moodle.plugins.module_utils._users.plan import plan
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.records import UserRecord, validate
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.delete import delete_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.update import update_users
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import DELETE_USERS, UPDATE_USERS

from recorded import body, make_client
from user_fake_moodle import FULL_SERVICE, GUIDE_SERVICE, FakeMoodle


def planned(client, specs, state="present", update=False):
    records = validate([UserRecord(i, s) for i, s in enumerate(specs)], state)
    return plan(client, records, state, update)


@responses.activate
def test_update_sends_only_changed_fields_and_marks_users_updated():
    moodle = FakeMoodle(functions=FULL_SERVICE).install()
    moodle.add_user("b@example.org", "b", department="Sales")
    client = make_client()
    outcomes = planned(client, [{"email": "existing.learner@example.com", "department": "Ops"},
                                {"email": "b@example.org", "department": "Sales"}], update=True)
    update_users(client, outcomes)
    assert [o.status for o in outcomes] == ["updated", "exists"]
    sent = [dict(pairs) for fn, pairs in moodle.calls if fn == UPDATE_USERS]
    assert len(sent) == 1
    assert {k: v for k, v in sent[0].items() if k.startswith("users")} == {
        "users[0][id]": "7", "users[0][department]": "Ops"}
    assert moodle.users[7]["department"] == "Ops"


@responses.activate
def test_update_warning_fails_only_its_user():
    moodle = FakeMoodle(functions=FULL_SERVICE).install()
    moodle.add_user("b@example.org", "b")
    warning = json.loads(body("m2_update_users_duplicate_email"))
    warning["warnings"][0]["itemid"] = 100
    moodle.fail_next[UPDATE_USERS] = [json.dumps(warning)]
    client = make_client()
    outcomes = planned(client, [{"email": "existing.learner@example.com", "department": "Ops"},
                                {"email": "b@example.org", "department": "Ops"}], update=True)
    update_users(client, outcomes)
    assert [o.status for o in outcomes] == ["updated", "failed"]
    assert outcomes[1].msg == "Moodle did not update this user: useremailduplicate: Duplicate address"


@responses.activate
def test_update_without_the_function_in_the_service_fails_with_where_to_add_it():
    FakeMoodle(functions=GUIDE_SERVICE).install()
    client = make_client()
    outcomes = planned(client, [{"email": "existing.learner@example.com", "department": "Ops"}], update=True)
    update_users(client, outcomes)
    assert outcomes[0].status == "failed"
    assert "External services > <service> > Functions" in outcomes[0].msg


@responses.activate
def test_delete_of_admin_is_isolated_and_the_others_are_deleted():
    moodle = FakeMoodle(functions=FULL_SERVICE).install()
    for name in ("a", "b", "c"):
        moodle.add_user("%s@example.org" % name, name)
    client = make_client()
    outcomes = planned(client, [{"email": "a@example.org"}, {"email": "admin@example.com"},
                                {"email": "b@example.org"}, {"email": "c@example.org"}], state="absent")
    delete_users(client, outcomes)
    assert [o.status for o in outcomes] == ["deleted", "failed", "deleted", "deleted"]
    assert "Administrator accounts cannot be deleted" in outcomes[1].msg
    assert sorted(moodle.users) == [2, 7]


@responses.activate
def test_delete_whose_answer_was_lost_is_confirmed_by_lookup():
    moodle = FakeMoodle(functions=FULL_SERVICE).install()
    moodle.drop_after_commit[DELETE_USERS] = 1
    client = make_client()
    outcomes = planned(client, [{"email": "existing.learner@example.com"}], state="absent")
    delete_users(client, outcomes)
    assert outcomes[0].status == "deleted"
    assert moodle.count(DELETE_USERS) == 1 and 7 not in moodle.users
