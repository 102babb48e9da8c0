# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report rows as CSV or JSON text: one implementation for the ``rows_to_csv`` filter and the ``report_file``
action, so that a report reads the same whichever writes it."""

import csv
import io
import json

from ansible.module_utils.common.text.converters import to_text

# A spreadsheet opens a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows_to_csv(rows, columns=None):
    """Rows (dicts) as CSV text with a header row; cells a spreadsheet would run as formulas are neutralised.

    Raises TypeError when ``rows`` is not a list of dicts."""
    if not isinstance(rows, list):
        raise TypeError("rows_to_csv expects a list of dicts, got %s" % type(rows).__name__)
    for position, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise TypeError("row %d is not a dict but %s" % (position, type(row).__name__))
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return out.getvalue()


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = to_text(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_report_json(document):
    """``document`` as the text ``to_nice_json(ensure_ascii=False)`` gives, ending with a line feed: names keep
    their accents, keys are sorted so that two reports compare line by line."""
    return json.dumps(document, indent=4, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"
