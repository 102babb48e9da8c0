# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared unit-test fixtures: real Moodle 4.4 bodies from tests/fixtures/transcripts."""

import json
import os

import pytest

TRANSCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "transcripts")
TOKEN = "0123456789abcdef0123456789abcdef"
BASE_URL = "https://moodle.example.org"
ENDPOINT = BASE_URL + "/webservice/rest/server.php"


def load_transcript(name):
    """The recorded exchange ``name`` (without .json): request fields, http_status, content_type, body."""
    with open(os.path.join(TRANSCRIPTS, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def transcript():
    return load_transcript
