# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared unit-test fixtures: real Moodle 4.4 bodies from tests/fixtures/transcripts."""

import pytest

from recorded import load_transcript


@pytest.fixture
def transcript():
    return load_transcript
