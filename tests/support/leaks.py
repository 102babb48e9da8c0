# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find secrets (the token, passwords) in what a run leaves behind: output, logs, reports, JUnit XML.

A secret can leak in another encoding than it was given (form-encoded in an echoed request body,
JSON- or XML-escaped in a report), so every usual spelling is searched.
"""

import html
import json
import os
from urllib.parse import quote, quote_plus


def spellings(secret):
    """The ways ``secret`` may be written in a text file, longest first."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret, quote=True),
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return sorted((f for f in forms if f), key=len, reverse=True)


def find_secrets(texts, secrets):
    """``[(source, secret_label, line_number)]`` for every line of ``texts`` holding a secret.

    ``texts``: ``{source: text}``; ``secrets``: ``{label: value}``. The value is never in the answer,
    so an assertion message that prints it does not leak it in turn.
    """
    hits = []
    for source, text in sorted(texts.items()):
        for number, line in enumerate((text or "").splitlines(), start=1):
            for label, secret in sorted(secrets.items()):
                if any(form in line for form in spellings(secret)):
                    hits.append((source, label, number))
    return hits


def read_tree(paths):
    """``{path: text}`` of every file under ``paths`` (files or directories); unreadable bytes replaced."""
    texts = {}
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                for name in files:
                    full = os.path.join(root, name)
                    texts[full] = _read(full)
        elif os.path.exists(path):
            texts[path] = _read(path)
    return texts


def _read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def traced_run(folder):
    """Environment for a fully traced run (log file, JUnit XML), and a function returning every text that run
    left behind: its output, the log, the XML and any further files named."""
    log_path = os.path.join(str(folder), "ansible.log")
    junit_dir = os.path.join(str(folder), "junit")
    env = {
        "ANSIBLE_LOG_PATH": log_path,
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit",
        "JUNIT_OUTPUT_DIR": junit_dir,
        "JUNIT_FAIL_ON_CHANGE": "false",
    }

    def texts(run, *files):
        found = {"stdout": run.stdout, "stderr": run.stderr}
        found.update(read_tree([log_path, junit_dir] + [str(f) for f in files]))
        return found

    return env, texts


def assert_no_secret(texts, secrets, require_log=False):
    """No spelling of any secret in ``texts``, which must hold the JUnit XML (and the log, when required)."""
    assert any(name.endswith(".xml") for name in texts), "the junit callback wrote no XML: %s" % sorted(texts)
    if require_log:
        assert any(name.endswith(".log") for name in texts), "ANSIBLE_LOG_PATH got no log: %s" % sorted(texts)
    hits = find_secrets(texts, secrets)
    assert hits == [], "secrets found (source, secret, line): %s" % hits
