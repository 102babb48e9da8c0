"""The lab tool against the real lab named by MOODLE_LAB_ENV (``make test-lab``; it stops and restarts it).

Skipped, saying why, when no lab is given. Run it last: it takes the lab down and up again.
"""

import json
import os
import socket
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

ENV_FILE = os.environ.get("MOODLE_LAB_ENV")
ENDPOINT = "/webservice/rest/server.php"


def read_env(path):
    with open(path) as handle:
        return dict(line.split("=", 1) for line in handle.read().splitlines() if "=" in line and line[0] != "#")


@pytest.fixture(scope="module")
def lab():
    if not ENV_FILE or not os.path.exists(ENV_FILE):
        pytest.skip("make test-lab needs a lab: make lab, then MOODLE_LAB_ENV=build/lab/<name>/lab.env")
    return read_env(ENV_FILE)


def tool(lab, *args, check=True):
    argv = [sys.executable, lab["MOODLE_LAB_TOOL"], "--name", lab["MOODLE_LAB_NAME"]] + list(args)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def call(lab, token, function, **params):
    fields = [("wstoken", token), ("wsfunction", function)]
    for key, value in params.items():
        if isinstance(value, list):
            fields += [("%s[%d]" % (key, i), v) for i, v in enumerate(value)]
        else:
            fields.append((key, value))
    fields.append(("moodlewsrestformat", "json"))
    request = urllib.request.Request(lab["MOODLE_BASE_URL"] + ENDPOINT, data=urllib.parse.urlencode(fields).encode())
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def lookup(lab, email):
    status, body = call(
        lab, lab["MOODLE_LAB_TOKEN_FULL"], "core_user_get_users_by_field", field="email", values=[email]
    )
    assert status == 200, body
    return json.loads(body)


def lab_state(lab):
    with open(os.path.join(lab["MOODLE_LAB_HOME"], "lab.json")) as handle:
        return json.load(handle)


def listening(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_reset_returns_the_site_to_its_configured_state(lab):
    email = "lab.reset.probe@example.com"
    status, body = call(
        lab,
        lab["MOODLE_LAB_TOKEN_FULL"],
        "core_user_create_users",
        **{
            "users[0][username]": "lab.reset.probe",
            "users[0][email]": email,
            "users[0][firstname]": "Reset",
            "users[0][lastname]": "Probe",
            "users[0][password]": "Reset-Probe-1!",
        },
    )
    assert status == 200 and '"username":"lab.reset.probe"' in body, body
    assert len(lookup(lab, email)) == 1
    # The expired token is deleted by Moodle on its first use; reset brings it back.
    assert (
        "accessexception"
        in call(lab, lab["MOODLE_LAB_TOKEN_EXPIRED"], "core_user_get_users_by_field", field="email", values=[email])[1]
    )
    assert (
        "invalidtoken"
        in call(lab, lab["MOODLE_LAB_TOKEN_EXPIRED"], "core_user_get_users_by_field", field="email", values=[email])[1]
    )
    tool(lab, "reset")
    assert lookup(lab, email) == []
    assert (
        "accessexception"
        in call(lab, lab["MOODLE_LAB_TOKEN_EXPIRED"], "core_user_get_users_by_field", field="email", values=[email])[1]
    )
    tool(lab, "reset")


def test_config_switches_web_services_off_and_reset_switches_them_back(lab):
    tool(lab, "config", "enablewebservices", "0")
    assert call(lab, lab["MOODLE_TOKEN"], "core_user_get_users_by_field", field="email", values=["x@example.com"]) == (
        403,
        "",
    )
    tool(lab, "reset")
    assert lookup(lab, "existing.learner@example.com")[0]["username"] == "existing.learner"


def test_env_hides_the_tokens_unless_asked_to_export_them(lab):
    shown = tool(lab, "env").stdout
    assert "MOODLE_BASE_URL=%s" % lab["MOODLE_BASE_URL"] in shown
    assert lab["MOODLE_TOKEN"] not in shown and lab["MOODLE_LAB_TOKEN_SITEADMIN"] not in shown
    assert "export MOODLE_TOKEN=%s" % lab["MOODLE_TOKEN"] in tool(lab, "env", "--export").stdout


def test_down_stops_every_process_and_up_reuses_the_installed_site(lab):
    before = lab_state(lab)
    install_log = os.path.join(lab["MOODLE_LAB_HOME"], "install.log")
    installed_at = os.stat(install_log).st_mtime
    tool(lab, "down")
    after_down = lab_state(lab)
    assert "web_pid" not in after_down
    assert not listening(before["web_port"]) and not listening(after_down["db_port"])
    leftovers = subprocess.run(
        ["pgrep", "-af", lab["MOODLE_LAB_HOME"] + "/"], capture_output=True, text=True, check=False
    ).stdout
    assert leftovers == "", leftovers
    assert tool(lab, "status", check=False).returncode == 3
    tool(lab, "up")
    assert os.stat(install_log).st_mtime == installed_at, "a second up must not install again"
    assert lab_state(lab)["tokens"] == before["tokens"]
    assert tool(lab, "status").returncode == 0
    assert lookup(read_env(ENV_FILE), "existing.learner@example.com")[0]["id"] == 7


def test_up_on_a_taken_port_fails_clearly_and_leaves_nothing_running(lab):
    tool(lab, "down")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        failed = tool(lab, "up", "--port", str(port), check=False)
    assert failed.returncode == 1
    assert "port %d is in use by another program" % port in failed.stderr
    leftovers = subprocess.run(
        ["pgrep", "-af", lab["MOODLE_LAB_HOME"] + "/"], capture_output=True, text=True, check=False
    ).stdout
    assert leftovers == "", "a failed up must stop what it started:\n" + leftovers
    tool(lab, "up")
    assert lookup(read_env(ENV_FILE), "existing.learner@example.com")[0]["id"] == 7
