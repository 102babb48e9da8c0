# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrol a CSV of people into a cohort with a plain Python script: the floor the benchmark compares against.

What a competent user would write without Ansible (requests, one keep-alive Session):

1. look everybody up by e-mail (``core_user_get_users_by_field``, field=email), as many e-mails per request as
   PHP's ``max_input_vars`` allows;
2. create those not found (``core_user_create_users``: username = the lowercased e-mail, auth manual,
   createpassword=1), batches under ``max_input_vars``;
3. add everybody to the cohort (``core_cohort_add_cohort_members``, by ids; Moodle answers a warning for those
   already members).

One request at a time, or with ``--parallel N`` the batches of each step sent N at a time (a thread pool and a
connection pool of N); the steps themselves stay in order. The site comes from the environment: MOODLE_BASE_URL,
MOODLE_TOKEN (sent only in the POST body, never printed) and MOODLE_ONEMEMBERSHIP_COHORT_ID (or --cohort-id).

    python bench/raw_enrol.py people.csv [--parallel 4] [--max-input-vars 5000]

Prints one JSON line: people, found, created, requests per function, each step's wall time, seconds. Exits 1 on any Moodle error.
"""

import argparse
import concurrent.futures
import csv
import json
import os
import sys
import time

import requests
import requests.adapters

LOOKUP = "core_user_get_users_by_field"
CREATE = "core_user_create_users"
ADD = "core_cohort_add_cohort_members"

# Every request carries wstoken, wsfunction and moodlewsrestformat.
FIXED_FIELDS = 3
# Form fields per record, and once per request besides the fixed ones: a lookup is field=email plus one
# values[i] per e-mail; a user is username, firstname, lastname, email, auth, createpassword; a member is
# cohorttype[type], cohorttype[value], usertype[type], usertype[value].
FIELDS_PER_RECORD = {LOOKUP: 1, CREATE: 6, ADD: 4}
FIELDS_PER_REQUEST = {LOOKUP: 1, CREATE: 0, ADD: 0}


class MoodleError(Exception):
    """A Moodle web service error (HTTP 200 with an exception object), or an answer that is not JSON."""


def records_per_request(function, max_input_vars):
    """How many records one request of ``function`` holds without PHP dropping a form field."""
    room = max_input_vars - FIXED_FIELDS - FIELDS_PER_REQUEST[function]
    records = room // FIELDS_PER_RECORD[function]
    if records < 1:
        raise ValueError("max_input_vars %d leaves no room for one %s record" % (max_input_vars, function))
    return records


def chunks(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


def lookup_form(emails):
    form = {"field": "email"}
    for index, email in enumerate(emails):
        form["values[%d]" % index] = email
    return form


def create_form(people):
    form = {}
    for index, person in enumerate(people):
        prefix = "users[%d]" % index
        form[prefix + "[username]"] = person["email"].lower()
        form[prefix + "[firstname]"] = person["firstname"]
        form[prefix + "[lastname]"] = person["lastname"]
        form[prefix + "[email]"] = person["email"]
        form[prefix + "[auth]"] = "manual"
        form[prefix + "[createpassword]"] = "1"
    return form


def add_form(cohort_id, user_ids):
    form = {}
    for index, user_id in enumerate(user_ids):
        prefix = "members[%d]" % index
        form[prefix + "[cohorttype][type]"] = "id"
        form[prefix + "[cohorttype][value]"] = str(cohort_id)
        form[prefix + "[usertype][type]"] = "id"
        form[prefix + "[usertype][value]"] = str(user_id)
    return form


def read_people(path):
    """The CSV's rows (header email,firstname,lastname; UTF-8 with or without BOM)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            {"email": row["email"].strip(), "firstname": row["firstname"].strip(), "lastname": row["lastname"].strip()}
            for row in csv.DictReader(handle)
        ]


class Client(object):
    """POSTs to the REST endpoint on one Session; ``parallel`` requests at a time at most."""

    def __init__(self, base_url, token, parallel=1, timeout=300):
        self.endpoint = base_url.rstrip("/") + "/webservice/rest/server.php"
        self._token = token
        self.timeout = timeout
        self.parallel = parallel
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=parallel, pool_maxsize=parallel)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.counts = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=parallel) if parallel > 1 else None
        self.answered = False

    def call(self, function, form):
        body = dict(form, wstoken=self._token, wsfunction=function, moodlewsrestformat="json")
        self.counts[function] = self.counts.get(function, 0) + 1
        response = self.session.post(self.endpoint, data=body, timeout=self.timeout)
        response.raise_for_status()
        try:
            answer = response.json()
        except ValueError:
            raise MoodleError("%s: the answer is not JSON: %r" % (function, response.text[:200]))
        if isinstance(answer, dict) and "exception" in answer:
            raise MoodleError("%s: %s: %s" % (function, answer.get("errorcode"), answer.get("message")))
        self.answered = True
        return answer

    def call_all(self, function, forms):
        """One request per form: in order one at a time, or ``parallel`` at a time; the answers in form order."""
        if self._pool is None:
            return [self.call(function, form) for form in forms]
        # A fresh API user's concurrent first calls race inside Moodle (docs/moodle-behaviour.md#concurrency):
        # the first request goes alone.
        first = [] if self.answered or not forms else [self.call(function, forms[0])]
        rest = forms[len(first) :]
        return first + list(self._pool.map(lambda form: self.call(function, form), rest))

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
        self.session.close()


def enrol(client, people, cohort_id, max_input_vars):
    """Find or create everybody, then add everybody to the cohort; returns the counts and each step's wall time."""
    emails = [person["email"] for person in people]
    ids = {}
    steps = {}
    started = time.monotonic()
    batches = chunks(emails, records_per_request(LOOKUP, max_input_vars))
    for users in client.call_all(LOOKUP, [lookup_form(batch) for batch in batches]):
        for user in users:
            ids.setdefault(user["email"].lower(), user["id"])
    found = len(ids)
    steps[LOOKUP], started = round(time.monotonic() - started, 3), time.monotonic()

    missing = [person for person in people if person["email"].lower() not in ids]
    batches = chunks(missing, records_per_request(CREATE, max_input_vars))
    for batch, created in zip(batches, client.call_all(CREATE, [create_form(batch) for batch in batches])):
        # Moodle answers {id, username} per user, in the order sent.
        for person, user in zip(batch, created):
            ids[person["email"].lower()] = user["id"]
    steps[CREATE], started = round(time.monotonic() - started, 3), time.monotonic()

    user_ids = [ids[email.lower()] for email in emails]
    batches = chunks(user_ids, records_per_request(ADD, max_input_vars))
    warnings = 0
    for answer in client.call_all(ADD, [add_form(cohort_id, batch) for batch in batches]):
        warnings += len(answer.get("warnings") or [])
    steps[ADD] = round(time.monotonic() - started, 3)
    return {
        "people": len(people),
        "found": found,
        "created": len(missing),
        "add_warnings": warnings,
        "step_seconds": steps,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("csv", help="people: header email,firstname,lastname")
    parser.add_argument("--parallel", type=int, default=1, help="requests in flight at once (default 1)")
    parser.add_argument("--max-input-vars", type=int, default=5000, help="the site's PHP max_input_vars (5000)")
    parser.add_argument(
        "--cohort-id", default=os.environ.get("MOODLE_ONEMEMBERSHIP_COHORT_ID"), help="default: from the environment"
    )
    args = parser.parse_args(argv)
    missing = [name for name in ("MOODLE_BASE_URL", "MOODLE_TOKEN") if not os.environ.get(name)]
    if missing or not args.cohort_id:
        parser.error("set %s" % ", ".join(missing + ([] if args.cohort_id else ["MOODLE_ONEMEMBERSHIP_COHORT_ID"])))
    started = time.monotonic()
    people = read_people(args.csv)
    client = Client(os.environ["MOODLE_BASE_URL"], os.environ["MOODLE_TOKEN"], parallel=max(1, args.parallel))
    try:
        result = enrol(client, people, int(args.cohort_id), args.max_input_vars)
    except (MoodleError, requests.RequestException) as error:
        sys.stderr.write("raw_enrol: %s\n" % error)
        return 1
    finally:
        client.close()
    result.update(requests=client.counts, seconds=round(time.monotonic() - started, 3))
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
