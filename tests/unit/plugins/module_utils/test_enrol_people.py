# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the people to enrol (module_utils/_enrol/people.py): CSV text or files, YAML and JSON lists, records."""

import json

import pytest
import yaml

from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.people import (
    PeopleError,
    check_people,
    enrol_user_records,
    file_format,
    people_from_csv,
    read_people,
)

CSV = 'email,First Name,lastname,password\r\nzoe@example.org,Zoé,"Lefèvre, Jr.", pass word \r\n\r\nal@example.org,Al,Smith,\r\n'
PEOPLE = [
    {"email": "zoe@example.org", "firstname": "Zoé", "lastname": "Lefèvre, Jr.", "password": " pass word "},
    {"email": "al@example.org", "firstname": "Al", "lastname": "Smith"},
]


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


@pytest.mark.parametrize(
    "name, expected",
    [("people.csv", "csv"), ("people.JSON", "json"), ("people.yml", "yaml"), ("p.yaml", "yaml"), ("people", "csv")],
)
def test_the_file_format_is_chosen_by_the_extension_and_anything_else_is_csv(name, expected):
    assert file_format("/srv/" + name) == expected


def test_a_csv_file_with_a_byte_order_mark_reads_as_its_text_does(tmp_path):
    path = write(tmp_path / "people.csv", CSV.encode("utf-8-sig"))
    assert read_people(path) == people_from_csv(CSV) == PEOPLE


def test_a_csv_file_without_an_extension_is_csv_too(tmp_path):
    assert read_people(write(tmp_path / "export", CSV)) == PEOPLE


def test_a_latin1_csv_file_is_refused_with_its_line_and_how_to_save_it(tmp_path):
    path = write(tmp_path / "latin1.csv", "email,firstname,lastname\nzoe@example.org,Zoé,Lefèvre\n".encode("latin-1"))
    with pytest.raises(PeopleError, match=r"not UTF-8 \(line 2\).*CSV UTF-8"):
        read_people(path)


def test_the_csv_delimiter_and_unknown_columns_reach_the_parser(tmp_path):
    path = write(tmp_path / "export.csv", "email;firstname;lastname;shoe size\na@example.org;Ann;Lee;38\n")
    with pytest.raises(PeopleError, match="not Moodle user fields: shoe size"):
        read_people(path, ";")
    assert read_people(path, ";", "ignore") == [{"email": "a@example.org", "firstname": "Ann", "lastname": "Lee"}]


def test_a_json_list_is_read_with_numbers_as_text_and_nulls_as_not_given(tmp_path):
    people = [
        {"email": "a@example.org", "firstname": "Ann", "lastname": "Lee", "idnumber": 1234, "city": None},
        {
            "email": "b@example.org",
            "firstname": "Bo",
            "lastname": "Ng",
            "create_password": False,
            "customfields": {"programme": "MSc", "year": 2},
        },
    ]
    path = write(tmp_path / "people.json", json.dumps(people))
    assert read_people(path) == [
        {"email": "a@example.org", "firstname": "Ann", "lastname": "Lee", "idnumber": "1234"},
        {
            "email": "b@example.org",
            "firstname": "Bo",
            "lastname": "Ng",
            "create_password": False,
            "customfields": {"programme": "MSc", "year": "2"},
        },
    ]


def test_a_yaml_list_keeps_accents_and_apostrophes(tmp_path):
    text = "- email: sean@example.org\n  firstname: Seán\n  lastname: O'Brien\n- {email: zoe@example.org, firstname: Zoé, lastname: Lefèvre}\n"
    path = write(tmp_path / "people.yml", text)
    assert read_people(path, load_yaml=yaml.safe_load) == [
        {"email": "sean@example.org", "firstname": "Seán", "lastname": "O'Brien"},
        {"email": "zoe@example.org", "firstname": "Zoé", "lastname": "Lefèvre"},
    ]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("p.json", '{"email": "a@example.org"}', "must hold a list of people"),
        ("p.json", "[1, 2]", "person 1 of .* is not a dict but int"),
        ("p.json", '[{"email": "a@example.org", "shoe": 38}]', "not user fields: shoe"),
        ("p.json", '[{"email": ["a@example.org"]}]', "email must be a text, not list"),
        ("p.json", '[{"email": "a@example.org", "create_password": "yes"}]', "create_password must be true or false"),
        ("p.json", '[{"email": "a@example.org", "customfields": ["x"]}]', "customfields must be a dict"),
        ("p.json", "[{", "not valid JSON"),
        ("p.yaml", "- [unclosed", "not valid YAML"),
    ],
)
def test_a_bad_yaml_or_json_file_is_refused_saying_where(tmp_path, name, text, message):
    with pytest.raises(PeopleError, match=message):
        read_people(write(tmp_path / name, text), load_yaml=yaml.safe_load)


def test_a_yaml_file_that_is_not_utf8_is_refused(tmp_path):
    with pytest.raises(PeopleError, match=r"not UTF-8 \(line 1\)"):
        read_people(write(tmp_path / "p.yml", "- {email: z@example.org, firstname: Zoé}\n".encode("latin-1")))


def test_a_yaml_file_without_a_yaml_loader_is_refused_with_what_to_install(tmp_path):
    with pytest.raises(PeopleError, match="needs the PyYAML Python library"):
        read_people(write(tmp_path / "p.yaml", "[]\n"))


def test_a_missing_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(PeopleError, match="cannot read the people file .*nope.csv"):
        read_people(str(tmp_path / "nope.csv"))


def test_check_people_names_the_source():
    with pytest.raises(PeopleError, match="person 2 of people.json"):
        check_people([{"email": "a@example.org"}, "b@example.org"], "people.json")


def test_records_ask_moodle_to_generate_passwords_also_when_the_flag_is_null():
    # As the users option gives them: every key present, unset ones null.
    given = {"email": "a@example.org", "password": None, "create_password": None, "auth": None}
    records = enrol_user_records([given, dict(given, create_password=False), dict(given, auth="ldap")])
    assert [r["create_password"] for r in records] == [True, False, None]
    assert given["create_password"] is None, "the input is not modified"
