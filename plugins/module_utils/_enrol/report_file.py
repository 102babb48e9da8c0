# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report file: rows as CSV or a document as JSON, written atomically and privately.

One implementation for the ``rows_to_csv`` filter, the ``report_file`` action and the ``moodle_enrol`` module, so
that a report reads the same whichever writes it. Reports name people: the file gets mode 0600.
"""

import csv
import io
import json
import os
import stat
import tempfile

FILE_MODE = 0o600
# A spreadsheet opens a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_format(path, requested="auto"):
    """``csv`` or ``json``: ``auto`` is ``csv`` for a path ending with ``.csv`` (any case), else ``json``."""
    if requested != "auto":
        return requested
    return "csv" if path.lower().endswith(".csv") else "json"


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


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value if isinstance(value, str) else str(value)


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _text(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_report_json(document):
    """``document`` as the text ``to_nice_json(ensure_ascii=False)`` gives, ending with a line feed: names keep
    their accents, keys are sorted so that two reports compare line by line."""
    return json.dumps(document, indent=4, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def render(fmt, content=None, rows=None, columns=None):
    """The text of a ``fmt`` report: ``rows`` as CSV (only ``columns`` when given), or ``content`` as JSON.

    Raises ValueError saying which one is missing."""
    if fmt == "csv":
        if rows is None:
            raise ValueError("a CSV report needs rows (a list of dicts)")
        return rows_to_csv(rows, columns)
    if content is None:
        raise ValueError("a JSON report needs content")
    return to_report_json(content)


def to_bytes(text):
    """The file's bytes: UTF-8, bytes a lookup decoded with surrogateescape written back as they were."""
    return text.encode("utf-8", "surrogateescape")


def check_path(path):
    """``path`` resolved (through a symlink, the file it points to is replaced); raises ValueError when it cannot be
    a report: a directory or another special file, or a directory that does not exist."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ValueError("the directory %s does not exist" % directory)
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError("%s exists and is not a regular file" % path)
    return path


def current_state(path):
    """``(bytes, mode)`` of the file at ``path``, ``(None, None)`` when there is none."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("%s exists and is not a regular file" % path)
    with open(path, "rb") as handle:
        return handle.read(), stat.S_IMODE(info.st_mode)


def write_atomically(path, data):
    """Replace ``path`` with ``data`` in one step: a reader sees the old report or the new one, never half."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ValueError("the directory %s does not exist" % directory)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
