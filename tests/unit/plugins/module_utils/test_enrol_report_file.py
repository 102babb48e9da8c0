# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report text: the CSV and JSON that the rows_to_csv filter, the report_file action and moodle_enrol all write."""

import csv
import io
import json

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._enrol.report_file import rows_to_csv, to_report_json

ROWS = [
    {"email": "zoe@example.org", "lastname": "Lefèvre", "msg": '=HYPERLINK("http://x")', "id": 7, "ok": True},
    {"email": "al@example.org", "lastname": "Smith, Jr.", "msg": None, "extra": "-1"},
]


def test_csv_keeps_names_and_quotes_cells_with_commas():
    text = rows_to_csv(ROWS, ["email", "lastname", "id", "ok"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["email", "lastname", "id", "ok"],
        ["zoe@example.org", "Lefèvre", "7", "true"],
        ["al@example.org", "Smith, Jr.", "", ""],
    ]
    assert text.endswith("\n") and "\r" not in text


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas():
    rows = list(csv.DictReader(io.StringIO(rows_to_csv(ROWS))))
    assert rows[0]["msg"] == '\'=HYPERLINK("http://x")'
    assert rows[1]["extra"] == "'-1"


def test_csv_columns_default_to_every_key_in_order_of_first_appearance():
    header = rows_to_csv(ROWS).splitlines()[0]
    assert header == "email,lastname,msg,id,ok,extra"


@pytest.mark.parametrize("rows", [{"email": "a"}, ["not a dict"], None])
def test_csv_refuses_what_is_not_a_list_of_dicts(rows):
    with pytest.raises(TypeError):
        rows_to_csv(rows)


def test_json_is_indented_sorted_keeps_accents_and_ends_with_a_newline():
    text = to_report_json({"people": [{"lastname": "Lefèvre"}], "cohort": {"cohort_id": 1}})
    assert text.endswith("}\n")
    assert "Lefèvre" in text and "\\u00e8" not in text
    assert text.index('"cohort"') < text.index('"people"')
    assert text.splitlines()[1] == '    "cohort": {'
    assert json.loads(text) == {"people": [{"lastname": "Lefèvre"}], "cohort": {"cohort_id": 1}}
