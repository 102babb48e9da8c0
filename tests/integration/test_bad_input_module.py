# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moodle_user on generated batches of bad input against the simulator: one result per
record, every record not created is ``failed`` with a reason, and nothing unreported reached Moodle.

The pure-function properties (tests/unit/.../test_bad_input_properties.py) explore hundreds of
inputs; this runs the real module, through Ansible's argument handling, on a few whole batches.
"""

import json

from hypothesis import HealthCheck, Phase, example, given, settings

import harness
from support import strategies
from moodlesim import TOKENS

BATCH = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_batch(sim, tmp_path, people):
    """moodle_user over ``people`` (given as variables, as a vars file would), results read back from JSON."""
    out = tmp_path / "results.json"
    playbook = tmp_path / "bad_input.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Create a batch of bad input",
                            "dsenroll.moodle.moodle_user": {
                                "moodle_url": "{{ url }}",
                                "moodle_token": "{{ token }}",
                                "users": "{{ people }}",
                                "batch_size": 10,
                                "retries": 0,
                            },
                            "register": "outcome",
                            "ignore_errors": True,
                        },
                        {
                            "name": "Keep the result",
                            "ansible.builtin.copy": {
                                "content": "{{ outcome | to_json }}",
                                "dest": str(out),
                                "mode": "0600",
                            },
                        },
                    ],
                }
            ]
        )
    )
    run = harness.run_playbook(
        str(playbook), extra_vars={"url": sim.url, "token": TOKENS["TOKEN_OK"], "people": people}
    )
    assert out.exists(), run
    return run, json.loads(out.read_text())


MIXED = [
    {"email": "Good.One@Example.org", "firstname": "Zoë", "lastname": "O'Neil, Jr.", "create_password": True},
    {"email": "good.one@example.org", "firstname": "Zoë", "lastname": "Again", "create_password": True},
    {"email": "no-at-sign.example.org", "firstname": "No", "lastname": "At", "create_password": True},
    {"email": "tag@example.org", "firstname": "<b>Bold</b>", "lastname": "Tag", "create_password": True},
    {"email": "nopass@example.org", "firstname": "No", "lastname": "Password"},
    {
        "email": "good.two@example.org",
        "firstname": "李",
        "lastname": "Two",
        "username": "Good Two",
        "create_password": True,
    },
    {"email": "good.three@example.org", "firstname": "Three", "lastname": "Good", "password": "Str0ng!Passw0rd"},
]


@BATCH
@example(people=MIXED)
@given(people=strategies.people(min_size=10, max_size=16))
def test_a_batch_of_bad_records_reports_each_one_and_sends_nothing_unreported(moodle_sim_session, tmp_path, people):
    sim = moodle_sim_session
    sim.reset()
    before = set(u["id"] for u in sim.users())

    run, outcome = run_batch(sim, tmp_path, people)

    results = outcome.get("results")
    assert results is not None and len(results) == len(people), (run, outcome.get("msg"))
    for entry in results:
        assert entry["status"] in ("created", "exists", "failed"), entry
        if entry["status"] == "failed":
            assert entry["msg"].strip(), entry
    new_accounts = dict((u["id"], u) for u in sim.users() if u["id"] not in before)
    created = dict((e["id"], e) for e in results if e["status"] == "created")
    assert sorted(new_accounts) == sorted(created), "accounts Moodle has that no result reports as created"
    for userid, entry in created.items():
        account = new_accounts[userid]
        assert (account["email"], account["username"]) == (entry["email"], entry["username"]), (account, entry)
    if any(e["status"] == "failed" for e in results):
        assert outcome.get("failed") is True, "a failed record must fail the task"
