"""Contract test: the simulator replays every recorded target and must answer as the real Moodle did.

Each target's recording (``tests/fixtures/transcripts/<target>/``, or the folders named in
CONTRACT_RECORDINGS, separated by ``:``) is replayed once, in recording order, against one simulator
(state carries over exactly as it did on the real site); each transcript is then one named test. See
README.md next to this file for the order, the state each transcript needs and what is normalised.
"""

import os
from pathlib import Path

import pytest
import requests

from moodlesim import TOKENS, Simulator
from moodlesim.state import MANAGER

import replay


def recordings():
    """{target label: folder}: the committed targets, or the folders CONTRACT_RECORDINGS names."""
    named = [Path(p) for p in os.environ.get("CONTRACT_RECORDINGS", "").split(":") if p]
    if named:
        return {p.name: p for p in named}
    return {target: replay.FIXTURES / target for target in replay.targets()}


@pytest.fixture(scope="module")
def replay_results():
    """Replays every recording once; returns {(target, transcript name): [problems]}."""
    results = {}
    with requests.Session() as session:
        for target, folder in recordings().items():
            # The simulator answers as the recorded target's Moodle release and database family.
            sim = Simulator(seed="transcript-site", profile=target).start(host="127.0.0.1", port=0)
            try:
                for segment in replay.recording_plan(folder):
                    sim.reset(seed="transcript-site")
                    for name in segment:
                        if name == replay.GUIDE_EXACT[0]:
                            sim.set_capabilities(3, capabilities=MANAGER)
                        transcript = replay.load(folder, name)
                        sim.settings(**replay.settings_for(name))
                        response = replay.send(session, sim.endpoint, transcript, TOKENS)
                        results[(target, name)] = replay.compare(
                            transcript,
                            response.status_code,
                            response.headers.get("Content-Type", ""),
                            response.text,
                            sim.url,
                        )
            finally:
                sim.stop()
    return results


@pytest.mark.parametrize("target,folder", list(recordings().items()))
def test_plan_covers_every_transcript(target, folder):
    planned = [name for segment in replay.recording_plan(folder) for name in segment]
    assert len(planned) == len(set(planned))
    assert sorted(planned) == replay.transcript_names(folder)
    assert len(planned) == 212


@pytest.mark.parametrize(
    "target,name",
    [
        pytest.param(target, name, id="%s/%s" % (target, name))
        for target, folder in recordings().items()
        for name in replay.transcript_names(folder)
    ],
)
def test_transcript(target, name, replay_results):
    problems = replay_results[(target, name)]
    assert not problems, "\n".join(problems)
