# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark against a real Moodle lab: a plain script, the enrol playbook and the naive way, side by side.

Not part of ``make test``. ``make bench-real [LAB=name | MOODLE_LAB_ENV=lab.env] [BENCH_SIZES="100 1000"]
[BENCH_REPEAT=3] [BENCH_SIDES="raw-seq playbook"] [BENCH_PLAYBOOK_EXTRA="-e moodle_parallel=4"]``, or:

    .venv/bin/python bench/real_bench.py (--lab NAME | --lab-env FILE) [--sizes 100 1000 10000] [--repeat 3]
        [--sides raw-seq raw-par playbook naive] [--playbook-extra "-e name=value"] [--parallel 4]

The sides, each run for N new people and then "again" for the same people (all existing and already in the
cohort), each side from a freshly reset site (``tools/moodle_lab reset`` before its "new" run: Moodle's create
cost grows with its user table):

- ``raw-seq``: bench/raw_enrol.py, one request at a time (the floor: what a competent script does);
- ``raw-par``: the same with ``--parallel`` (default 4) requests in flight;
- ``playbook``: ``ansible-playbook dsenroll.moodle.enrol -e moodle_enrol_users_csv=... -e moodle_max_input_vars=...``
  plus ``--playbook-extra``, run through bench/peak_rss.py for the peak memory;
- ``naive`` (bench/naive_uri.yml) and ``naive-per-person`` (bench/naive_per_person.yml): one ansible.builtin.uri
  call per person per step, at sizes up to ``--naive-size`` (100) only.

Every side gets the lab's URL, guide token and cohort in its environment (MOODLE_BASE_URL, MOODLE_TOKEN,
MOODLE_ONEMEMBERSHIP_COHORT_ID), never on a command line. After every run the site itself is checked with the
lab's full token: each of the N e-mails belongs to exactly one account, and every one of them is in the cohort;
anything else stops the benchmark (a fast but wrong side does not get a figure). Wall time is the whole process
(interpreter and Ansible start-up included). Prints a Markdown table and writes it to build/bench/real.md, and
every single run to build/bench/real.json (with the raw script's own account of its steps).
"""

import argparse
import csv
import datetime
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import raw_enrol  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, os.path.join(REPO, "tools"))

from moodle_lab.envfile import read_env_file  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
SIDES = ("raw-seq", "raw-par", "playbook", "module", "naive", "naive-per-person")
DEFAULT_SIDES = ("raw-seq", "raw-par", "playbook", "naive")
NAIVE_PLAYBOOKS = {"naive": "naive_uri.yml", "naive-per-person": "naive_per_person.yml"}
RUNS = ("new", "again")
BASELINE = "raw-seq"
COHORT_MEMBERS = "core_cohort_get_cohort_members"
# The project's targets: (label, kind, size, run, goal[, side]). "ratio" is playbook / raw-seq, "difference" playbook
# minus raw-seq in seconds, "naive" naive / playbook, "rss" the playbook's peak RSS over both runs of the size;
# ``side`` measures a naive target on another side than the playbook ("module": one moodle_enrol task).
TARGETS = (
    ("playbook / raw-seq, 10,000 new", "ratio", 10000, "new", 0.6),
    ("playbook / raw-seq, 10,000 again", "ratio", 10000, "again", 1.0),
    ("playbook - raw-seq, 1,000 again", "difference", 1000, "again", 1.5),
    ("naive per person / playbook, 100 new", "naive-per-person", 100, "new", 50.0),
    ("naive loop / playbook, 100 new", "naive", 100, "new", 50.0),
    ("naive per person / one moodle_enrol task, 100 new", "naive-per-person", 100, "new", 50.0, "module"),
    ("naive loop / one moodle_enrol task, 100 new", "naive", 100, "new", 50.0, "module"),
    ("playbook peak RSS, 10,000", "rss", 10000, None, 200.0),
)


class BenchError(Exception):
    """A side failed or left the site wrong: the benchmark stops."""


# --- people --------------------------------------------------------------------------------------------


def people(size):
    """N people whose e-mails name the size, so that runs of different sizes never share anybody."""
    width = len(str(size - 1)) if size > 1 else 1
    return [
        {"email": "bench-%d-%0*d@example.org" % (size, width, n), "firstname": "Bench", "lastname": "Person %d" % n}
        for n in range(size)
    ]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=("email", "firstname", "lastname"), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- figures -------------------------------------------------------------------------------------------


def summarise(runs):
    """``{(size, run, side): row}`` from the single runs (dicts with size, run, side, seconds, rss_mib): the median
    wall time, its range, the largest peak RSS, the number of runs."""
    grouped = {}
    for item in runs:
        grouped.setdefault((item["size"], item["run"], item["side"]), []).append(item)
    rows = {}
    for key, items in grouped.items():
        seconds = [item["seconds"] for item in items]
        rows[key] = {
            "median": statistics.median(seconds),
            "low": min(seconds),
            "high": max(seconds),
            "rss_mib": max(item["rss_mib"] for item in items),
            "count": len(items),
        }
    return rows


def ratio_to_baseline(rows, key):
    """The row's median over raw-seq's median at the same size and run, or None when raw-seq was not run."""
    size, run, _side = key
    baseline = rows.get((size, run, BASELINE))
    if baseline is None or not baseline["median"]:
        return None
    return rows[key]["median"] / baseline["median"]


def target_values(rows):
    """Each target of TARGETS with its measured value (None when its runs are missing) and whether it is met."""
    results = []
    for label, kind, size, run, goal, *against in TARGETS:
        # The collection's side a target is measured on: the enrol playbook unless it names another.
        playbook = rows.get((size, run, against[0] if against else "playbook"))
        value = None
        if kind == "rss":
            measured = [rows[(size, r, "playbook")]["rss_mib"] for r in RUNS if (size, r, "playbook") in rows]
            value = max(measured) if measured else None
        elif kind in NAIVE_PLAYBOOKS:
            naive = rows.get((size, run, kind))
            if naive and playbook:
                value = naive["median"] / playbook["median"]
        elif playbook and (size, run, BASELINE) in rows:
            baseline = rows[(size, run, BASELINE)]["median"]
            value = playbook["median"] / baseline if kind == "ratio" else playbook["median"] - baseline
        if value is None:
            met = None
        elif kind in NAIVE_PLAYBOOKS:
            met = value >= goal
        elif kind == "rss":
            met = value < goal
        else:
            met = value <= goal
        results.append({"label": label, "kind": kind, "value": value, "goal": goal, "met": met})
    return results


GOAL_TEXT = {
    "ratio": lambda goal: "at most %.1f" % goal,
    "difference": lambda goal: "at most %.1f s above" % goal,
    "naive": lambda goal: "at least %.0fx" % goal,
    "rss": lambda goal: "under %.0f MiB" % goal,
}
VALUE_TEXT = {
    "ratio": lambda value: "%.2f" % value,
    "difference": lambda value: "%+.1f s" % value,
    "naive": lambda value: "%.1fx" % value,
    "rss": lambda value: "%.0f MiB" % value,
}


def side_label(side, options):
    if side == "raw-par":
        return "raw-par (%d)" % options.parallel
    if side == "playbook" and options.playbook_extra:
        return "playbook (%s)" % " ".join(options.playbook_extra)
    return side


def table(rows, options):
    """The Markdown table: one row per size, run and side, in the order of --sizes, RUNS and --sides."""
    lines = [
        "| size | run | side | median s | range s | / raw-seq | peak RSS MiB |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for size in options.sizes:
        for run in RUNS:
            for side in options.sides:
                key = (size, run, side)
                if key not in rows:
                    continue
                row = rows[key]
                ratio = ratio_to_baseline(rows, key)
                lines.append(
                    "| {:,} | {} | {} | {:.2f} | {:.2f}-{:.2f} | {} | {} |".format(
                        size,
                        run,
                        side_label(side, options),
                        row["median"],
                        row["low"],
                        row["high"],
                        "" if ratio is None else "%.2f" % ratio,
                        "%.0f" % row["rss_mib"] if side in ("playbook", "module") else "",
                    )
                )
    return "\n".join(lines)


def targets_table(rows):
    lines = ["| target | measured | goal | |", "|---|---:|---|---|"]
    for target in target_values(rows):
        verdict = {True: "met", False: "**not met**", None: "not measured"}[target["met"]]
        # Both naive sides' targets read as "naive" ones.
        kind = "naive" if target["kind"] in NAIVE_PLAYBOOKS else target["kind"]
        value = "" if target["value"] is None else VALUE_TEXT[kind](target["value"])
        lines.append("| %s | %s | %s | %s |" % (target["label"], value, GOAL_TEXT[kind](target["goal"]), verdict))
    return "\n".join(lines)


def report(rows, machine, options, failure=None):
    """The whole Markdown text: the machine, the table, the targets and how it was measured."""
    lines = [
        "# Enrolment against a real Moodle: plain script, enrol playbook, naive way",
        "",
        "- Moodle %s on %s (lab `%s`), PHP max_input_vars %d"
        % (machine["release"], machine["db"], machine["lab"], options.max_input_vars),
        "- machine: %d CPUs, %.1f GiB memory, load average %s at the start, %s at the end"
        % (machine["nproc"], machine["memory_gib"], machine["load_start"], machine.get("load_end", "?")),
        "- commit %s, Python %s, ansible-core %s, %s"
        % (machine["commit"], machine["python"], machine["ansible_core"], machine["started"]),
        "- `%s`" % machine["command"],
        "- each side %d time(s) per size; the median wall time of the whole process, its range, the ratio to the "
        "sequential raw script's median, and for the playbook the largest peak RSS of any of its processes "
        "(bench/peak_rss.py)" % options.repeat,
        "",
    ]
    if failure:
        lines += ["**FAILED:** %s" % failure, ""]
    lines += [table(rows, options), "", "Targets:", "", targets_table(rows), ""]
    lines += [
        "Sides: raw-seq is bench/raw_enrol.py (one keep-alive connection, one request at a time, batches as large "
        "as max_input_vars allows); raw-par the same with %d requests in flight; playbook is "
        "`ansible-playbook dsenroll.moodle.enrol -e moodle_enrol_users_csv=people.csv -e moodle_max_input_vars=%d%s`; "
        "naive is bench/naive_uri.yml and naive-per-person bench/naive_per_person.yml (one uri call per person per "
        'step). Every side starts from a reset site; "again" follows "new" for the same people without a '
        "reset. After each run the site is checked: every e-mail belongs to exactly one account, and all of them "
        "are in the cohort."
        % (options.parallel, options.max_input_vars, "".join(" " + extra for extra in options.playbook_extra)),
        "",
    ]
    return "\n".join(lines)


# --- the site: the lab's settings, reset, and the check after each run ---------------------------------


def env_file_from_tool_output(text):
    """The lab.env path from ``tools/moodle_lab env`` (which hides the tokens but names the lab's folder)."""
    for line in text.splitlines():
        if line.startswith("MOODLE_LAB_HOME="):
            return os.path.join(line.split("=", 1)[1].strip(), "lab.env")
    raise BenchError("tools/moodle_lab env named no MOODLE_LAB_HOME")


def secrets_of(values):
    return sorted({value for key, value in values.items() if "TOKEN" in key and value}, key=len, reverse=True)


def scrub(text, values):
    for secret in secrets_of(values):
        text = text.replace(secret, "<token>")
    return text


class Lab(object):
    """tools/moodle_lab for the lab of a lab.env: status and reset."""

    def __init__(self, values):
        self.name = values["MOODLE_LAB_NAME"]
        self.tool = values["MOODLE_LAB_TOOL"]
        self.root = os.path.dirname(values["MOODLE_LAB_HOME"])

    def run(self, command):
        cmd = [sys.executable, self.tool, "--name", self.name, "--root", self.root, command]
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    def check_running(self):
        if self.run("status").returncode != 0:
            raise BenchError("lab %r is not running: make lab LAB=%s" % (self.name, self.name))

    def reset(self):
        proc = self.run("reset")
        if proc.returncode != 0:
            raise BenchError("reset of lab %r failed: %s" % (self.name, (proc.stdout + proc.stderr)[-1000:]))


def problems(emails, users, member_ids):
    """What is wrong on the site for ``emails``: ``users`` are the accounts a lookup of them returned (dicts with
    id and email), ``member_ids`` the cohort's members. Empty when each e-mail has exactly one account and all of
    them are members."""
    accounts = {}
    for user in users:
        accounts.setdefault(user["email"].lower(), []).append(user["id"])
    missing = [email for email in emails if email.lower() not in accounts]
    duplicated = [email for email in emails if len(accounts.get(email.lower(), ())) > 1]
    outside = [
        email for email in emails if email.lower() in accounts and not set(accounts[email.lower()]) <= set(member_ids)
    ]
    found = []
    for name, items in (
        ("without an account", missing),
        ("with more than one account", duplicated),
        ("not in the cohort", outside),
    ):
        if items:
            found.append("%d %s (%s%s)" % (len(items), name, ", ".join(items[:3]), ", ..." if len(items) > 3 else ""))
    return found


class Site(object):
    """Reads the site back with the lab's full token (it may read cohort members)."""

    def __init__(self, values, max_input_vars):
        self.cohort_id = int(values["MOODLE_ONEMEMBERSHIP_COHORT_ID"])
        self.max_input_vars = max_input_vars
        self._client = raw_enrol.Client(values["MOODLE_BASE_URL"], values["MOODLE_LAB_TOKEN_FULL"])

    def check(self, emails, what):
        batches = raw_enrol.chunks(emails, raw_enrol.records_per_request(raw_enrol.LOOKUP, self.max_input_vars))
        users = []
        for batch in batches:
            users.extend(self._client.call(raw_enrol.LOOKUP, raw_enrol.lookup_form(batch)))
        cohorts = self._client.call(COHORT_MEMBERS, {"cohortids[0]": str(self.cohort_id)})
        member_ids = [user_id for cohort in cohorts for user_id in cohort.get("userids", [])]
        found = problems(emails, users, member_ids)
        if found:
            raise BenchError("%s left the site wrong: %s" % (what, "; ".join(found)))

    def close(self):
        self._client.close()


# --- running the sides ---------------------------------------------------------------------------------


def side_environment(values):
    """Our environment without any other MOODLE_ setting, plus the lab's URL, guide token and cohort."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOODLE_")}
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
    env.setdefault("ANSIBLE_HOME", os.path.join(REPO, "build", "ansible-home"))
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["MOODLE_BASE_URL"] = values["MOODLE_BASE_URL"]
    env["MOODLE_TOKEN"] = values["MOODLE_TOKEN"]
    env["MOODLE_ONEMEMBERSHIP_COHORT_ID"] = values["MOODLE_ONEMEMBERSHIP_COHORT_ID"]
    return env


def side_command(side, csv_path, json_path, options):
    if side in ("raw-seq", "raw-par"):
        cmd = [
            sys.executable,
            os.path.join(HERE, "raw_enrol.py"),
            csv_path,
            "--max-input-vars",
            str(options.max_input_vars),
        ]
        return cmd + (["--parallel", str(options.parallel)] if side == "raw-par" else [])
    playbook = os.path.join(BIN, "ansible-playbook")
    if side == "playbook":
        cmd = [playbook, "dsenroll.moodle.enrol", "-e", "moodle_enrol_users_csv=" + csv_path]
        cmd += ["-e", "moodle_max_input_vars=%d" % options.max_input_vars]
        for extra in options.playbook_extra:
            cmd += shlex.split(extra)
        return cmd
    if side == "module":
        cmd = [playbook, os.path.join(HERE, "enrol_task.yml"), "-e", "users_csv=" + csv_path]
        return cmd + ["-e", "moodle_max_input_vars=%d" % options.max_input_vars]
    return [playbook, os.path.join(HERE, NAIVE_PLAYBOOKS[side]), "-e", "@" + json_path]


def timed(cmd, env, workdir, values):
    """Run ``cmd`` through bench/peak_rss.py: (wall seconds, peak RSS MiB, its output); BenchError with the
    output's tail (tokens scrubbed) when it fails."""
    launcher = [sys.executable, "-I", "-S", os.path.join(HERE, "peak_rss.py")]
    with tempfile.TemporaryFile(dir=workdir) as out, tempfile.TemporaryFile(dir=workdir) as err:
        subprocess.run(launcher + cmd, env=env, cwd=workdir, stdout=out, stderr=err, check=True)
        out.seek(0)
        err.seek(0)
        output = out.read().decode("utf-8", "replace")
        lines = err.read().decode("utf-8", "replace").splitlines()
    measured = json.loads(lines[-1])
    if measured["rc"] != 0:
        tail = scrub((output + "\n".join(lines[:-1]))[-3000:], values)
        raise BenchError("%s exited with %d:\n%s" % (os.path.basename(cmd[1]), measured["rc"], tail))
    return measured["seconds"], measured["peak_rss_mib"], output


def raw_details(output):
    """What bench/raw_enrol.py says about its run (its last line, JSON: counts, requests, each step's time)."""
    lines = output.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


def sides_for(size, options, attempt=0):
    """The sides of one repeat: the naive ones only at small sizes and in the first ``--naive-repeat`` repeats
    (one naive run is already hundreds of module runs, which average out)."""
    return [
        side
        for side in options.sides
        if side not in NAIVE_PLAYBOOKS or (size <= options.naive_size and attempt < options.naive_repeat)
    ]


def runs_of(side):
    """The naive sides run for new people only: their target is the new run, and each run takes minutes."""
    return RUNS[:1] if side in NAIVE_PLAYBOOKS else RUNS


def rotated(items, turn):
    """``items`` started at ``turn``: each repeat runs the sides in another order, so no side always goes first."""
    if not items:
        return []
    turn %= len(items)
    return items[turn:] + items[:turn]


def run_sides(options, values, lab, site, runs, workdir):
    env = side_environment(values)
    for size in options.sizes:
        group = people(size)
        emails = [person["email"] for person in group]
        csv_path = os.path.join(workdir, "people-%d.csv" % size)
        json_path = os.path.join(workdir, "people-%d.json" % size)
        write_csv(csv_path, group)
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump({"people": group}, handle)
        for attempt in range(options.repeat):
            for side in rotated(sides_for(size, options, attempt), attempt):
                lab.reset()
                for run in runs_of(side):
                    what = "%s, %d %s (run %d of %d)" % (side, size, run, attempt + 1, options.repeat)
                    seconds, rss, output = timed(side_command(side, csv_path, json_path, options), env, workdir, values)
                    site.check(emails, what)
                    item = {"size": size, "run": run, "side": side, "seconds": seconds, "rss_mib": rss}
                    if side.startswith("raw-"):
                        item["raw"] = raw_details(output)
                    runs.append(item)
                    sys.stderr.write("real-bench: %s: %.2f s, peak RSS %.0f MiB, site checked\n" % (what, seconds, rss))
                    sys.stderr.flush()


# --- the machine ---------------------------------------------------------------------------------------


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()


def memory_gib():
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024.0 / 1024.0
    except OSError:
        pass
    return 0.0


def commit():
    def git(*args):
        proc = subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine_facts(values, argv):
    try:
        ansible_core = importlib.metadata.version("ansible-core")
    except importlib.metadata.PackageNotFoundError:
        ansible_core = "?"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory_gib(),
        "load_start": load_average(),
        "release": values.get("MOODLE_LAB_RELEASE", "?"),
        "db": values.get("MOODLE_LAB_DB", "?"),
        "lab": values.get("MOODLE_LAB_NAME", "?"),
        "commit": commit(),
        "python": platform.python_version(),
        "ansible_core": ansible_core,
        "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(shlex.quote(arg) for arg in ["bench/real_bench.py"] + list(argv)),
    }


# --- command line --------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--lab-env", help="the lab's lab.env (written by tools/moodle_lab, mode 0600)")
    where.add_argument("--lab", help="the lab's name: its lab.env is found through `tools/moodle_lab --name NAME env`")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of every side per size (default 3)")
    parser.add_argument(
        "--naive-repeat", type=int, default=1, help="runs of each naive side, new people only (default 1)"
    )
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(DEFAULT_SIDES))
    parser.add_argument("--parallel", type=int, default=4, help="requests in flight for raw-par (default 4)")
    parser.add_argument(
        "--playbook-extra",
        action="append",
        default=[],
        help='more ansible-playbook arguments for the playbook side, e.g. "-e moodle_parallel=4" (repeatable)',
    )
    parser.add_argument("--max-input-vars", type=int, default=5000, help="the lab's PHP max_input_vars (5000)")
    parser.add_argument("--naive-size", type=int, default=100, help="the naive sides run at sizes up to this (100)")
    parser.add_argument("--out", default=os.path.join(REPO, "build", "bench", "real.md"), help="the Markdown report")
    options = parser.parse_args(argv)
    options.playbook_extra = [extra.strip() for extra in options.playbook_extra if extra.strip()]
    if options.repeat < 1 or options.parallel < 1 or min(options.sizes) < 1:
        parser.error("--repeat, --parallel and every size must be at least 1")
    return options


def lab_values(options):
    path = options.lab_env
    if not path:
        proc = subprocess.run(
            [sys.executable, os.path.join(REPO, "tools", "moodle_lab"), "--name", options.lab, "env"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise BenchError("tools/moodle_lab --name %s env failed: %s" % (options.lab, proc.stderr.strip()[-500:]))
        path = env_file_from_tool_output(proc.stdout)
    values = read_env_file(path)
    needed = ("MOODLE_BASE_URL", "MOODLE_TOKEN", "MOODLE_ONEMEMBERSHIP_COHORT_ID", "MOODLE_LAB_TOKEN_FULL")
    missing = [
        name for name in needed + ("MOODLE_LAB_NAME", "MOODLE_LAB_TOOL", "MOODLE_LAB_HOME") if not values.get(name)
    ]
    if missing:
        raise BenchError("%s lacks %s: a lab.env of tools/moodle_lab is needed" % (path, ", ".join(missing)))
    return values


def write_outputs(text, runs, machine, options):
    os.makedirs(os.path.dirname(os.path.abspath(options.out)), exist_ok=True)
    with open(options.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    with open(os.path.splitext(options.out)[0] + ".json", "w", encoding="utf-8") as handle:
        json.dump({"machine": machine, "runs": runs}, handle, indent=1)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    options = parse_args(argv)
    try:
        values = lab_values(options)
    except (BenchError, OSError) as error:
        sys.stderr.write("real-bench: %s\n" % error)
        return 2
    lab = Lab(values)
    machine = machine_facts(values, argv)
    runs, failure = [], None
    site = Site(values, options.max_input_vars)
    started = time.monotonic()
    try:
        lab.check_running()
        with tempfile.TemporaryDirectory(prefix="dsenroll-real-bench-") as workdir:
            run_sides(options, values, lab, site, runs, workdir)
    except (BenchError, raw_enrol.MoodleError, requests.RequestException, OSError) as error:
        failure = scrub(str(error), values)
    finally:
        site.close()
    machine["load_end"] = load_average()
    machine["minutes"] = round((time.monotonic() - started) / 60.0, 1)
    text = report(summarise(runs), machine, options, failure)
    write_outputs(text, runs, machine, options)
    print(text)
    print("real-bench: written to %s" % os.path.relpath(options.out), file=sys.stderr)
    if failure:
        sys.stderr.write("real-bench: FAILED: %s\n" % failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
