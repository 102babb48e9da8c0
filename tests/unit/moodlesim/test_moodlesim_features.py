"""The simulator's own features that the real transcripts do not cover."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from moodlesim import TOKENS, Simulator

TESTS = Path(__file__).resolve().parents[2]


def ws(sim, token, function, fields=(), fmt="json", session=requests):
    data = [("wstoken", TOKENS.get(token, token)), ("wsfunction", function)]
    if fmt:
        data.append(("moodlewsrestformat", fmt))
    return session.post(sim.endpoint, data=data + list(fields), timeout=10)


def new_user(username, email=None):
    email = email or username + "@example.com"
    return [
        ("users[0][username]", username),
        ("users[0][firstname]", "F"),
        ("users[0][lastname]", "L"),
        ("users[0][email]", email),
        ("users[0][createpassword]", "1"),
    ]


def lookup(sim, field, *values, token="TOKEN_OK"):
    fields = [("field", field)] + [("values[%d]" % i, v) for i, v in enumerate(values)]
    return ws(sim, token, "core_user_get_users_by_field", fields).json()


# --- fault injection ------------------------------------------------------------------------------


def test_http_status_fault_on_the_nth_call_of_one_function(moodle_sim):
    moodle_sim.inject_fault(wsfunction="core_user_get_users_by_field", kind="http_status", status=503, on_calls=[2])
    assert ws(moodle_sim, "TOKEN_OK", "core_user_get_users_by_field", [("field", "id"), ("values[0]", "7")]).ok
    failed = ws(moodle_sim, "TOKEN_OK", "core_user_get_users_by_field", [("field", "id"), ("values[0]", "7")])
    assert failed.status_code == 503 and failed.headers["Content-Type"] == "text/html"
    assert b"503 Service Unavailable" in failed.content
    # Other functions do not advance that fault's counter; the third call works again.
    assert ws(moodle_sim, "TOKEN_FULL", "core_cohort_get_cohorts").status_code == 200
    assert ws(moodle_sim, "TOKEN_OK", "core_user_get_users_by_field", [("field", "id"), ("values[0]", "7")]).ok


@pytest.mark.parametrize("status", [500, 502, 504])
def test_http_status_fault_for_the_next_n_calls_of_any_function(moodle_sim, status):
    moodle_sim.inject_fault(kind="http_status", status=status, times=2)
    codes = [ws(moodle_sim, "TOKEN_FULL", "core_cohort_get_cohorts").status_code for _attempt in range(3)]
    assert codes == [status, status, 200]


def test_reset_before_processing_writes_nothing(moodle_sim):
    moodle_sim.inject_fault(wsfunction="core_user_create_users", kind="reset_before", times=1)
    with pytest.raises(requests.ConnectionError):
        ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("fault.before"))
    assert moodle_sim.find_users(username="fault.before") == []
    assert ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("fault.before")).json()[0]["id"] == 8


def test_commit_then_drop_commits_the_write_but_loses_the_answer(moodle_sim):
    moodle_sim.inject_fault(wsfunction="core_user_create_users", kind="commit_then_drop", times=1)
    with pytest.raises(requests.ConnectionError):
        ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("fault.commit"))
    assert [u["id"] for u in moodle_sim.find_users(username="fault.commit")] == [8]
    retry = ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("fault.commit")).json()
    assert retry["errorcode"] == "invalidparameter"  # Username already exists: the blind retry fails


def test_latency_fault_delays_the_answer_and_clear_faults_removes_it(moodle_sim):
    moodle_sim.inject_fault(kind="latency", latency=0.3)
    start = time.monotonic()
    assert ws(moodle_sim, "TOKEN_FULL", "core_cohort_get_cohorts").ok
    assert time.monotonic() - start >= 0.3
    moodle_sim.clear_faults()
    start = time.monotonic()
    assert ws(moodle_sim, "TOKEN_FULL", "core_cohort_get_cohorts").ok
    assert time.monotonic() - start < 0.3


def test_fault_rules_are_validated(moodle_sim):
    with pytest.raises(ValueError):
        moodle_sim.inject_fault(kind="explode")
    with pytest.raises(ValueError):
        moodle_sim.inject_fault(kind="http_status", status=418)


# --- control API ---------------------------------------------------------------------------------


def test_http_control_api_seeds_reads_and_resets(moodle_sim):
    base = moodle_sim.url + "/_sim/"
    user = requests.post(base + "users", json={"username": "ctl.user", "email": "ctl.user@example.com"}).json()
    cohort = requests.post(base + "cohorts", json={"name": "Ctl", "idnumber": "ctl", "category": 1}).json()
    api = requests.post(
        base + "users", json={"username": "ctl.api", "email": "ctl.api@example.com", "roles": ["manager", "rest"]}
    ).json()
    service = requests.post(
        base + "services",
        json={"shortname": "ctl", "functions": ["core_cohort_add_cohort_members"], "authorised": [api["id"]]},
    ).json()
    token = requests.post(base + "tokens", json={"userid": api["id"], "service": service["shortname"]}).json()["token"]
    assert len(token) == 32
    added = ws(
        moodle_sim,
        token,
        "core_cohort_add_cohort_members",
        [
            ("members[0][cohorttype][type]", "idnumber"),
            ("members[0][cohorttype][value]", "ctl"),
            ("members[0][usertype][type]", "username"),
            ("members[0][usertype][value]", "ctl.user"),
        ],
    ).json()
    assert added == {"warnings": []}
    state = requests.get(base + "state").json()
    assert [c["members"] for c in state["cohorts"] if c["id"] == cohort["id"]] == [[user["id"]]]
    assert requests.get(base + "counts").json() == {"core_cohort_add_cohort_members": 1}
    requests.post(base + "capabilities", json={"userid": api["id"], "capabilities": ["webservice/rest:use"]})
    denied = ws(
        moodle_sim,
        token,
        "core_cohort_add_cohort_members",
        [
            ("members[0][cohorttype][type]", "id"),
            ("members[0][cohorttype][value]", "1"),
            ("members[0][usertype][type]", "id"),
            ("members[0][usertype][value]", str(user["id"])),
        ],
    ).json()
    assert denied["errorcode"] == "nopermissions"
    requests.post(base + "faults", json={"kind": "http_status", "status": 502})
    assert ws(moodle_sim, "TOKEN_OK", "core_user_get_users_by_field").status_code == 502
    requests.delete(base + "faults")
    assert requests.post(base + "settings", json={"debug": True}).json()["debug"] is True
    requests.post(base + "reset", json={"seed": "transcript-site"})
    state = requests.get(base + "state").json()
    assert [u["id"] for u in state["users"]] == [1, 2, 3, 4, 5, 6, 7]
    assert state["settings"]["debug"] is False and requests.get(base + "counts").json() == {}
    assert requests.post(base + "nonsense", json={}).status_code == 404
    assert requests.post(base + "users", json={"bogus": 1}).status_code == 400


def test_python_control_methods(moodle_sim):
    moodle_sim.add_user(username="py.user", email="py.user@example.com", idnumber="PY-1", suspended=True)
    assert lookup(moodle_sim, "idnumber", "PY-1")[0]["suspended"] is True
    gone = moodle_sim.add_user(username="py.gone", email="py.gone@example.com", deleted=True)
    assert gone["deleted"] and gone["username"].startswith("py.gone@example.com.")
    assert lookup(moodle_sim, "email", "py.gone@example.com") == []
    cohort = moodle_sim.add_cohort("Py", "py", members=[7])
    assert moodle_sim.cohort_members(cohort["id"]) == [7]
    assert moodle_sim.request_counts() == {"core_user_get_users_by_field": 2}
    moodle_sim.reset_counts()
    assert moodle_sim.request_counts() == {}


def test_site_info_lists_exactly_the_services_functions(moodle_sim):
    moodle_sim.add_service("two", ["core_webservice_get_site_info", "core_user_get_users"], authorised=[3])
    token = moodle_sim.add_token(3, "two")
    info = ws(moodle_sim, token, "core_webservice_get_site_info").json()
    assert [f["name"] for f in info["functions"]] == ["core_webservice_get_site_info", "core_user_get_users"]
    assert len(info["userprivateaccesskey"]) == 32 and info["userissiteadmin"] is False


def test_token_expiry_and_ip_restriction_are_computed(moodle_sim):
    expired = moodle_sim.add_token(3, "ds_enroll_full", validuntil=int(time.time()) - 10)
    assert ws(moodle_sim, expired, "core_cohort_get_cohorts").json()["errorcode"] == "accessexception"
    assert ws(moodle_sim, expired, "core_cohort_get_cohorts").json()["errorcode"] == "invalidtoken"
    for allowed in ("127.0.0.0/8", "10.0.0.1,127.0.0.1", "127.0.0", "127.0.0.1-5"):
        token = moodle_sim.add_token(3, "ds_enroll_full", iprestriction=allowed)
        assert isinstance(ws(moodle_sim, token, "core_cohort_get_cohorts").json(), list), allowed


def test_debug_setting_adds_debuginfo(moodle_sim):
    assert "debuginfo" not in lookup(moodle_sim, "username", "Upper")
    moodle_sim.settings(debug=True)
    assert lookup(moodle_sim, "username", "Upper")["debuginfo"].startswith("The field 'username' value is invalid")


# --- database collation --------------------------------------------------------------------------


def test_email_lookup_is_case_sensitive_on_postgresql_and_not_on_mysql(moodle_sim):
    assert lookup(moodle_sim, "email", "Existing.Learner@Example.COM") == []
    moodle_sim.settings(email_case_sensitive=False)
    assert [u["id"] for u in lookup(moodle_sim, "email", "Existing.Learner@Example.COM")] == [7]
    assert [u["id"] for u in lookup(moodle_sim, "idnumber", "ext-0001")] == [7]


def test_create_duplicate_email_check_ignores_case_on_both_databases(moodle_sim):
    for sensitive in (True, False):
        moodle_sim.settings(email_case_sensitive=sensitive, debug=True)
        answer = ws(
            moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("dup.case", "EXISTING.learner@example.com")
        ).json()
        assert answer["debuginfo"] == "Email address already exists: EXISTING.learner@example.com"


# --- PHP max_input_vars --------------------------------------------------------------------------


def test_max_input_vars_truncates_silently(moodle_sim):
    moodle_sim.settings(max_input_vars=10)
    head = [
        ("wstoken", TOKENS["TOKEN_OK"]),
        ("wsfunction", "core_user_get_users_by_field"),
        ("moodlewsrestformat", "json"),
        ("field", "id"),
    ]
    values = [("values[%d]" % i, str(i + 1)) for i in range(12)]
    first = requests.post(moodle_sim.endpoint, data=head + values).json()
    assert [u["id"] for u in first] == [1, 2, 3, 4, 5, 6]  # only the first 6 values survived
    last = requests.post(moodle_sim.endpoint, data=values + head)
    assert last.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert "<ERRORCODE>invalidtoken</ERRORCODE>" in last.text


# --- concurrency ---------------------------------------------------------------------------------


def test_racing_creates_of_one_username_behave_like_a_database(moodle_sim):
    answers = []
    barrier = threading.Barrier(12)

    def create():
        barrier.wait()
        answers.append(ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("race.same")).json())

    threads = [threading.Thread(target=create) for _index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(a, list) for a in answers) == 1
    assert sum(isinstance(a, dict) and a["errorcode"] == "invalidparameter" for a in answers) == 11
    assert len(moodle_sim.find_users(username="race.same")) == 1


def test_parallel_creates_get_distinct_ids(moodle_sim):
    ids = []

    def create(index):
        ids.extend(
            u["id"] for u in ws(moodle_sim, "TOKEN_OK", "core_user_create_users", new_user("race.%d" % index)).json()
        )

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(8, 28))


# --- the command ---------------------------------------------------------------------------------


def test_command_writes_the_port_file_and_stops_on_sigterm(tmp_path):
    port_file = tmp_path / "url"
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "moodlesim", "--port", "0", "--port-file", str(port_file), "--max-input-vars", "1000"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while not port_file.exists():
            assert time.monotonic() - start < 10 and process.poll() is None
            time.sleep(0.01)
        url = port_file.read_text().strip()
        assert url.startswith("http://127.0.0.1:") and process.stdout.readline().strip() == url
        # Start-up measures ~0.25 s (README); the bound only catches a hang on a loaded CI machine.
        assert time.monotonic() - start < 10
        state = requests.get(url + "/_sim/state").json()
        assert state["settings"]["max_input_vars"] == 1000
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_simulator_is_a_context_manager():
    with Simulator(seed="empty") as sim:
        assert json.loads(requests.get(sim.url + "/_sim/state").text)["tokens"] == []
