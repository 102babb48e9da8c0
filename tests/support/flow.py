# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the enrol role (what ``ansible-playbook dsenroll.moodle.enrol`` runs) against a simulator and
read its per-person report.

The role exposes no ``timeout``/``retries`` variables, so the wrapper play sets them the way an
operator would: play-level ``module_defaults`` for the ``group/dsenroll.moodle.moodle`` action group,
which the role's own module_defaults (URL, token, ...) complete.
"""

import json
import os
import sys

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

# tests/integration/harness.py, found through the path added above.
import harness  # noqa: E402  pylint: disable=wrong-import-position

FAST_RETRIES = {"total": 2, "backoff_factor": 0.05, "max_backoff": 0.2}


class EnrolRun(object):
    """One enrol run: the ansible-playbook Run and the role's report (``people`` rows and ``summary``)."""

    def __init__(self, run, report):
        self.run = run
        self.report = report

    @property
    def rows(self):
        return (self.report or {}).get("people") or []

    @property
    def summary(self):
        return (self.report or {}).get("summary") or {}

    def __repr__(self):
        failed = [(r.get("email"), r.get("msg")) for r in self.rows if r.get("outcome") == "failed"]
        return "EnrolRun(rc=%r, summary=%s, failed=%s, output=%r)" % (
            self.run.rc,
            json.dumps(self.summary),
            json.dumps(failed)[:1500],
            self.run.output[-2500:],
        )


def wrapper_playbook(module_defaults):
    return [
        {
            "name": "Enrol with the dsenroll.moodle.enrol role",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {"group/dsenroll.moodle.moodle": module_defaults},
            "roles": [{"role": "dsenroll.moodle.enrol"}],
        }
    ]


def lean_playbook(module_defaults, report_path):
    """The role's enrol.yml step alone (its one moodle_enrol task, with the options the role gives it), for the fault
    matrix: a scenario then costs one short Ansible run. Input checks, preflight and the summary printing are what
    it leaves out; the role itself runs in the concurrency and token tests."""
    connection = {"moodle_url": "{{ moodle_url }}", "moodle_token": "{{ moodle_token }}"}
    connection.update(module_defaults)
    args = dict(
        connection,
        users="{{ moodle_enrol_users }}",
        cohort_id="{{ moodle_enrol_cohort_id }}",
        batch_size="{{ moodle_enrol_batch_size | default(omit, true) }}",
        report=report_path,
        results="failed",
    )
    args.setdefault("max_input_vars", "{{ moodle_max_input_vars | default(omit, true) }}")
    return [
        {
            "name": "The enrol role's module step, which writes its report",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Find or create the users and add them to the cohort",
                    "dsenroll.moodle.moodle_enrol": args,
                    "register": "enrol_run",
                    "failed_when": False,
                },
            ],
        }
    ]


def run_enrol(
    workdir,
    url,
    token,
    people,
    cohort_id=1,
    name="enrol",
    timeout=5,
    retries=None,
    batch_size=None,
    lean=False,
    **connection,
):
    """Write the play into ``workdir`` (the role in a wrapper play, or ``lean``: its module steps only), run it,
    and return an EnrolRun with the per-person report. ``connection``: more connection options (``parallel``,
    ``max_input_vars``)."""
    os.makedirs(workdir, exist_ok=True)
    report_path = os.path.join(workdir, "%s_report.json" % name)
    if os.path.exists(report_path):
        os.remove(report_path)
    playbook_path = os.path.join(workdir, "%s.yml" % name)
    defaults = {"timeout": timeout, "retries": retries if retries is not None else FAST_RETRIES}
    defaults.update(connection)
    play = lean_playbook(defaults, report_path) if lean else wrapper_playbook(defaults)
    with open(playbook_path, "w", encoding="utf-8") as handle:
        json.dump(play, handle, indent=1)
    variables = {
        "moodle_url": url,
        "moodle_token": token,
        "moodle_enrol_users": people,
        "moodle_enrol_cohort_id": cohort_id,
        "moodle_enrol_skip_preflight": True,
        "moodle_enrol_report": report_path,
    }
    if batch_size:
        variables["moodle_enrol_batch_size"] = batch_size
    run = harness.run_playbook(playbook_path, extra_vars=variables)
    report = None
    if os.path.exists(report_path):
        with open(report_path, encoding="utf-8") as handle:
            report = json.load(handle)
    return EnrolRun(run, report)


def people(prefix, count, start=0):
    """``count`` new people with e-mails ``<prefix>NNN@example.org`` (Moodle generates their passwords)."""
    return [
        {
            "email": "%s%03d@example.org" % (prefix, n),
            "firstname": "Fault",
            "lastname": "Case %d" % n,
            "create_password": True,
        }
        for n in range(start, start + count)
    ]
