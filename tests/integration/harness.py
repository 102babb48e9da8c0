# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's modules and playbooks for real (``ansible`` / ``ansible-playbook`` processes).

Integration tests use these against the Moodle simulator so that they exercise exactly what users
run: argument parsing, no_log, check mode, diff and the module's JSON result.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO, "build", "collections")
BIN = os.path.dirname(sys.executable)
INVENTORY = "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable


class Run(object):
    """What one ansible process did: exit code, output, and the module result when there is one."""

    def __init__(self, rc, stdout, stderr, result=None):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.result = result

    @property
    def output(self):
        return self.stdout + self.stderr

    def __repr__(self):
        return "Run(rc=%r, result=%r, stderr=%r)" % (self.rc, self.result, self.stderr[-2000:])


def ansible_env(extra=None):
    """An environment that finds this checkout as dsenroll.moodle and nothing from the user's config."""
    env = dict(os.environ)
    for name in list(env):
        # Never inherit a developer's real Moodle settings or Ansible config into a test.
        if name.startswith(("MOODLE_", "ANSIBLE_")):
            del env[name]
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PATH": BIN + os.pathsep + env.get("PATH", ""),
        }
    )
    if extra:
        env.update(extra)
    return env


def inventory(tmpdir):
    """Write the localhost inventory into ``tmpdir``; return its path."""
    path = os.path.join(tmpdir, "inventory.ini")
    with open(path, "w") as handle:
        handle.write(INVENTORY)
    return path


def _parse_adhoc_result(stdout):
    """The JSON after the last ``localhost | STATUS =>`` line of the default callback."""
    marker = stdout.rfind("localhost | ")
    if marker < 0:
        return None
    start = stdout.find("=> ", marker)
    if start < 0:
        return None
    try:
        result, _end = json.JSONDecoder().raw_decode(stdout, start + len("=> "))
    except ValueError:
        return None
    return result


def _flags(check, diff, verbosity):
    return (
        (["--check"] if check else []) + (["--diff"] if diff else []) + (["-" + "v" * verbosity] if verbosity else [])
    )


def run_module(module, args, check=False, diff=False, env=None, verbosity=0, timeout=900):
    """Run ``dsenroll.moodle.<module>`` once on localhost with ``args`` (a dict); return a Run."""
    name = module if "." in module else "dsenroll.moodle.%s" % module
    with tempfile.TemporaryDirectory(prefix="dsenroll-it-") as tmpdir:
        cmd = [
            os.path.join(BIN, "ansible"),
            "localhost",
            "-i",
            inventory(tmpdir),
            "-m",
            name,
            "-a",
            json.dumps(args),
        ] + _flags(check, diff, verbosity)
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=ansible_env(env), timeout=timeout, cwd=tmpdir, check=False
        )
    return Run(proc.returncode, proc.stdout, proc.stderr, _parse_adhoc_result(proc.stdout))


def run_playbook(playbook, extra_vars=None, check=False, diff=False, env=None, verbosity=0, args=(), timeout=900):
    """Run a playbook (a path, or ``dsenroll.moodle.<name>``) on localhost; return a Run (no parsed result)."""
    with tempfile.TemporaryDirectory(prefix="dsenroll-it-") as tmpdir:
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory(tmpdir), playbook]
        if extra_vars:
            vars_file = os.path.join(tmpdir, "extra_vars.json")
            with open(vars_file, "w") as handle:
                json.dump(extra_vars, handle)
            cmd.extend(["-e", "@" + vars_file])
        cmd.extend(_flags(check, diff, verbosity))
        cmd.extend(args)
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=ansible_env(env), timeout=timeout, cwd=tmpdir, check=False
        )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_task(module, task_args, extra_vars=None, check=False, diff=False, env=None, timeout=900):
    """Run ``module`` as the one task of a playbook; return (its registered result, the Run).

    Unlike run_module, ``task_args`` may template variables from ``extra_vars`` (sent as a vars file, so
    lists of thousands of people never touch the command line). A failing task still yields its result.
    """
    name = module if "." in module else "dsenroll.moodle.%s" % module
    with tempfile.TemporaryDirectory(prefix="dsenroll-task-") as tmpdir:
        out = os.path.join(tmpdir, "result.json")
        playbook = os.path.join(tmpdir, "play.yml")
        with open(playbook, "w") as handle:
            json.dump(
                [
                    {
                        "hosts": "localhost",
                        "gather_facts": False,
                        "tasks": [
                            {
                                "name": "The module under test",
                                name: task_args,
                                "register": "outcome",
                                "ignore_errors": True,
                            },
                            {
                                "name": "Keep the result",
                                "check_mode": False,
                                "ansible.builtin.copy": {
                                    "content": "{{ outcome | to_json }}",
                                    "dest": out,
                                    "mode": "0600",
                                },
                            },
                        ],
                    }
                ],
                handle,
            )
        run = run_playbook(playbook, extra_vars=extra_vars, check=check, diff=diff, env=env, timeout=timeout)
        result = None
        if os.path.exists(out):
            with open(out) as handle:
                result = json.load(handle)
    return result, run


def checklist(run):
    """``{id: status}`` from the checklist the preflight role prints, and the remediation under each id."""
    statuses, fixes, current = {}, {}, None
    for line in run.stdout.splitlines():
        match = re.match(r'^\s+"(PASS|FAIL|WARN|SKIP)  (\S+)\s+(.*)",?$', line)
        if match:
            current = match.group(2)
            statuses[current] = match.group(1).lower()
            continue
        match = re.match(r'^\s+"      fix: (.*)",?$', line)
        if match and current:
            fixes[current] = match.group(1)
    return statuses, fixes


def recap(run):
    """``{"ok": n, "changed": n, "failed": n, ...}`` of the play recap's localhost line."""
    line = [x for x in run.stdout.splitlines() if x.startswith("localhost") and "ok=" in x][-1]
    return dict((k, int(v)) for k, v in (part.split("=") for part in line.split()[2:]))


def connection(sim, token_name="TOKEN_OK", **extra):
    """Module arguments that point at the simulator with one of the transcript site's tokens."""
    from moodlesim import TOKENS  # pylint: disable=import-outside-toplevel

    args = {"moodle_url": sim.url, "moodle_token": TOKENS[token_name], "retries": {"total": 2, "backoff_factor": 0.05}}
    args.update(extra)
    return args
