# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One row per person and the counts (module_utils/_enrol/report.py), and what an enrolment task returns of them."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import MoodleError
from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.report import (
    COLUMNS,
    ReportError,
    document,
    failure_message,
    member_refs,
    report,
    rows_returned,
)

PEOPLE = [
    {"email": "new@example.org", "firstname": "Zoé", "lastname": "O'Brien", "password": "never-in-a-row"},
    {"email": "old@example.org", "firstname": "Old", "lastname": "Timer"},
    {"email": "bad", "firstname": "B", "lastname": "D"},
    {"email": "gone@example.org", "firstname": "G", "lastname": "O"},
    {"email": "late@example.org", "firstname": "L", "lastname": "A"},
]
USERS = [
    {"email": "new@example.org", "username": "new@example.org", "id": 21, "status": "created", "msg": ""},
    {"email": "old@example.org", "username": "old", "id": 5, "status": "exists", "msg": "differs in city"},
    {"email": "bad", "username": "bad", "id": None, "status": "failed", "msg": "invalid e-mail"},
    {"email": "gone@example.org", "username": "gone", "id": 30, "status": "exists", "msg": ""},
    {"email": "late@example.org", "username": "late", "id": 31, "status": "exists", "msg": ""},
]
MEMBERS = [
    {"id": 21, "status": "added", "msg": "added to the cohort"},
    {"id": 5, "status": "member", "msg": "already a member"},
    {"id": 30, "status": "failed", "msg": "not done: no permission"},
    {"id": 31, "status": "failed", "msg": "not done: no permission"},
]


def test_rows_have_the_report_columns_and_never_a_password():
    rows = report(PEOPLE, USERS, MEMBERS)["people"]
    assert all(sorted(row) == sorted(COLUMNS) for row in rows)
    assert "never-in-a-row" not in repr(rows) and "password" not in repr(rows)
    assert rows[1]["msg"] == "differs in city; already a member"


def test_member_refs_skip_failed_users_and_keep_the_order():
    assert member_refs(USERS) == [{"id": 21}, {"id": 5}, {"id": 30}, {"id": 31}]


def test_results_all_failed_or_none_return_that_many_rows():
    rows = report(PEOPLE, USERS, MEMBERS)
    assert len(rows_returned(rows, "all")) == 5
    assert [r["position"] for r in rows_returned(rows, "failed")] == [3, 4, 5]
    assert rows_returned(rows, "none") == []
    assert rows["summary"]["failed"] == 3, "the counts do not depend on what is returned"


def test_the_report_document_has_the_site_the_cohort_check_mode_the_counts_and_the_rows():
    rows = report(PEOPLE[:1], USERS[:1], MEMBERS[:1])
    assert document(rows, "moodle.example.org", {"cohort_id": 1}, True) == {
        "site": "moodle.example.org",
        "cohort": {"cohort_id": 1},
        "check_mode": True,
        "summary": rows["summary"],
        "people": rows["people"],
    }


def test_the_failure_message_names_the_first_failed_people_and_counts_the_rest():
    assert failure_message(report(PEOPLE[:2], USERS[:2], MEMBERS[:2])) is None
    message = failure_message(report(PEOPLE * 2, USERS * 2, MEMBERS * 2))
    assert message.startswith("6 of 10 people were not enrolled: #3 bad: invalid e-mail; #4 gone@example.org: not done")
    assert message.endswith("(and 3 more, see people or the report)")


def test_a_fatal_error_leads_the_failure_message_with_what_to_change():
    err = MoodleError("the token cannot see other users", "core_user_get_users_by_field", remediation="Grant it.")
    rows = report(PEOPLE[:2], {"msg": "not looked up"}, [])
    assert failure_message(rows, err) == (
        "core_user_get_users_by_field: the token cannot see other users. Grant it. (2 of 2 people were not enrolled)"
    )


def test_results_that_do_not_belong_to_the_people_are_refused():
    with pytest.raises(ReportError, match="5 results for 2 people"):
        report(PEOPLE[:2], USERS, [])
    with pytest.raises(ReportError, match="expected the results of moodle_user"):
        report(PEOPLE, "nope", [])
