"""Shared pytest configuration."""

import pytest

from support import leaks

pytest_plugins = ["moodlesim.pytest_plugin"]


@pytest.fixture
def traced(tmp_path):
    """A fully traced run's environment and the texts it left behind (support/leaks.py), for hygiene tests."""
    return leaks.traced_run(tmp_path)
