# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the enrol flow against the Moodle simulator, and the naive one-request-per-person way.

Not part of ``make test``. After ``make link``:

    .venv/bin/python bench/run_bench.py [--sizes 100 1000 10000] [--repeat 5] [--max-input-vars 5000] [--naive 100]

For each size N it runs the dsenroll.moodle.enrol role (ansible-playbook, preflight skipped so that only the
enrolment's requests are counted; its one moodle_enrol task, with ``--parallel`` requests in flight) for N new people,
then again with all of them existing, and reports per run: wall time of the ansible-playbook process, HTTP
requests per wsfunction (the simulator's counts), requests per person, and the peak resident memory of the
Ansible process tree (ru_maxrss from wait4, taken by bench/peak_rss.py). Each size is run --repeat times with
other new people, and the median wall time is reported with the range: on a shared 2-core machine one run of a
few seconds can be off by a second either way. Then other N people are enrolled each of the two naive ways,
once (their 3N module runs already average out), and the ratios to the median are printed:
- "naive per person" (bench/naive_per_person.yml): the three calls of a curl-based set-up test as three
  ansible.builtin.uri tasks, included once per person: one uri task per person per call, as the issue puts it;
- "naive loop" (bench/naive_uri.yml): each step as one uri task that loops over everybody (the same 3N
  requests and module runs, fewer tasks: the fastest naive form).
It checks the targets: at most ceil(N/B) requests per function and run, for B the records one request can hold
under max_input_vars, or fewer when a list is spread over the requests in flight (+1 lookup: the visibility
proof); a rerun of 10,000 in a handful of requests per 1,000;
at least 50x faster than the naive way.
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# build/collections: the checkout linked as ansible_collections.dsenroll.moodle (make link).
sys.path[:0] = [
    os.path.join(REPO, "tests"),
    os.path.join(REPO, "tests", "integration"),
    os.path.join(REPO, "build", "collections"),
]

from moodlesim import Simulator, TOKENS  # noqa: E402  pylint: disable=wrong-import-position
import harness  # noqa: E402  pylint: disable=wrong-import-position
from support import flow  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import (  # noqa: E402  pylint: disable=wrong-import-position
    MIN_SHARE,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (  # noqa: E402  pylint: disable=wrong-import-position
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
    GET_USERS_BY_FIELD,
)

FIXED_FIELDS = 3  # wstoken, wsfunction, moodlewsrestformat
# Form fields per record in each call (docs/moodle-behaviour.md): one e-mail value; username, firstname,
# lastname, email, auth, createpassword; members[i][cohorttype][type|value] + [usertype][type|value].
FIELDS_PER_RECORD = {GET_USERS_BY_FIELD: 1, CREATE_USERS: 6, ADD_COHORT_MEMBERS: 4}
FIELDS_PER_CALL = {GET_USERS_BY_FIELD: 1, CREATE_USERS: 0, ADD_COHORT_MEMBERS: 0}  # field=email
# The visibility proof: user id 2 looked up first.
EXTRA_CALLS = {GET_USERS_BY_FIELD: 1, CREATE_USERS: 0, ADD_COHORT_MEMBERS: 0}


def people(count, prefix):
    return [
        {"email": "%s%05d@example.org" % (prefix, n), "firstname": "Bench", "lastname": "Person %d" % n}
        for n in range(count)
    ]


def timed(cmd, env, cwd):
    """Run ``cmd`` through bench/peak_rss.py; return (rc, wall seconds, peak RSS in MiB of its process tree,
    output tail)."""
    launcher = [sys.executable, "-I", "-S", os.path.join(HERE, "peak_rss.py")]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as figures:
        subprocess.run(launcher + cmd, env=env, cwd=cwd, stdout=out, stderr=figures, check=True)
        out.seek(0)
        tail = out.read().decode("utf-8", "replace")[-3000:]
        figures.seek(0)
        lines = figures.read().decode("utf-8", "replace").splitlines()
    measured = json.loads(lines[-1])
    if measured["rc"] != 0:
        # What the command said on stderr belongs to its output.
        tail = (tail + "\n".join(lines[:-1]))[-3000:]
    return measured["rc"], measured["seconds"], measured["peak_rss_mib"], tail


def timed_playbook(sim, workdir, playbook, variables, name):
    """Run ``playbook`` with ``variables`` (a vars file) against ``sim``: a row of figures without the summary."""
    path = os.path.join(workdir, "%s_vars.json" % name.replace(" ", "_"))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(variables, handle)
    cmd = [os.path.join(harness.BIN, "ansible-playbook"), "-i", harness.inventory(workdir), playbook, "-e", "@" + path]
    sim.reset_counts()
    rc, seconds, rss, tail = timed(cmd, harness.ansible_env(), workdir)
    if rc != 0:
        raise SystemExit("%s run failed (rc %s):\n%s" % (name, rc, tail))
    return {
        "name": name,
        "people": len(variables.get("people") or variables.get("moodle_enrol_users")),
        "seconds": seconds,
        "rss": rss,
        "counts": sim.request_counts(),
        "summary": {},
    }


def run_enrol(sim, workdir, users, options, name):
    """The enrol role for ``users`` (preflight skipped): returns a row of figures."""
    playbook = os.path.join(workdir, "%s.yml" % name)
    report = os.path.join(workdir, "%s_report.json" % name)
    with open(playbook, "w", encoding="utf-8") as handle:
        json.dump(flow.wrapper_playbook({"timeout": 120}), handle)
    row = timed_playbook(
        sim,
        workdir,
        playbook,
        {
            "moodle_url": sim.url,
            "moodle_token": TOKENS[options.token],
            "moodle_enrol_users": users,
            "moodle_enrol_cohort_id": 1,
            "moodle_enrol_skip_preflight": True,
            "moodle_enrol_batch_size": options.batch_size,
            "moodle_max_input_vars": options.max_input_vars,
            "moodle_parallel": options.parallel,
            "moodle_enrol_report": report,
        },
        "enrol " + name,
    )
    with open(report, encoding="utf-8") as handle:
        row.update(name=name, summary=json.load(handle)["summary"])
    return row


NAIVE_FORMS = (("naive per person", "naive_per_person.yml"), ("naive loop", "naive_uri.yml"))


def run_naive(sim, workdir, users, options, name, playbook):
    return timed_playbook(
        sim,
        workdir,
        os.path.join(HERE, playbook),
        {"moodle_url": sim.url, "moodle_token": TOKENS[options.token], "cohort_id": 1, "people": users},
        name,
    )


def bound(function, people_count, options):
    """ceil(N/B) (+ the calls every run makes), B = the records one request holds under max_input_vars, or fewer
    when a list is spread over the requests in flight (at least MIN_SHARE records each)."""
    per_call = options.max_input_vars - FIXED_FIELDS - FIELDS_PER_CALL[function]
    records = per_call // FIELDS_PER_RECORD[function]
    if function == CREATE_USERS:
        records = min(records, options.batch_size)
    if options.parallel > 1 and people_count >= 2 * MIN_SHARE:
        records = min(records, max(MIN_SHARE, int(math.ceil(people_count / float(options.parallel)))))
    return records, int(math.ceil(people_count / float(records))) + EXTRA_CALLS[function]


def row_text(row, options):
    counts = row["counts"]
    total = sum(counts.values())
    cells = []
    for function in (GET_USERS_BY_FIELD, CREATE_USERS, ADD_COHORT_MEMBERS):
        _records, limit = bound(function, row["people"], options)
        mark = "" if row["name"].startswith("naive") or counts.get(function, 0) <= limit else " (over %d)" % limit
        cells.append("%d%s" % (counts.get(function, 0), mark))
    others = sum(n for f, n in counts.items() if f not in (GET_USERS_BY_FIELD, CREATE_USERS, ADD_COHORT_MEMBERS))
    runs = row.get("runs", [row["seconds"]])
    spread = " (%.1f-%.1f)" % (min(runs), max(runs)) if len(runs) > 1 else ""
    return "| %s | %d | %.1f%s | %s | %d | %d | %.3f | %.1f | %.0f |" % (
        row["name"],
        row["people"],
        row["seconds"],
        spread,
        " | ".join(cells),
        others,
        total,
        total / float(row["people"]),
        1000.0 * total / row["people"],
        row["rss"],
    )


def repeated(rows):
    """One row for several runs of the same size: the median wall time, the range, the largest memory.
    The request counts must be the same in every run (the plan does not depend on timing)."""
    counts = rows[0]["counts"]
    for row in rows[1:]:
        if row["counts"] != counts:
            raise SystemExit(
                "request counts differ between runs of %s: %s and %s" % (row["name"], counts, row["counts"])
            )
    runs = [row["seconds"] for row in rows]
    return dict(rows[0], seconds=statistics.median(runs), runs=runs, rss=max(row["rss"] for row in rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of each size, with other people each time; the median wall time is reported (default 5)",
    )
    parser.add_argument(
        "--max-input-vars",
        type=int,
        default=5000,
        help="PHP max_input_vars of the simulated site, also given to the modules (default 5000, "
        "what Moodle requires on PHP 8)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="moodle_user batch_size (default 1000, so that max_input_vars is what bounds a create)",
    )
    parser.add_argument("--parallel", type=int, default=4, help="the modules' parallel (default 4, theirs too)")
    parser.add_argument("--token", default="TOKEN_OK", help="simulator token (default: the 3 enrolment functions)")
    parser.add_argument("--naive", type=int, default=100, help="people enrolled the naive way (0: skip)")
    options = parser.parse_args()

    print(
        "machine: %s, %d CPUs, Python %s, load average %s"
        % (platform.platform(), os.cpu_count(), platform.python_version(), "%.2f %.2f %.2f" % os.getloadavg())
    )
    for function in (GET_USERS_BY_FIELD, CREATE_USERS, ADD_COHORT_MEMBERS):
        records, _limit = bound(function, 1, options)
        print("B(%s) = %d records per request" % (function, records))
    header = (
        "| run | people | wall s, median (range) | %s | %s | %s | other | requests | per person | per 1,000 "
        "| peak RSS MiB |" % (GET_USERS_BY_FIELD, CREATE_USERS, ADD_COHORT_MEMBERS)
    )
    rows = []
    with Simulator(
        seed="transcript-site", max_input_vars=options.max_input_vars
    ).start() as sim, tempfile.TemporaryDirectory(prefix="dsenroll-bench-") as workdir:
        for size in options.sizes:
            firsts, reruns = [], []
            for attempt in range(options.repeat):
                users = people(size, "bench%d_%d_" % (size, attempt))
                first = run_enrol(sim, workdir, users, options, "new %d" % size)
                assert first["summary"]["created"] == size and first["summary"]["added"] == size, first
                rerun = run_enrol(sim, workdir, users, options, "rerun %d" % size)
                assert rerun["summary"]["existed"] == size and rerun["summary"]["already_members"] == size, rerun
                firsts.append(first)
                reruns.append(rerun)
            first, rerun = repeated(firsts), repeated(reruns)
            rows.extend([first, rerun])
            print(row_text(first, options))
            print(row_text(rerun, options))
            sys.stdout.flush()
        if options.naive:
            for name, playbook in NAIVE_FORMS:
                naive = run_naive(
                    sim, workdir, people(options.naive, name.replace(" ", "_") + "_"), options, name, playbook
                )
                rows.append(naive)
                print(row_text(naive, options))
                sys.stdout.flush()
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        print(row_text(row, options))
    batched = [r for r in rows if r["name"] == "new %d" % options.naive]
    if options.naive and batched:
        print()
        for naive in (r for r in rows if r["name"].startswith("naive")):
            print(
                "%s / batched wall time at %d people: %.1fx the median batched run (target: at least 50x), "
                "%.1fx the slowest"
                % (
                    naive["name"],
                    options.naive,
                    naive["seconds"] / batched[0]["seconds"],
                    naive["seconds"] / max(batched[0].get("runs", [batched[0]["seconds"]])),
                )
            )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        "CPU time of all ansible processes: %.1f s user, %.1f s system; load average now %s"
        % (children.ru_utime, children.ru_stime, "%.2f %.2f %.2f" % os.getloadavg())
    )


if __name__ == "__main__":
    main()
