# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_cohort_member against a real Moodle: results, and the cohorts' members read back through the API.

The people are new and prefixed, so these tests share one site; the assertions concern only them, except on
the lab's Category Cohort (id 3), which only the exclusive tests empty.
"""

import itertools

import pytest

CATEGORY_COHORT = 3  # the lab's Category Cohort, idnumber categorycohort
SECOND_COHORT = 2  # the lab's Second Cohort, idnumber second
SETUPS = itertools.count()


def newcomers(site, *names):
    """Create prefixed people; return [(email, id, username)] in order."""
    people = [
        {"email": site.email(n), "firstname": "Cohort", "lastname": n.title(), "password": site.password()}
        for n in names
    ]
    result, run = site.task("moodle_user", {}, people=people)
    assert [r["status"] for r in result["results"]] == ["created"] * len(people), run
    return [(r["email"], r["id"], r["username"]) for r in result["results"]]


def members(site, cohort_id, token="TOKEN_OK", **args):
    """Run moodle_cohort_member; return its result (the token never in the output)."""
    options = dict((k, args.pop(k)) for k in ("check", "diff", "verbosity") if k in args)
    result, run = site.task(
        "moodle_cohort_member", dict(args, **({"cohort_id": cohort_id} if cohort_id else {})), token=token, **options
    )
    assert site.token_of(token) not in run.output
    return result, run


def statuses(result):
    return [r["status"] for r in result["results"]]


# -- adding -------------------------------------------------------------------------------------------
def test_a_person_added_by_email_becomes_a_member_once_and_a_rerun_changes_nothing(real_site):
    site = real_site
    [(email, uid, _name)] = newcomers(site, "joiner")

    first, _run = members(site, site.cohort_id, users=[email])

    assert first["changed"] is True and not first.get("failed")
    assert first["results"] == [{"email": email, "id": uid, "status": "added", "msg": "added to the cohort"}]
    assert uid in site.members(site.cohort_id)

    again, _run = members(site, site.cohort_id, users=[email])

    assert again["changed"] is False and statuses(again) == ["member"]
    assert site.members(site.cohort_id).count(uid) == 1


def test_people_given_by_email_id_and_username_are_added_with_only_the_guides_functions(real_site):
    site = real_site
    (a_mail, a_id, _a), (_b_mail, b_id, _b), (_c_mail, c_id, c_name) = newcomers(site, "byemail", "byid", "byname")
    members(site, site.cohort_id, users=[{"id": b_id}])

    result, _run = members(site, site.cohort_id, users=[a_mail, {"id": b_id}, {"username": c_name}])

    assert statuses(result) == ["added", "member", "added"] and not result.get("failed")
    assert {a_id, b_id, c_id} <= set(site.members(site.cohort_id))


def test_the_full_token_reads_the_members_first_and_names_the_cohort(real_site, lab):
    site = real_site
    people = newcomers(site, "readfirst0", "readfirst1", "readfirst2")
    members(site, site.cohort_id, users=[people[0][0]])

    result, _run = members(site, site.cohort_id, token="TOKEN_FULL", users=[p[0] for p in people])

    assert statuses(result) == ["member", "added", "added"]
    assert result["cohort"] == {"id": 1, "idnumber": "onemembership", "name": "OneMembership"}
    assert {p[1] for p in people} <= set(site.members(site.cohort_id))
    again, _run = members(site, site.cohort_id, token="TOKEN_FULL", users=[p[0] for p in people])
    assert again["changed"] is False and statuses(again) == ["member"] * 3


def test_a_cohort_given_by_idnumber_is_found_with_the_guide_and_the_full_tokens(real_site, lab):
    site = real_site
    (_a_mail, a_id, _a), (_b_mail, b_id, _b) = newcomers(site, "second", "category")

    guide, _run = members(site, None, cohort_idnumber="second", users=[{"id": a_id}])
    full, _run = members(site, None, token="TOKEN_FULL", cohort_idnumber="categorycohort", users=[{"id": b_id}])

    assert statuses(guide) == ["added"] and guide["cohort"] == {"id": None, "idnumber": "second"}
    assert a_id in site.members(SECOND_COHORT)
    assert statuses(full) == ["added"] and full["cohort"]["id"] == CATEGORY_COHORT
    assert b_id in site.members(CATEGORY_COHORT)


def test_an_unknown_cohort_fails_every_person_and_adds_nobody(real_site, lab):
    site = real_site
    people = newcomers(site, "lost0", "lost1", "lost2")

    result, _run = members(site, 999999, users=[p[0] for p in people])
    by_idnumber, _run = members(site, None, token="TOKEN_FULL", cohort_idnumber="OneMembership", users=[people[0][0]])

    assert result["failed"] is True and "cohort id=999999 not exists" in result["msg"]
    assert set(statuses(result)) == {"failed"}
    assert by_idnumber["failed"] is True and "no cohort with idnumber" in by_idnumber["msg"]
    for cohort in (1, SECOND_COHORT, CATEGORY_COHORT):
        assert not {p[1] for p in people} & set(site.members(cohort))


def test_unknown_people_fail_and_the_others_are_added(real_site):
    site = real_site
    [(email, uid, _name)] = newcomers(site, "known")
    before = set(site.members(site.cohort_id))

    given = [{"id": 999999}, email, site.email("nobody"), {"username": site.email("nobody")}]

    result, _run = members(site, site.cohort_id, users=given)

    assert result["failed"] is True
    assert statuses(result) == ["failed", "added", "failed", "failed"]
    assert result["results"][2]["msg"] == "no Moodle user with this e-mail"
    assert "999999" in result["results"][0]["msg"]
    assert set(site.members(site.cohort_id)) == before | {uid}


def test_a_token_without_cohort_assign_fails_naming_the_capability_and_the_cohort(real_site, lab):
    site = real_site
    [(_email, uid, _name)] = newcomers(site, "unassignable")

    result, _run = members(site, SECOND_COHORT, token="TOKEN_NOCAP_RESTONLY", users=[{"id": uid}])

    assert result["failed"] is True and result["changed"] is False
    assert "moodle/cohort:assign" in result["msg"] and "cohort id=2" in result["msg"]
    assert statuses(result) == ["failed"]
    assert uid not in site.members(SECOND_COHORT)


def test_without_cohort_assign_an_existing_member_is_still_reported_as_a_member(real_site, lab):
    site = real_site
    [(email, uid, _name)] = newcomers(site, "alreadyin")
    members(site, site.cohort_id, users=[email])

    result, _run = members(site, site.cohort_id, token="TOKEN_NOCAP_RESTONLY", users=[{"id": uid}])

    assert not result.get("failed") and result["changed"] is False and statuses(result) == ["member"]
    assert uid in site.members(site.cohort_id)


# -- removing -----------------------------------------------------------------------------------------
def test_absent_removes_the_members_and_a_rerun_changes_nothing(real_site, lab):
    site = real_site
    (a_mail, a_id, _a), (b_mail, b_id, _b) = newcomers(site, "remove0", "remove1")
    members(site, site.cohort_id, users=[a_mail])
    assert a_id in site.members(site.cohort_id)

    result, _run = members(
        site, site.cohort_id, token="TOKEN_FULL", state="absent", users=[a_mail, b_mail, site.email("gone")]
    )

    assert statuses(result) == ["removed", "not_member", "not_member"] and result["changed"] is True
    assert not {a_id, b_id} & set(site.members(site.cohort_id))
    again, _run = members(site, site.cohort_id, token="TOKEN_FULL", state="absent", users=[a_mail, b_mail])
    assert again["changed"] is False and statuses(again) == ["not_member", "not_member"]


@pytest.fixture
def category_cohort(real_site, lab):
    """The Category Cohort with two of this run's people in it; returns (a newcomer's id, the members)."""
    site = real_site
    tag = "exclusive%d-" % next(SETUPS)  # new people for each test
    people = newcomers(site, tag + "0", tag + "1", tag + "2")
    members(site, CATEGORY_COHORT, users=[p[0] for p in people[1:]])
    return people[0][1], site.members(CATEGORY_COHORT)


def test_exclusive_without_max_removals_refuses_and_changes_nothing(real_site, category_cohort):
    newcomer, before = category_cohort

    result, _run = members(real_site, CATEGORY_COHORT, token="TOKEN_FULL", exclusive=True, users=[{"id": newcomer}])

    assert result["failed"] is True and "max_removals=0" in result["msg"]
    assert real_site.members(CATEGORY_COHORT) == before  # not even the add was sent


def test_exclusive_with_max_removals_makes_the_cohort_exactly_the_people_given(real_site, category_cohort):
    newcomer, before = category_cohort

    result, _run = members(
        real_site,
        CATEGORY_COHORT,
        token="TOKEN_FULL",
        diff=True,
        exclusive=True,
        max_removals=len(before),
        users=[{"id": newcomer}],
    )

    assert statuses(result) == ["added"] and result["summary"]["removed"] == len(before)
    assert real_site.members(CATEGORY_COHORT) == [newcomer]
    assert result["diff"]["before"]["members"] == real_site.labels(before)
    assert result["diff"]["after"]["members"] == real_site.labels([newcomer])


# -- check mode and diff ------------------------------------------------------------------------------
def test_check_mode_with_the_read_function_is_exact_and_writes_nothing(real_site, lab):
    site = real_site
    (a_mail, a_id, _a), (b_mail, b_id, _b) = newcomers(site, "preview0", "preview1")
    members(site, site.cohort_id, users=[a_mail])
    before = site.members(site.cohort_id)

    result, run = members(
        site, site.cohort_id, token="TOKEN_FULL", check=True, diff=True, users=[a_mail, b_mail, site.email("future")]
    )

    assert statuses(result) == ["member", "would_add", "would_add"] and result["changed"] is True
    # Members found by e-mail are named as given, with their id; the one to be created by its e-mail alone.
    assert result["diff"]["after"]["members"] == [
        "%s (id %d)" % (a_mail, a_id),
        "%s (id %d)" % (b_mail, b_id),
        site.email("future"),
    ]
    assert site.members(site.cohort_id) == before
    assert "[WARNING]" not in run.output


def test_check_mode_without_the_read_function_is_unknown_and_names_the_function_to_add(real_site):
    site = real_site
    [(email, uid, _name)] = newcomers(site, "unknowable")
    members(site, site.cohort_id, users=[email])
    before = site.members(site.cohort_id)

    result, run = members(site, site.cohort_id, check=True, users=[email, site.email("later")])

    assert statuses(result) == ["unknown", "would_add"] and result["changed"] is True
    assert "core_cohort_get_cohort_members" in run.output
    assert site.members(site.cohort_id) == before and uid in before


def test_check_mode_predicts_no_change_for_a_person_already_a_member(real_site, lab):
    site = real_site
    [(_email, uid, _name)] = newcomers(site, "steady")
    members(site, site.cohort_id, users=[{"id": uid}])

    result, _run = members(site, site.cohort_id, token="TOKEN_FULL", check=True, users=[{"id": uid}])

    assert result["changed"] is False and statuses(result) == ["member"]


def test_a_hundred_and_fifty_people_join_in_one_task_under_a_small_max_input_vars(real_site):
    site = real_site
    people = newcomers(site, *["crowd%03d" % n for n in range(150)])

    result, _run = members(site, site.cohort_id, users=[p[0] for p in people], max_input_vars=120)

    assert result["summary"]["added"] == 150 and not result.get("failed")
    assert {p[1] for p in people} <= set(site.members(site.cohort_id))
    again, _run = members(site, site.cohort_id, users=[{"id": p[1]} for p in people], max_input_vars=120)
    assert again["changed"] is False and again["summary"]["member"] == 150
