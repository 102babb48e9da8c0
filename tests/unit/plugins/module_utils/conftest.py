# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the cohort tests."""

import pytest
import responses

from support.moodle_stub import MoodleStub


@pytest.fixture
def moodle():
    """The stub Moodle endpoint (support/moodle_stub.py says when a test needs it): answers per wsfunction, in order."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield MoodleStub(mock)
