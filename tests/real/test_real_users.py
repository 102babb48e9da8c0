# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user against a real Moodle: the module's results, and the accounts read back through the API.

Every person is new and prefixed (conftest.RealSite.email), so these tests share one site without a reset.
"""

import threading

import pytest

from support.people import FIRST, LAST


def person(site, name, number=0, **extra):
    spec = {
        "email": site.email(name),
        "firstname": FIRST[number % len(FIRST)],
        "lastname": LAST[number % len(LAST)],
        "password": site.password(),
    }
    spec.update(extra)
    return spec


def statuses(result):
    return [r["status"] for r in result["results"]]


def created(site, people, token="TOKEN_OK"):
    """Create ``people`` (prefixed, new) with one task; return the site's accounts by e-mail."""
    result, run = site.task("moodle_user", {}, people=people, token=token)
    assert statuses(result) == ["created"] * len(people), run
    return dict((p["email"], site.one(p["email"])) for p in people)


# -- create ---------------------------------------------------------------------------------------------
def test_two_hundred_people_in_one_task_are_each_created_once_and_a_rerun_changes_nothing(real_site):
    site = real_site
    people = [person(site, "bulk%03d" % n, n) for n in range(200)]

    first, run = site.task("moodle_user", {"max_input_vars": 5000}, people=people)

    assert first["changed"] is True and not first.get("failed"), run
    assert first["summary"]["created"] == 200
    assert [r["email"] for r in first["results"]] == [p["email"] for p in people]
    accounts = site.accounts([p["email"] for p in people])
    assert all(len(found) == 1 for found in accounts.values()), [e for e, f in accounts.items() if len(f) != 1]
    for spec in people:
        account = accounts[spec["email"]][0]
        assert (account["firstname"], account["lastname"], account["username"]) == (
            spec["firstname"],
            spec["lastname"],
            spec["email"],
        )
    assert sorted(r["id"] for r in first["results"]) == sorted(f[0]["id"] for f in accounts.values())

    again, _run = site.task("moodle_user", {"max_input_vars": 5000}, people=people)

    assert again["changed"] is False and again["summary"]["exists"] == 200
    assert all(len(found) == 1 for found in site.accounts([p["email"] for p in people]).values())


def test_one_person_with_a_mixed_case_email_is_created_with_a_lowercase_username_then_left_alone(real_site):
    site = real_site
    email = site.email("ada").replace(site.prefix + "-ada", site.prefix + "-Ada.Lovelace")
    args = {
        "email": email,
        "firstname": "Ada",
        "lastname": "Lovelace",
        "password": site.password(),
        "department": "Maths",
    }

    first = site.module("moodle_user", args)

    assert first.rc == 0 and first.result["changed"] is True, first
    account = site.one(email)
    assert (account["email"], account["username"], account["department"]) == (email, email.lower(), "Maths")
    assert first.result["user"] == {
        "email": email,
        "username": email.lower(),
        "id": account["id"],
        "status": "created",
        "msg": "",
    }

    again = site.module("moodle_user", args)

    assert again.result["changed"] is False and again.result["user"]["status"] == "exists", again
    assert again.result["user"]["id"] == account["id"]
    assert "no_log" not in again.output  # no spurious "did not set no_log" warning
    assert len(site.find(email)) == 1


def test_an_email_in_capitals_finds_the_existing_learner_and_creates_no_duplicate(real_site, lab):
    learner = real_site.one("existing.learner@example.com")

    run = real_site.module(
        "moodle_user", {"email": "EXISTING.Learner@Example.COM", "firstname": "Existing", "lastname": "Learner"}
    )

    assert run.rc == 0, run
    assert run.result["changed"] is False
    assert run.result["user"] == {
        "email": "EXISTING.Learner@Example.COM",
        "username": "existing.learner",
        "id": learner["id"],
        "status": "exists",
        "msg": "",
    }
    assert len(real_site.find("existing.learner@example.com")) == 1


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
def test_an_email_stored_in_mixed_case_is_found_only_with_core_user_get_users_and_never_duplicated(
    real_site, lab, setting, debug
):
    site = real_site
    name = "mixedcase%d" % debug
    lower = site.email(name)
    stored = lower.replace(name + "@example.invalid", "MixedCase%d@Example.Invalid" % debug)
    if debug:
        setting("debug", "32767")
    created(site, [person(site, name, email=stored, username=site.prefix + "-mixedstored%d" % debug)])
    assert site.one(lower)["email"] == stored  # Moodle keeps the letter case it was given

    guide, _run = site.task("moodle_user", {}, people=[person(site, name)])
    full, _run = site.task("moodle_user", {}, people=[person(site, name)], token="TOKEN_FULL")

    if lab.db == "pgsql":
        # An exact, case-sensitive lookup misses the account; Moodle refuses the create (the e-mail is taken,
        # compared case-insensitively), and only core_user_get_users could find the account.
        assert statuses(guide) == ["failed"]
        assert "core_user_get_users" in guide["results"][0]["msg"]
        if debug:  # Moodle's debuginfo says the e-mail is taken: the module says so for sure
            assert "an account with this e-mail in another letter case exists" in guide["results"][0]["msg"]
    else:
        assert statuses(guide) == ["exists"]
    assert statuses(full) == ["exists"]
    assert full["results"][0]["username"] == site.prefix + "-mixedstored%d" % debug
    assert len(site.find(lower)) == 1


def test_an_email_in_another_case_than_stored_finds_the_account_whose_username_came_from_it(real_site, lab):
    site = real_site
    lower = site.email("samename")
    stored = lower.replace("samename@example.invalid", "SameName@Example.Invalid")
    created(site, [person(site, "samename", email=stored)])  # username: the e-mail in lowercase
    account = site.one(lower)

    check, _run = site.task("moodle_user", {}, people=[person(site, "samename")], token="TOKEN_FULL", check=True)
    guide, _run = site.task("moodle_user", {}, people=[person(site, "samename")])
    full, _run = site.task("moodle_user", {}, people=[person(site, "samename")], token="TOKEN_FULL")

    assert len(site.find(lower)) == 1
    # Check mode finds it through core_user_get_users; the real runs must agree with it.
    assert [(r["status"], r["id"]) for r in check["results"] + guide["results"] + full["results"]] == [
        ("exists", account["id"])
    ] * 3


# -- bad records ----------------------------------------------------------------------------------------
def test_invalid_records_fail_alone_with_reasons_and_the_valid_ones_are_created(real_site):
    site = real_site
    people = [
        person(site, "valid0"),
        person(site, "x", email="not an e-mail"),
        person(site, "upper", username="Upper.Case"),
        person(site, "nofirst", firstname=""),
        person(site, "nopassword", password=None),
        person(site, "valid5"),
        person(site, "dup", email=site.email("Dup")),
        person(site, "dup"),
        person(site, "valid8"),
    ]

    result, _run = site.task("moodle_user", {}, people=people)

    assert result.get("failed") is True
    assert statuses(result) == [
        "created",
        "failed",
        "failed",
        "failed",
        "failed",
        "created",
        "failed",
        "failed",
        "created",
    ]
    assert result["msg"].startswith("6 of 9 users failed: not an e-mail: email 'not an e-mail' is not a valid")
    assert all(result["results"][i]["msg"] for i in (1, 2, 3, 4, 6, 7))
    for index, spec in enumerate(people):
        if spec["email"] != "not an e-mail":
            assert len(site.find(spec["email"])) == (1 if index in (0, 5, 8) else 0), spec["email"]


def test_records_moodle_refuses_are_isolated_by_splitting_and_the_others_are_created(real_site):
    site = real_site
    owner = created(site, [person(site, "owner")])[site.email("owner")]
    people = [person(site, "split%02d" % n, n) for n in range(12)]
    people[3]["password"] = "short"  # the site's password policy
    people[6]["lang"] = "xx"  # not an installed language
    people[9]["username"] = owner["username"]  # the username of another account

    result, run = site.task("moodle_user", {}, people=people)

    expected = ["created"] * 12
    for bad in (3, 6, 9):
        expected[bad] = "failed"
    assert statuses(result) == expected, run
    assert result["results"][3]["msg"].startswith("Moodle refused to create this user: password policy:")
    assert result["results"][6]["msg"].startswith("Moodle refused to create this user:")
    assert (
        "username %r already belongs to another Moodle account (id %s)" % (owner["username"], owner["id"])
        in result["results"][9]["msg"]
    )
    found = site.accounts([p["email"] for p in people])
    assert [len(found[p["email"]]) for p in people] == [0 if s == "failed" else 1 for s in expected]


# -- check mode -----------------------------------------------------------------------------------------
def test_check_mode_writes_nothing_and_predicts_the_real_run_exactly(real_site):
    site = real_site
    site.token_of("TOKEN_FULL")  # the real run updates: core_user_update_users
    existing = [person(site, "check%d" % n) for n in range(4)]
    created(site, existing)
    people = [existing[0], dict(existing[1], department="Ops"), existing[2]]
    people += [person(site, "check%d" % n) for n in range(4, 7)]
    people.append({"email": existing[3]["email"].upper()})  # found in another letter case
    people.append(person(site, "broken", email="broken"))  # refused locally
    before = site.accounts([p["email"] for p in people[:6]])

    check, _run = site.task("moodle_user", {"update": True}, people=people, check=True, diff=True)

    assert site.accounts([p["email"] for p in people[:6]]) == before
    assert statuses(check) == [
        "exists",
        "would_update",
        "exists",
        "would_create",
        "would_create",
        "would_create",
        "exists",
        "failed",
    ]

    real, _run = site.task("moodle_user", {"update": True}, people=people, token="TOKEN_FULL")

    done = {"would_create": "created", "would_update": "updated"}
    assert [done.get(s, s) for s in statuses(check)] == statuses(real)
    assert check["changed"] is real["changed"] is True
    assert [r["username"] for r in check["results"]] == [r["username"] for r in real["results"]]
    assert site.one(existing[1]["email"])["department"] == "Ops"
    assert all(len(site.find(p["email"])) == 1 for p in people[3:6])


def test_check_mode_diff_shows_the_creation_without_the_password_and_creates_nobody(real_site):
    site = real_site
    spec = person(site, "diffed", 1)

    result, run = site.task("moodle_user", spec, check=True, diff=True)

    assert not result.get("failed"), run
    assert result["user"]["status"] == "would_create" and result["changed"] is True
    assert result["diff"][0]["after"][spec["email"]]["firstname"] == spec["firstname"]
    assert spec["email"] in run.output
    assert spec["password"] not in run.output
    assert site.find(spec["email"]) == []


# -- permissions ----------------------------------------------------------------------------------------
def test_a_token_that_cannot_see_other_users_fails_clearly_and_creates_nobody(real_site):
    site = real_site
    people = [person(site, "unseen%d" % n) for n in range(3)]

    result, _run = site.task("moodle_user", {}, people=people, token="TOKEN_NOCAP_RESTONLY")

    assert result.get("failed") is True
    assert "cannot see other users' e-mail addresses" in result["msg"]
    assert "moodle/site:viewuseridentity" in result["msg"]
    assert statuses(result) == ["failed"] * 3
    assert all(site.find(p["email"]) == [] for p in people)


# -- update and absent ----------------------------------------------------------------------------------
def test_update_changes_only_the_differing_fields_and_only_when_asked(real_site):
    site = real_site
    spec = person(site, "updated", 2)
    created(site, [spec])
    changes = {"email": spec["email"], "department": "Ops", "city": "Lyon"}

    left = site.module("moodle_user", changes)

    assert left.rc == 0 and left.result["user"]["status"] == "exists", left
    assert "city, department" in left.result["user"]["msg"]
    assert site.one(spec["email"]).get("department", "") == ""

    updated = site.module("moodle_user", dict(changes, update=True), token="TOKEN_FULL")

    assert updated.rc == 0 and updated.result["user"]["status"] == "updated", updated
    account = site.one(spec["email"])
    assert (account["department"], account["city"], account["firstname"], account["lastname"]) == (
        "Ops",
        "Lyon",
        spec["firstname"],
        spec["lastname"],
    )

    again = site.module("moodle_user", dict(changes, update=True), token="TOKEN_FULL")
    assert again.result["changed"] is False and again.result["user"]["status"] == "exists", again


def test_absent_deletes_the_account_then_reports_absent(real_site):
    site = real_site
    spec = person(site, "leaver")
    account = created(site, [spec])[spec["email"]]

    gone = site.module("moodle_user", {"email": spec["email"], "state": "absent"}, token="TOKEN_FULL")

    assert gone.rc == 0 and gone.result["changed"] is True, gone
    assert gone.result["user"]["status"] == "deleted" and gone.result["user"]["id"] == account["id"]
    assert site.find(spec["email"]) == []
    assert all(u.get("email") != spec["email"] for u in site.by_id(account["id"]))

    again = site.module("moodle_user", {"email": spec["email"], "state": "absent"}, token="TOKEN_FULL")
    assert again.result["changed"] is False and again.result["user"]["status"] == "absent", again


# -- concurrency and limits -----------------------------------------------------------------------------
def test_two_runs_at_once_on_overlapping_people_create_each_person_once(real_site):
    site = real_site
    everyone = [person(site, "race%03d" % n, n) for n in range(90)]
    results = {}

    def run(name, people):
        results[name] = site.task("moodle_user", {"batch_size": 10}, people=people)[0]

    threads = [
        threading.Thread(target=run, args=("first", everyone[:60])),
        threading.Thread(target=run, args=("second", everyone[30:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for name in ("first", "second"):
        assert results[name]["summary"]["failed"] == 0, results[name]["msg"]
    assert results["first"]["summary"]["created"] + results["second"]["summary"]["created"] == 90
    found = site.accounts([p["email"] for p in everyone])
    assert all(len(accounts) == 1 for accounts in found.values()), [e for e, a in found.items() if len(a) != 1]


def test_a_small_max_input_vars_batches_every_person_and_loses_nobody(real_site):
    site = real_site
    people = [person(site, "narrow%03d" % n, n) for n in range(60)]

    result, _run = site.task("moodle_user", {"max_input_vars": 120}, people=people)

    assert result["summary"]["created"] == 60 and not result.get("failed"), result.get("msg")
    assert all(len(a) == 1 for a in site.accounts([p["email"] for p in people]).values())
    again, _run = site.task("moodle_user", {"max_input_vars": 120}, people=people)
    assert again["summary"]["exists"] == 60 and again["changed"] is False


def test_with_debugging_on_each_record_moodle_refuses_carries_moodles_own_reason(real_site, setting):
    site = real_site
    setting("debug", "32767")
    taken = person(site, "taken")
    account = created(site, [taken])[taken["email"]]
    people = [person(site, "why%d" % n, n) for n in range(5)]
    people[1]["lang"] = "xx"
    people[2]["auth"] = "nosuchauth"
    people[3] = dict(taken, email=taken["email"].replace(site.prefix, site.prefix.upper()))

    result, run = site.task("moodle_user", {}, people=people)

    assert statuses(result) == ["created", "failed", "failed", "exists", "created"], run
    messages = [r["msg"] for r in result["results"]]
    # Moodle refuses the language and the authentication while validating the parameters (PARAM_LANG,
    # PARAM_AUTH), before the function runs, with debuginfo naming the field.
    assert (
        'lang => Invalid parameter value detected: Invalid external api parameter: the value is "xx", the '
        'server was expecting "lang" type' in messages[1]
    ), messages[1]
    assert (
        'auth => Invalid parameter value detected: Invalid external api parameter: the value is "nosuchauth", '
        'the server was expecting "auth" type' in messages[2]
    ), messages[2]
    # In capitals: found by its lowercase spelling, never sent to Moodle to create.
    assert result["results"][3]["id"] == account["id"] and messages[3] == "", messages[3]
    assert [len(site.find(p["email"])) for p in people] == [1, 0, 0, 1, 1]


def test_an_email_shared_by_two_accounts_is_never_guessed(real_site, setting):
    site = real_site
    setting("allowaccountssameemail", "1")
    shared = person(site, "shared")
    first = created(site, [shared])[shared["email"]]
    site.client_for("TOKEN_FULL").call(
        "core_user_create_users",
        {
            "users": [
                {
                    "username": site.prefix + "-shared-twin",
                    "email": shared["email"],
                    "firstname": "Twin",
                    "lastname": "Shared",
                    "password": site.password(),
                    "auth": "manual",
                }
            ]
        },
    )
    assert len(site.find(shared["email"])) == 2

    user = site.module("moodle_user", dict(shared, update=True))
    member = site.module("moodle_cohort_member", {"cohort_id": site.cohort_id, "users": [shared["email"]]})

    assert user.rc != 0 and user.result["user"]["status"] == "failed", user
    assert str(first["id"]) in user.result["user"]["msg"]
    assert member.rc != 0 and [r["status"] for r in member.result["results"]] == ["failed"], member
    assert not {a["id"] for a in site.find(shared["email"])} & set(site.members(site.cohort_id))


def test_the_email_of_a_deleted_account_is_enrolled_again_as_a_new_account(real_site):
    site = real_site
    spec = person(site, "returning")
    old = created(site, [spec])[spec["email"]]
    gone = site.module("moodle_user", {"email": spec["email"], "state": "absent"}, token="TOKEN_FULL")
    assert gone.result["user"]["status"] == "deleted", gone

    back = site.module("moodle_user", spec)

    assert back.rc == 0 and back.result["user"]["status"] == "created", back
    account = site.one(spec["email"])
    assert account["id"] == back.result["user"]["id"] != old["id"]
    assert account["username"] == spec["email"]
