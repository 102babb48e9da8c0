"""Contract test: replay every real Moodle 4.4 transcript against the simulator.

The whole recording is replayed once, in recording order, against one simulator (state carries
over exactly as it did on the real site); each transcript is then one named test. See README.md
next to this file for the order, the state set-up each transcript needs and what is normalised.
"""

import json
import re
from pathlib import Path

import pytest
import requests

from moodlesim import TOKENS, Simulator
from moodlesim.state import MANAGER

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
RECORDED_URL = "http://127.0.0.1:8765"
UNKNOWN_TOKEN = "0123456789abcdef0123456789abcdef"

# Transcripts listed in no _summary file, placed where their notes and the user ids put them.
AFTER = {
    # users[0] of the weak-password batch consumes id 14, so lab.ok1..3 get 15..17 as recorded; the
    # weak-password debug replay (a separate run, notes "[debug=DEVELOPER]") comes after them.
    "create_batch3_one_duplicate_email": [
        "create_batch3_one_weak_password",
        "create_batch3_one_weak_password_after_lookup",
        "create_batch3_all_valid",
        "create_batch3_one_weak_password__debug",
    ],
    # "See add_cohort_member_token_nocap_restonly_new for the capability error."
    "add_cohort_member_token_nocap_restonly": [
        "add_cohort_member_token_nocap_restonly_new",
        "add_cohort_member_token_nocap_restonly_new__debug",
    ],
    "negtoken_token_nocap_restonly_lookup": [
        "lookup_email_token_nocap_restonly",
        "lookup_email_self_token_nocap_restonly",
    ],
}
# Recorded on a reset site, before the last four lines of _summary.txt.
AFTER_RESET = [
    "after_reset_lookup_existing",
    "after_reset_lookup_created_users",
    "after_reset_get_cohort_members",
    # "FIRST use of the expired token after reset", then the second use.
    "negtoken_token_expired_first_use__debug",
    "negtoken_token_expired_second_use__debug",
]
# A service set up without webservice/rest:use for ds-enroll-api (id 3): docs/moodle-behaviour.md#access-checks.
GUIDE_EXACT = [
    "guide_exact_no_rest_use_create_token_ok",
    "guide_exact_no_rest_use_lookup_token_ok",
    "guide_exact_no_rest_use_lookup_token_ok_debug",
]
# Site settings each transcript ran with (from the recordings' notes).
SETTINGS = {
    "ws_disabled_lookup": {"webservices": False},
    "ws_disabled_lookup_xml": {"webservices": False},
    "rest_disabled_lookup": {"rest": False},
    "m2_create_same_email_allowed": {"allowaccountssameemail": True},
    "m2_lookup_email_two_accounts": {"allowaccountssameemail": True},
    "m2_maintenance_lookup": {"maintenance": True},
    "m2_maintenance_lookup_siteadmin": {"maintenance": True},
}


def _summary_names(filename):
    names = []
    for line in (TRANSCRIPTS / filename).read_text().splitlines():
        match = re.match(r"^([a-z0-9_]+): HTTP \d+", line)
        if match:
            names.append(match.group(1))
    return names


def _with_debug(name):
    steps = [name]
    if (TRANSCRIPTS / (name + "__debug.json")).exists():
        steps.append(name + "__debug")
    return steps


def recording_plan():
    """Segments of the recording, each starting from a freshly seeded site."""
    main = _summary_names("_summary.txt")
    first, probes = main[:-4], main[-4:]
    segment = []
    for name in first:
        segment += _with_debug(name)
        segment += AFTER.get(name, [])
    after_reset = AFTER_RESET + [step for name in probes for step in _with_debug(name)] + GUIDE_EXACT
    m2 = [step for name in _summary_names("_summary_m2.txt") for step in _with_debug(name)]
    return [segment, after_reset, m2]


def all_transcripts():
    return sorted(p.stem for p in TRANSCRIPTS.glob("*.json"))


def load(name):
    return json.loads((TRANSCRIPTS / (name + ".json")).read_text())


def request_fields(transcript):
    """The form fields in the recorded order, with <TOKEN> and the elided value ranges restored."""
    token = TOKENS.get(transcript["token_name"], UNKNOWN_TOKEN)
    fields = []
    for key, value in transcript["request"].items():
        ranged = re.match(r"^(\w+)\[(\d+)\.\.(\d+)\]$", key)
        if ranged:
            base, start, end = ranged.group(1), int(ranged.group(2)), int(ranged.group(3))
            fields += [("%s[%d]" % (base, i), "nobody%d@example.com" % i) for i in range(start, end + 1)]
        else:
            fields.append((key, token if value == "<TOKEN>" else value))
    if "request_field_count" in transcript:
        assert len(fields) == transcript["request_field_count"]
    return fields


# --- normalisation of site-specific values ----------------------------------------------------


def _normalise_text(text, base_url):
    for url in (RECORDED_URL, base_url):
        text = text.replace(url.replace("/", "\\/"), "{MOODLE_URL}").replace(url, "{MOODLE_URL}")
    return re.sub(r"/core/\d+/u/", "/core/<REV>/u/", text)


def _normalise_value(value, base_url, key=None):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out[k] = _normalise_value(v, base_url, k)
        if (
            key == "preferences_item"
            and isinstance(out.get("value"), (int, str))
            and re.fullmatch(r"\d{9,}", str(out["value"]))
        ):
            out["value"] = "<TIME>" if isinstance(out["value"], str) else -1
        return out
    if isinstance(value, list):
        return [_normalise_value(v, base_url, "preferences_item" if key == "preferences" else None) for v in value]
    if key == "username" and isinstance(value, str):
        return re.sub(r"^(.+@.+)\.\d{9,}$", r"\1.<TIME>", value)  # deleted user: <email>.<timestamp>
    if key == "userprivateaccesskey":
        return "<REDACTED>"
    if isinstance(value, str):
        return _normalise_text(value, base_url)
    return value


def canonical(body, content_type, base_url):
    if content_type.startswith("application/json"):
        return json.dumps(_normalise_value(json.loads(body), base_url), indent=1)
    return _normalise_text(body, base_url)


# --- the replay -------------------------------------------------------------------------------


def _replay(sim, session, name):
    transcript = load(name)
    debug = name.endswith("__debug") or name.endswith("_debug")
    base = name[: -len("__debug")] if name.endswith("__debug") else name
    settings = dict(debug=debug, webservices=True, rest=True, allowaccountssameemail=False, maintenance=False)
    settings.update(SETTINGS.get(base, {}))
    sim.settings(**settings)
    fields = request_fields(transcript)
    if transcript["method"] == "GET":
        response = session.get(sim.endpoint, params=fields, timeout=30)
    else:
        response = session.post(sim.endpoint, data=fields, timeout=30)
    problems = []
    if response.status_code != transcript["http_status"]:
        problems.append("HTTP %s, recorded %s" % (response.status_code, transcript["http_status"]))
    content_type = response.headers.get("Content-Type", "")
    if content_type != transcript["content_type"]:
        problems.append("content type %r, recorded %r" % (content_type, transcript["content_type"]))
    try:
        got = canonical(response.text, content_type, sim.url)
        want = canonical(transcript["body"], transcript["content_type"], sim.url)
    except ValueError as error:
        got, want = response.text, transcript["body"]
        problems.append("unparsable body: %s" % error)
    if got != want:
        problems.append("body differs:\n--- recorded\n%s\n--- simulator\n%s" % (want, got))
    return problems


@pytest.fixture(scope="module")
def replay_results():
    """Replays the whole recording once; returns {transcript name: [problems]}."""
    results = {}
    sim = Simulator(seed="transcript-site").start(host="127.0.0.1", port=0)
    try:
        with requests.Session() as session:
            for index, segment in enumerate(recording_plan()):
                sim.reset(seed="transcript-site")
                for name in segment:
                    if name in GUIDE_EXACT and name == GUIDE_EXACT[0]:
                        sim.set_capabilities(3, capabilities=MANAGER)
                    results[name] = _replay(sim, session, name)
                    results[name + "#segment"] = index
    finally:
        sim.stop()
    return results


def test_plan_covers_every_transcript():
    planned = [name for segment in recording_plan() for name in segment]
    assert len(planned) == len(set(planned))
    assert sorted(planned) == all_transcripts()
    assert len(planned) == 212


@pytest.mark.parametrize("name", all_transcripts())
def test_transcript(name, replay_results):
    problems = replay_results[name]
    assert not problems, "\n".join(problems)
