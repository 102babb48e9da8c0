"""One recording, replayable against any site: the simulator (contract test) or a real lab (recorder).

A recording is a folder of transcripts (``tests/fixtures/transcripts/<moodle version>-<db>/``), each one
request and the answer a real Moodle gave. They were made in an order, segments starting from a freshly
configured site, with some site settings changed for some requests; this module knows that order and
those settings (README.md beside this file), so that a replay puts every request in the state it was
recorded in.
"""

import json
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
# The address the first recording's site had; later recordings store theirs as `site_url`.
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
# The setup guide's steps alone: ds-enroll-api (id 3) is a Manager without webservice/rest:use.
GUIDE_EXACT = [
    "guide_exact_no_rest_use_create_token_ok",
    "guide_exact_no_rest_use_lookup_token_ok",
    "guide_exact_no_rest_use_lookup_token_ok_debug",
]
# Site settings each transcript ran with (beyond the configured site's).
SETTINGS = {
    "ws_disabled_lookup": {"webservices": False},
    "ws_disabled_lookup_xml": {"webservices": False},
    "rest_disabled_lookup": {"rest": False},
    "m2_create_same_email_allowed": {"allowaccountssameemail": True},
    "m2_lookup_email_two_accounts": {"allowaccountssameemail": True},
    "m2_maintenance_lookup": {"maintenance": True},
    "m2_maintenance_lookup_siteadmin": {"maintenance": True},
}
CONFIGURED = dict(debug=False, webservices=True, rest=True, allowaccountssameemail=False, maintenance=False)


def targets():
    """The recorded targets: folder names such as ``4.4-pgsql``."""
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and any(p.glob("*.json")))


def _summary_names(folder, filename):
    names = []
    for line in (Path(folder) / filename).read_text().splitlines():
        match = re.match(r"^([a-z0-9_]+): HTTP \d+", line)
        if match:
            names.append(match.group(1))
    return names


def recording_plan(folder=FIXTURES / "4.4-pgsql"):
    """Segments of the recording, each starting from a freshly configured site."""

    def with_debug(name):
        return [name] + ([name + "__debug"] if (Path(folder) / (name + "__debug.json")).exists() else [])

    main = _summary_names(folder, "_summary.txt")
    first, probes = main[:-4], main[-4:]
    segment = []
    for name in first:
        segment += with_debug(name)
        segment += AFTER.get(name, [])
    after_reset = AFTER_RESET + [step for name in probes for step in with_debug(name)] + GUIDE_EXACT
    m2 = [step for name in _summary_names(folder, "_summary_m2.txt") for step in with_debug(name)]
    return [segment, after_reset, m2]


def transcript_names(folder):
    return sorted(p.stem for p in Path(folder).glob("*.json"))


def load(folder, name):
    return json.loads((Path(folder) / (name + ".json")).read_text())


def settings_for(name):
    """The site settings a transcript was recorded with."""
    base = name[: -len("__debug")] if name.endswith("__debug") else name
    settings = dict(CONFIGURED)
    settings["debug"] = name.endswith("__debug") or name.endswith("_debug")
    settings.update(SETTINGS.get(base, {}))
    return settings


def request_fields(transcript, tokens):
    """The form fields in the recorded order, with <TOKEN> and the elided value ranges restored."""
    token = tokens.get(transcript["token_name"], UNKNOWN_TOKEN)
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


def send(session, endpoint, transcript, tokens):
    fields = request_fields(transcript, tokens)
    if transcript["method"] == "GET":
        return session.get(endpoint, params=fields, timeout=60)
    return session.post(endpoint, data=fields, timeout=60)


# --- normalisation of site-specific values ----------------------------------------------------


def _normalise_text(text, urls):
    for url in urls:
        text = text.replace(url.replace("/", "\\/"), "{MOODLE_URL}").replace(url, "{MOODLE_URL}")
    return re.sub(r"/core/\d+/u/", "/core/<REV>/u/", text)


def _normalise_value(value, urls, key=None):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out[k] = _normalise_value(v, urls, k)
        if (
            key == "preferences_item"
            and isinstance(out.get("value"), (int, str))
            and re.fullmatch(r"\d{9,}", str(out["value"]))
        ):
            out["value"] = "<TIME>" if isinstance(out["value"], str) else -1
        return out
    if isinstance(value, list):
        items = [_normalise_value(v, urls, "preferences_item" if key == "preferences" else None) for v in value]
        # core_cohort_get_cohort_members orders by last and first name; members sharing a name come in
        # whatever order the database gives (PostgreSQL and MariaDB differ), so only the set counts.
        return sorted(items) if key == "userids" else items
    if key == "username" and isinstance(value, str):
        return re.sub(r"^(.+@.+)\.\d{9,}$", r"\1.<TIME>", value)  # deleted user: <email>.<timestamp>
    if key == "userprivateaccesskey":
        return "<REDACTED>"
    if isinstance(value, str):
        return _normalise_text(value, urls)
    return value


def canonical(body, content_type, urls):
    """The body with the site's address, theme revision, timestamps and private key made neutral."""
    if content_type.startswith("application/json"):
        return json.dumps(_normalise_value(json.loads(body), urls), indent=1)
    return _normalise_text(body, urls)


def compare(transcript, status, content_type, body, url):
    """What differs between a recorded answer and another one (``url``: the other site's address)."""
    problems = []
    if status != transcript["http_status"]:
        problems.append("HTTP %s, recorded %s" % (status, transcript["http_status"]))
    if content_type != transcript["content_type"]:
        problems.append("content type %r, recorded %r" % (content_type, transcript["content_type"]))
    urls = [transcript.get("site_url", RECORDED_URL), url]
    try:
        got = canonical(body, content_type, urls)
        want = canonical(transcript["body"], transcript["content_type"], urls)
    except ValueError as error:
        got, want = body, transcript["body"]
        problems.append("unparsable body: %s" % error)
    if got != want:
        problems.append("body differs:\n--- recorded\n%s\n--- this site\n%s" % (want, got))
    return problems
