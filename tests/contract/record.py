"""Record the contract transcripts from a real Moodle lab (``make record``).

Replays the reference recording's requests (tests/fixtures/transcripts/4.4-pgsql by default), in its
order and with its site settings, against the lab of a lab.env file, and writes each real answer as a
transcript of the same name into ``--out`` (a folder per target, ``<moodle version>-<db>``). Then says how
many answers are the reference's own (``reproduced N/M``) and lists the others.

    python tests/contract/record.py --lab-env build/lab/default/lab.env --out tests/fixtures/transcripts
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import replay  # noqa: E402

ENDPOINT = "/webservice/rest/server.php"
# How each replay setting is made on a real site (set_config through the lab tool).
CONFIG = {
    "debug": ("debug", "32767", "0"),
    "webservices": ("enablewebservices", "1", "0"),
    "rest": ("webserviceprotocols", "rest", ""),
    "allowaccountssameemail": ("allowaccountssameemail", "1", "0"),
    "maintenance": ("maintenance_enabled", "1", "0"),
}
SUMMARIES = ("_summary.txt", "_summary_debug.txt", "_summary_m2.txt")


def read_env(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return values


class LabSite:
    """The lab behind a lab.env: its address, tokens by name, and the lab tool for reset and settings."""

    def __init__(self, env):
        self.env = env
        self.url = env["MOODLE_BASE_URL"]
        self.endpoint = self.url + ENDPOINT
        self.tokens = {
            key[len("MOODLE_LAB_") :]: value for key, value in env.items() if key.startswith("MOODLE_LAB_TOKEN_")
        }
        self.current = None

    def _tool(self, *args):
        argv = [sys.executable, self.env["MOODLE_LAB_TOOL"], "--name", self.env["MOODLE_LAB_NAME"]] + list(args)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

    def reset(self):
        self._tool("reset")
        self.current = dict(replay.CONFIGURED)

    def settings(self, wanted):
        for key, value in wanted.items():
            if self.current.get(key) != value:
                name, on, off = CONFIG[key]
                self._tool("config", name, on if value else off)
                self.current[key] = value

    def guide_exact(self):
        """The setup guide's steps alone: the API user keeps Manager but loses webservice/rest:use."""
        self._tool("rest-use", "ds-enroll-api", "revoke")


def _redact(value):
    if isinstance(value, dict):
        return {k: ("<REDACTED>" if k == "userprivateaccesskey" else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _entry(site, transcript, response):
    """The transcript of one real answer: the reference's request, this site's answer (private key redacted)."""
    content_type = response.headers.get("Content-Type", "")
    body = re.sub(r'("userprivateaccesskey":")[^"]*(")', r"\1<REDACTED>\2", response.text)
    body = re.sub(r'(<KEY name="userprivateaccesskey"><VALUE>)[^<]*(</VALUE>)', r"\1<REDACTED>\2", body)
    entry = {key: transcript[key] for key in ("scenario", "token_name", "method", "url", "request")}
    if "request_field_count" in transcript:
        entry["request_field_count"] = transcript["request_field_count"]
    entry.update(site_url=site.url, http_status=response.status_code, content_type=content_type, body=body)
    if content_type.startswith("application/json"):
        try:
            entry["body_parsed"] = _redact(response.json())
        except ValueError:
            pass
    notes = transcript.get("notes")
    entry["notes"] = ("%s\n" % notes if notes else "") + "Recorded from a lab: Moodle %s on %s." % (
        site.env["MOODLE_LAB_RELEASE"],
        site.env["MOODLE_LAB_DB"],
    )
    return entry


def _write_summaries(reference, folder, answers):
    """The reference's summary files, each line with this recording's answer."""
    for summary in SUMMARIES:
        source = Path(reference) / summary
        if not source.exists():
            continue
        lines = []
        for line in source.read_text().splitlines():
            match = re.match(r"^([a-z0-9_]+): HTTP \d+", line)
            name = match.group(1) if match else None
            key = name + "__debug" if name and summary == "_summary_debug.txt" and name not in answers else name
            if key in answers:
                entry = answers[key]
                body = entry["body"] if len(entry["body"]) <= 400 else entry["body"][:400] + "..."
                lines.append("%s: HTTP %d %s :: %s" % (name, entry["http_status"], entry["content_type"], body))
            else:
                lines.append(line)
        (folder / summary).write_text("\n".join(lines) + "\n")


def record(site, reference, out, target):
    folder = Path(out) / target
    folder.mkdir(parents=True, exist_ok=True)
    answers, differences = {}, {}
    with requests.Session() as session:
        for segment in replay.recording_plan(reference):
            site.reset()
            for name in segment:
                if name == replay.GUIDE_EXACT[0]:
                    site.guide_exact()
                transcript = replay.load(reference, name)
                site.settings(replay.settings_for(name))
                response = replay.send(session, site.endpoint, transcript, site.tokens)
                answers[name] = entry = _entry(site, transcript, response)
                (folder / (name + ".json")).write_text(json.dumps(entry, indent=1, ensure_ascii=False) + "\n")
                problems = replay.compare(
                    transcript, response.status_code, entry["content_type"], response.text, site.url
                )
                if problems:
                    differences[name] = problems
        site.reset()
    _write_summaries(reference, folder, answers)
    return answers, differences


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-env", required=True, help="the lab's lab.env (tools/moodle_lab up writes it)")
    parser.add_argument("--out", required=True, help="folder of targets: the recording goes to OUT/<target>/")
    parser.add_argument(
        "--reference",
        default=str(replay.FIXTURES / "4.4-pgsql"),
        help="the recording whose requests and order are replayed",
    )
    parser.add_argument("--details", help="write every difference from the reference to this file")
    args = parser.parse_args(argv)
    site = LabSite(read_env(args.lab_env))
    target = site.env["MOODLE_LAB_TARGET"]
    answers, differences = record(site, args.reference, args.out, target)
    print("recorded %d transcripts of %s into %s" % (len(answers), target, Path(args.out) / target))
    print("reproduced %d/%d of %s" % (len(answers) - len(differences), len(answers), args.reference))
    for name in sorted(differences):
        print("  differs: %s (%s)" % (name, differences[name][0].splitlines()[0]))
    if args.details:
        Path(args.details).write_text(
            "".join("== %s\n%s\n\n" % (name, "\n".join(problems)) for name, problems in sorted(differences.items()))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
