"""pytest fixtures: a simulated Moodle seeded like the transcript site."""

import pytest

from .server import Simulator


def _running_simulator():
    sim = Simulator(seed="transcript-site").start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def moodle_sim():
    """A fresh simulator on 127.0.0.1 (random port), stopped after the test."""
    yield from _running_simulator()


@pytest.fixture(scope="session")
def moodle_sim_session():
    """One simulator for the session; call moodle_sim_session.reset() where a test needs a clean site."""
    yield from _running_simulator()
