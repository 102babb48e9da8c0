"""python -m moodlesim.bench: the 10,000-user workload against a local simulator, timed.

Creates N users in batches through core_user_create_users, looks them all up by e-mail
(1,000 values a call), then adds them all to a cohort (500 members a call).
"""

import argparse
import time

import requests

from .seed import TOKENS
from .server import Simulator


def _post(session, sim, function, fields):
    data = [("wstoken", TOKENS["TOKEN_FULL"]), ("wsfunction", function), ("moodlewsrestformat", "json")] + fields
    response = session.post(sim.endpoint, data=data, timeout=120)
    response.raise_for_status()
    return response.json()


def run(users=10000, create_batch=250, lookup_batch=1000, member_batch=500):
    timings = {}
    with Simulator(seed="transcript-site") as sim, requests.Session() as session:
        emails = ["bench.%05d@example.com" % i for i in range(users)]
        start = time.perf_counter()
        for offset in range(0, users, create_batch):
            fields = []
            end = offset + create_batch
            for index, email in enumerate(emails[offset:end]):
                prefix = "users[%d]" % index
                fields += [
                    (prefix + "[username]", email.split("@")[0]),
                    (prefix + "[firstname]", "Bench"),
                    (prefix + "[lastname]", "User"),
                    (prefix + "[email]", email),
                    (prefix + "[createpassword]", "1"),
                ]
            created = _post(session, sim, "core_user_create_users", fields)
            assert isinstance(created, list), created
        timings["create"] = time.perf_counter() - start

        start = time.perf_counter()
        found = 0
        for offset in range(0, users, lookup_batch):
            end = offset + lookup_batch
            fields = [("field", "email")] + [("values[%d]" % i, e) for i, e in enumerate(emails[offset:end])]
            found += len(_post(session, sim, "core_user_get_users_by_field", fields))
        assert found == users, found
        timings["lookup"] = time.perf_counter() - start

        start = time.perf_counter()
        usernames = [e.split("@")[0] for e in emails]
        for offset in range(0, users, member_batch):
            fields = []
            end = offset + member_batch
            for index, username in enumerate(usernames[offset:end]):
                prefix = "members[%d]" % index
                fields += [
                    (prefix + "[cohorttype][type]", "id"),
                    (prefix + "[cohorttype][value]", "1"),
                    (prefix + "[usertype][type]", "username"),
                    (prefix + "[usertype][value]", username),
                ]
            assert _post(session, sim, "core_cohort_add_cohort_members", fields) == {"warnings": []}
        timings["add_members"] = time.perf_counter() - start
    return timings


def main():
    parser = argparse.ArgumentParser(prog="python -m moodlesim.bench")
    parser.add_argument("--users", type=int, default=10000)
    args = parser.parse_args()
    timings = run(args.users)
    for name, seconds in timings.items():
        print("%-12s %6.2f s  (%.0f users/s)" % (name, seconds, args.users / seconds))


if __name__ == "__main__":
    main()
