"""The simulator answers as the Moodle release and database family of its profile (moodlesim/profiles.py).

Each difference here was found by recording the same requests from real labs of every target
(tests/fixtures/transcripts/<target>/); the contract test replays those recordings in full.
"""

import pytest
import requests

from moodlesim import TOKENS, Simulator
from moodlesim.profiles import PROFILES, settings_for


@pytest.fixture
def simulators():
    started = []

    def start(profile):
        sim = Simulator(seed="transcript-site", profile=profile).start(host="127.0.0.1", port=0)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def call(sim, function, fields, token="TOKEN_FULL"):
    data = [("wstoken", TOKENS[token]), ("wsfunction", function), ("moodlewsrestformat", "json")] + list(fields)
    return requests.post(sim.endpoint, data=data, timeout=10).json()


def test_every_release_and_database_has_a_profile_and_unknown_ones_are_refused():
    assert PROFILES == ["4.4-mariadb", "4.4-pgsql", "4.5-mariadb", "4.5-pgsql", "5.0-mariadb", "5.0-pgsql"]
    with pytest.raises(ValueError, match="unknown profile"):
        settings_for("3.9-oracle")


@pytest.mark.parametrize(
    "profile,exception",
    [
        ("4.4-pgsql", "invalid_parameter_exception"),
        ("4.5-pgsql", "core\\exception\\invalid_parameter_exception"),
        ("5.0-mariadb", "core\\exception\\invalid_parameter_exception"),
    ],
)
def test_core_exceptions_carry_their_namespace_from_moodle_45(simulators, profile, exception):
    answer = call(simulators(profile), "core_user_get_users_by_field", [("field", "email")])
    assert (answer["exception"], answer["errorcode"]) == (exception, "invalidparameter")


@pytest.mark.parametrize(
    "profile,debug,errorcode,message",
    [
        ("4.5-pgsql", False, "invalidrecord", "Can't find data record in database table cohort."),
        ("5.0-pgsql", False, "invalidrecordunknown", "Can't find data record in database."),
        ("5.0-pgsql", True, "invalidrecord", "Can't find data record in database table cohort."),
    ],
)
def test_moodle_50_names_a_missing_record_only_to_a_debugging_site(simulators, profile, debug, errorcode, message):
    sim = simulators(profile)
    sim.settings(debug=debug)
    answer = call(sim, "core_cohort_get_cohort_members", [("cohortids[0]", "999999")])
    assert (answer["exception"], answer["errorcode"], answer["message"]) == (
        "dml_missing_record_exception",
        errorcode,
        message,
    )


@pytest.mark.parametrize(
    "profile,found", [("4.4-pgsql", []), ("5.0-pgsql", []), ("4.4-mariadb", [7]), ("5.0-mariadb", [7])]
)
def test_mariadb_finds_an_email_in_another_letter_case(simulators, profile, found):
    answer = call(
        simulators(profile),
        "core_user_get_users_by_field",
        [("field", "email"), ("values[0]", "Existing.Learner@Example.com")],
    )
    assert [user["id"] for user in answer] == found


@pytest.mark.parametrize("profile,names", [("4.5-pgsql", False), ("5.0-pgsql", True)])
def test_moodle_50_shows_users_their_own_names(simulators, profile, names):
    answer = call(
        simulators(profile),
        "core_user_get_users_by_field",
        [("field", "email"), ("values[0]", "ds-enroll-restonly@example.com")],
        token="TOKEN_NOCAP_RESTONLY",
    )
    assert ("firstname" in answer[0]) is names


def test_site_info_reports_the_profile_s_release(simulators):
    answer = call(simulators("5.0-pgsql"), "core_webservice_get_site_info", [])
    assert (answer["release"], answer["version"]) == ("5.0+ (Build: 20250502)", "2025041400.03")
    assert {function["version"] for function in answer["functions"]} == {"2025041400.03"}
