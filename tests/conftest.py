"""Shared pytest configuration."""

pytest_plugins = ["moodlesim.pytest_plugin"]
