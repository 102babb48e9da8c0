# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enrolment flow as the enrol role runs it (moodle_user over the whole list, then
moodle_cohort_member over the whole list), in one ansible-playbook process, with both results kept.

Running the two modules from one generated playbook keeps every scenario to one Ansible start-up
(about two seconds) and lets a test read both modules' ``results`` from a JSON file.
"""

import json
import os
import sys

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)

import harness  # noqa: E402  pylint: disable=wrong-import-position  (tests/integration/harness.py)

RESULT_FILE = "flow_results.json"


class FlowRun(object):
    """One flow run: the ansible-playbook Run plus each module's registered result (dicts)."""

    def __init__(self, run, user, cohort):
        self.run = run
        self.user = user or {}
        self.cohort = cohort or {}

    @property
    def rc(self):
        return self.run.rc

    def __repr__(self):
        return "FlowRun(rc=%r, user=%s, cohort=%s, stderr=%r)" % (
            self.rc, _brief(self.user), _brief(self.cohort), self.run.stderr[-1500:])


def _brief(result):
    keys = ("failed", "changed", "msg", "summary")
    return json.dumps(dict((k, result.get(k)) for k in keys if k in result), default=str)[:1500]


def flow_playbook(connection, people_var="people", cohort_id=1, batch_size=None, result_path=None):
    """The playbook (as data): the two module tasks with ``ignore_errors`` and a task saving both results."""
    user_args = dict(connection)
    user_args["users"] = "{{ %s }}" % people_var
    if batch_size:
        user_args["batch_size"] = batch_size
    cohort_args = dict(connection)
    cohort_args["cohort_id"] = cohort_id
    cohort_args["users"] = "{{ %s | map(attribute='email') | list }}" % people_var
    return [{
        "name": "Enrol flow as the enrol role runs it",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"name": "Find or create the people", "dsenroll.moodle.moodle_user": user_args,
             "register": "user_run", "ignore_errors": True},
            {"name": "Add them to the cohort", "dsenroll.moodle.moodle_cohort_member": cohort_args,
             "register": "cohort_run", "ignore_errors": True},
            {"name": "Keep both results for the test", "ansible.builtin.copy": {
                "content": "{{ {'user': user_run, 'cohort': cohort_run} | to_json }}", "dest": result_path,
                "mode": "0600"}, "diff": False, "check_mode": False},
        ],
    }]


def run_flow(workdir, connection, people, cohort_id=1, batch_size=None, check=False, diff=False, env=None,
             verbosity=0, args=(), name="flow"):
    """Write the playbook into ``workdir`` and run it; returns a FlowRun."""
    os.makedirs(workdir, exist_ok=True)
    result_path = os.path.join(workdir, "%s_%s" % (name, RESULT_FILE))
    if os.path.exists(result_path):
        os.remove(result_path)
    playbook_path = os.path.join(workdir, "%s.yml" % name)
    with open(playbook_path, "w", encoding="utf-8") as handle:
        json.dump(flow_playbook(connection, cohort_id=cohort_id, batch_size=batch_size, result_path=result_path),
                  handle, indent=1)
    run = harness.run_playbook(playbook_path, extra_vars={"people": people}, check=check, diff=diff, env=env,
                               verbosity=verbosity, args=args)
    user = cohort = None
    if os.path.exists(result_path):
        with open(result_path, encoding="utf-8") as handle:
            saved = json.load(handle)
        user, cohort = saved.get("user"), saved.get("cohort")
    return FlowRun(run, user, cohort)
