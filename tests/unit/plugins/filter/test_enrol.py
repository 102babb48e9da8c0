# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enrol role's filters: CSV in, records for moodle_user, refs for moodle_cohort_member, report out."""

import csv
import io

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dsenroll.moodle.plugins.filter.enrol import (
    FilterModule,
    enrol_member_refs,
    enrol_report,
    enrol_summary,
    enrol_user_records,
    people_from_csv,
    rows_to_csv,
)

ACCENTED_CSV = (
    "email,firstname,lastname\r\n"
    "zoe.lefevre@example.org,Zoé,Lefèvre\r\n"
    "sean.obrien@example.org,Seán,O'Brien\r\n"
    'al.smith@example.org,Al,"Smith, Jr."\r\n'
    'bjorn@example.org,Björn,"Ångström ""the elder"""\r\n'
)
EXPECTED_PEOPLE = [
    {"email": "zoe.lefevre@example.org", "firstname": "Zoé", "lastname": "Lefèvre"},
    {"email": "sean.obrien@example.org", "firstname": "Seán", "lastname": "O'Brien"},
    {"email": "al.smith@example.org", "firstname": "Al", "lastname": "Smith, Jr."},
    {"email": "bjorn@example.org", "firstname": "Björn", "lastname": 'Ångström "the elder"'},
]


def test_filters_are_registered_under_their_documented_names():
    assert set(FilterModule().filters()) == {
        "people_from_csv",
        "enrol_user_records",
        "enrol_member_refs",
        "enrol_report",
        "enrol_summary",
        "rows_to_csv",
    }


def test_csv_keeps_accents_apostrophes_commas_and_quotes():
    assert people_from_csv(ACCENTED_CSV) == EXPECTED_PEOPLE


def test_csv_with_byte_order_mark_reads_the_email_column():
    assert people_from_csv("\ufeff" + ACCENTED_CSV) == EXPECTED_PEOPLE


def test_csv_bytes_with_byte_order_mark_are_decoded():
    assert people_from_csv(ACCENTED_CSV.encode("utf-8-sig")) == EXPECTED_PEOPLE


def test_latin1_text_from_the_file_lookup_is_refused_with_how_to_fix():
    # ansible.builtin.file decodes with surrogateescape: a Latin-1 "é" arrives as a lone surrogate.
    latin1 = ACCENTED_CSV.encode("latin-1").decode("utf-8", "surrogateescape")
    with pytest.raises(AnsibleFilterError, match=r"not UTF-8 \(line 2\).*CSV UTF-8"):
        people_from_csv(latin1)


def test_latin1_bytes_are_refused():
    with pytest.raises(AnsibleFilterError, match="not UTF-8"):
        people_from_csv(ACCENTED_CSV.encode("latin-1"))


def test_header_spellings_map_to_moodle_fields_and_profile_fields_to_customfields():
    text = (
        "E-mail, First Name ,Surname,User Name,ID Number,profile_field_Programme\n"
        "a@example.org,Ann,Lee,alee,S-1,MSc Data\n"
    )
    assert people_from_csv(text) == [
        {
            "email": "a@example.org",
            "firstname": "Ann",
            "lastname": "Lee",
            "username": "alee",
            "idnumber": "S-1",
            "customfields": {"Programme": "MSc Data"},
        }
    ]


def test_empty_cells_are_not_given_and_values_are_trimmed_except_passwords():
    text = "email,firstname,lastname,username,password\n  a@example.org , Ann ,Lee,, pass word \n"
    assert people_from_csv(text) == [
        {"email": "a@example.org", "firstname": "Ann", "lastname": "Lee", "password": " pass word "}
    ]


def test_blank_rows_are_skipped_and_short_rows_keep_what_they_have():
    text = "email,firstname,lastname\n\n,,\nb@example.org,Bo\n"
    assert people_from_csv(text) == [{"email": "b@example.org", "firstname": "Bo"}]


def test_quoted_line_break_stays_inside_the_cell():
    text = 'email,firstname,lastname,description\nc@example.org,Cy,Ng,"line one\nline two"\n'
    assert people_from_csv(text)[0]["description"] == "line one\nline two"


def test_unquoted_comma_in_a_name_is_refused_with_its_line():
    text = "email,firstname,lastname\na@example.org,Ann,Lee\nal@example.org,Al,Smith, Jr.\n"
    with pytest.raises(AnsibleFilterError, match=r"line 3 .*must be quoted"):
        people_from_csv(text)


def test_semicolon_file_gets_a_delimiter_hint_and_reads_with_the_delimiter():
    text = "email;firstname;lastname\na@example.org;Zoé;D'Arcy, Jr\n"
    with pytest.raises(AnsibleFilterError, match="separated by ';'"):
        people_from_csv(text)
    assert people_from_csv(text, ";") == [{"email": "a@example.org", "firstname": "Zoé", "lastname": "D'Arcy, Jr"}]


def test_unknown_columns_fail_by_default_and_can_be_ignored():
    text = "email,firstname,lastname,shoe size\na@example.org,Ann,Lee,38\n"
    with pytest.raises(AnsibleFilterError, match="not Moodle user fields: shoe size"):
        people_from_csv(text)
    assert people_from_csv(text, unknown_columns="ignore") == [
        {"email": "a@example.org", "firstname": "Ann", "lastname": "Lee"}
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("\ufeff\n", "empty"),
        ("firstname,lastname\nAnn,Lee\n", "no email column"),
        ("email,firstname,Email\na,b,c\n", "twice"),
        ("email,,lastname\na,b,c\n", "column 2 .* no name"),
    ],
)
def test_bad_headers_are_refused(text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        people_from_csv(text)


def test_bad_filter_arguments_are_refused():
    with pytest.raises(AnsibleFilterError, match="delimiter"):
        people_from_csv("email\n", delimiter=";;")
    with pytest.raises(AnsibleFilterError, match="unknown_columns"):
        people_from_csv("email\n", unknown_columns="keep")
    with pytest.raises(AnsibleFilterError, match="CSV file's text"):
        people_from_csv(42)


def test_user_records_ask_moodle_to_generate_passwords_only_when_none_is_given():
    people = [
        {"email": "a@example.org"},
        {"email": "b@example.org", "password": "S3cret!pass"},
        {"email": "c@example.org", "auth": "ldap"},
        {"email": "d@example.org", "create_password": False},
        {"email": "e@example.org", "auth": "manual"},
    ]
    records = enrol_user_records(people)
    assert [r.get("create_password") for r in records] == [True, None, None, False, True]
    assert records[1]["password"] == "S3cret!pass"
    assert "create_password" not in people[0], "the input list is not modified"


def test_user_records_refuse_what_is_not_a_list_of_dicts():
    with pytest.raises(AnsibleFilterError, match="list of dicts"):
        enrol_user_records({"email": "a@example.org"})
    with pytest.raises(AnsibleFilterError, match="person 2"):
        enrol_user_records([{"email": "a@example.org"}, "b@example.org"])


USER_RESULT = {
    "changed": True,
    "results": [
        {"email": "new@example.org", "username": "new@example.org", "id": 21, "status": "created"},
        {"email": "old@example.org", "username": "old", "id": 5, "status": "exists"},
        {"email": "bad", "username": None, "id": None, "status": "failed", "msg": "invalid e-mail address"},
        {"email": "soon@example.org", "username": "soon@example.org", "id": None, "status": "would_create"},
    ],
}
PEOPLE = [
    {"email": "new@example.org", "firstname": "Zoé", "lastname": "O'Brien", "password": "never-in-report"},
    {"email": "old@example.org", "firstname": "Old", "lastname": "Timer"},
    {"email": "bad", "firstname": "B", "lastname": "D"},
    {"email": "soon@example.org", "firstname": "S", "lastname": "N"},
]


def test_member_refs_use_ids_and_emails_for_predicted_users_and_skip_failures():
    assert enrol_member_refs(USER_RESULT) == [{"id": 21}, {"id": 5}, {"email": "soon@example.org"}]
    assert enrol_member_refs(USER_RESULT["results"]) == enrol_member_refs(USER_RESULT)


def test_member_refs_are_empty_when_moodle_user_failed_as_a_whole():
    assert enrol_member_refs({"failed": True, "msg": "invalid token"}) == []
    with pytest.raises(AnsibleFilterError, match="results of moodle_user"):
        enrol_member_refs("nope")


def test_report_gives_every_person_the_reason_when_moodle_user_failed_as_a_whole():
    report = enrol_report(PEOPLE[:2], {"failed": True, "msg": "invalidtoken: check moodle_token"}, {"skipped": True})
    assert [(r["outcome"], r["cohort"], r["msg"]) for r in report["people"]] == [
        ("failed", "skipped", "invalidtoken: check moodle_token")
    ] * 2
    assert report["summary"]["failed"] == 2


def test_report_gives_ready_users_the_reason_when_moodle_cohort_member_failed_as_a_whole():
    report = enrol_report(PEOPLE[:2], USER_RESULT["results"][:2], {"failed": True, "msg": "cohort id=99 not found"})
    assert [(r["user"], r["cohort"], r["msg"]) for r in report["people"]] == [
        ("created", "failed", "cohort id=99 not found"),
        ("exists", "failed", "cohort id=99 not found"),
    ]


def test_report_has_one_row_per_person_in_input_order_and_counts():
    member_result = {
        "results": [
            {"id": 21, "status": "added"},
            {"id": 5, "status": "member"},
            {"email": "soon@example.org", "id": None, "status": "would_add"},
        ]
    }
    report = enrol_report(PEOPLE, USER_RESULT, member_result)
    rows = report["people"]
    assert [(r["position"], r["email"], r["user"], r["cohort"], r["outcome"]) for r in rows] == [
        (1, "new@example.org", "created", "added", "ok"),
        (2, "old@example.org", "exists", "member", "ok"),
        (3, "bad", "failed", "skipped", "failed"),
        (4, "soon@example.org", "would_create", "would_add", "ok"),
    ]
    assert rows[0]["firstname"] == "Zoé" and rows[0]["id"] == 21
    assert rows[2]["msg"] == "invalid e-mail address"
    assert report["summary"] == {
        "people": 4,
        "created": 2,
        "existed": 1,
        "added": 2,
        "already_members": 1,
        "unknown": 0,
        "failed": 1,
    }
    assert [r["position"] for r in report["failed"]] == [3]
    assert "never-in-report" not in repr(report) and "password" not in repr(report)


def test_report_marks_cohort_failures_and_unknown_memberships():
    user_results = [
        {"email": "a@example.org", "id": 7, "status": "exists"},
        {"email": "b@example.org", "id": 8, "status": "exists"},
    ]
    member_results = [
        {"id": 7, "status": "failed", "msg": "no permission moodle/cohort:assign"},
        {"id": 8, "status": "unknown"},
    ]
    report = enrol_report([{"email": "a@example.org"}, {"email": "b@example.org"}], user_results, member_results)
    assert [(r["outcome"], r["msg"]) for r in report["people"]] == [
        ("failed", "no permission moodle/cohort:assign"),
        ("unknown", ""),
    ]
    assert report["summary"]["failed"] == 1 and report["summary"]["unknown"] == 1


def test_report_without_cohort_step_when_every_user_failed():
    report = enrol_report([{"email": "x"}], [{"email": "x", "status": "failed", "msg": "bad"}], None)
    assert report["summary"]["failed"] == 1 and report["people"][0]["cohort"] == "skipped"


def test_report_refuses_results_that_do_not_match_the_people():
    with pytest.raises(AnsibleFilterError, match="2 results for 1 people"):
        enrol_report([{"email": "a"}], [{"status": "exists", "id": 1}, {"status": "exists", "id": 2}], [])
    with pytest.raises(AnsibleFilterError, match="more results"):
        enrol_report(
            [{"email": "a"}],
            [{"status": "exists", "id": 1}],
            [{"id": 1, "status": "member"}, {"id": 2, "status": "member"}],
        )


def test_a_user_missing_from_the_cohort_results_is_failed_not_dropped():
    report = enrol_report([{"email": "a"}], [{"email": "a", "status": "exists", "id": 1}], [])
    assert report["people"][0]["outcome"] == "failed"
    assert "no result" in report["people"][0]["msg"]


def test_rows_to_csv_round_trips_names_and_neutralises_formulas():
    rows = [
        {"email": "a@example.org", "lastname": "Smith, Jr.", "id": 3, "ok": True},
        {"email": "b@example.org", "lastname": 'Ångström "the elder"', "id": None, "ok": False},
        {"email": "c@example.org", "lastname": '=HYPERLINK("http://evil")', "id": 9, "ok": True},
    ]
    text = rows_to_csv(rows)
    back = list(csv.DictReader(io.StringIO(text)))
    assert [r["lastname"] for r in back] == ["Smith, Jr.", 'Ångström "the elder"', '\'=HYPERLINK("http://evil")']
    assert [r["id"] for r in back] == ["3", "", "9"]
    assert [r["ok"] for r in back] == ["true", "false", "true"]
    assert text.splitlines()[0] == "email,lastname,id,ok"


def test_rows_to_csv_with_columns_keeps_only_those_in_order():
    assert rows_to_csv([{"a": 1, "b": 2}], ["b", "a"]) == "b,a\n2,1\n"
    assert rows_to_csv([], ["email"]) == "email\n"
    with pytest.raises(AnsibleFilterError):
        rows_to_csv("nope")


def _report(people, failed=0, unknown=0):
    summary = {
        "people": people,
        "created": 2,
        "existed": people - 2,
        "added": 2,
        "already_members": people - 2,
        "unknown": unknown,
        "failed": failed,
    }
    rows = [
        {"position": i, "email": "p%d@example.org" % i, "cohort": "skipped", "msg": "invalid e-mail"}
        for i in range(1, failed + 1)
    ]
    return {"summary": summary, "failed": rows, "people": []}


def test_summary_counts_a_real_run():
    assert enrol_summary(_report(40)) == [
        "people: 40",
        "users: 2 created, 38 existed",
        "cohort: 2 added, 38 already members",
        "failed: 0",
    ]


def test_summary_words_check_mode_as_predictions_and_explains_unknown():
    lines = enrol_summary(_report(5, unknown=3), check_mode=True)
    assert lines[:3] == [
        "CHECK MODE: nothing was written, these are predictions",
        "people: 5",
        "users: 2 would be created, 3 existed",
    ]
    assert "2 would be added" in lines[3] and "3 unknown" in lines[3] and "core_cohort_get_cohort_members" in lines[3]


def test_summary_lists_the_first_failed_people_and_counts_the_rest():
    lines = enrol_summary(_report(30, failed=4), max_failed=2)
    assert lines[3:] == [
        "failed: 4",
        "  #1 p1@example.org: user failed: invalid e-mail",
        "  #2 p2@example.org: user failed: invalid e-mail",
        "  ... and 2 more (see the report file)",
    ]
