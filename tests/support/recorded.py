# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real Moodle 4.4 exchanges (tests/fixtures/transcripts) and the fake site values unit tests use.

A plain module rather than conftest.py: several conftest.py files exist, and ``from conftest import``
picks whichever pytest imported first.
"""

import json
import os

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.rest import MoodleClient
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy

TRANSCRIPTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "transcripts", "4.4-pgsql"
)
TOKEN = "0123456789abcdef0123456789abcdef"
BASE_URL = "https://moodle.example.org"
ENDPOINT = BASE_URL + "/webservice/rest/server.php"


def load_transcript(name):
    """The recorded exchange ``name`` (without .json): request fields, http_status, content_type, body."""
    with open(os.path.join(TRANSCRIPTS, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def body(name):
    """The recorded body of transcript ``name``."""
    return load_transcript(name)["body"]


def make_client(max_input_vars=1000):
    """A client for the fake site, without retries: a test's answers are consumed once each."""
    return MoodleClient(BASE_URL, TOKEN, max_input_vars=max_input_vars, retry_policy=RetryPolicy(total=0))
