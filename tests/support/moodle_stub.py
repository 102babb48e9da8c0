# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A responses-backed Moodle endpoint that answers per wsfunction, in the order a test chooses.

The simulator (tests/moodlesim, the ``moodle_sim`` fixture) is the fake Moodle wherever it can answer. This stub
serves the cohort unit tests that need answers the simulator never gives on its own: an answer lost at a chosen
call of a chosen function (then a different answer to the re-send), add warnings Moodle's code cannot produce
(an unparseable message, warnings out of member order) to test their attribution, and recorded bodies replayed
in a fixed order to pin one branch of the cohort resolution.
"""

import json
from collections import defaultdict
from urllib.parse import parse_qsl

import requests
import responses

from support.recorded import ENDPOINT, load_transcript

LOST = requests.exceptions.ConnectionError("Connection reset by peer")


def parsed(name):
    return load_transcript(name)["body_parsed"]


class MoodleStub(object):
    """Register with ``stub.on(wsfunction, answer, ...)``; each call takes the next answer (the last repeats).

    An answer is a body string, a Python value (sent as JSON), or an exception to raise (a lost answer).
    """

    def __init__(self, mock):
        self.answers = defaultdict(list)
        self.sent = []
        mock.add_callback(responses.POST, ENDPOINT, callback=self._answer)

    def on(self, wsfunction, *answers):
        self.answers[wsfunction].extend(answers)
        return self

    def calls(self, wsfunction=None):
        return [fields for fn, fields in self.sent if wsfunction in (None, fn)]

    def count(self, wsfunction):
        return len(self.calls(wsfunction))

    def _answer(self, request):
        fields = dict(parse_qsl(request.body))
        wsfunction = fields["wsfunction"]
        self.sent.append((wsfunction, fields))
        queue = self.answers[wsfunction]
        if not queue:
            raise AssertionError("unexpected call of %s" % wsfunction)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if not isinstance(answer, str):
            answer = json.dumps(answer)
        return (200, {"Content-Type": "application/json"}, answer)


def member_ids(fields):
    """The user ids of an add or delete request, in order."""
    keys = [k for k in fields if k.endswith("[usertype][value]") or k.endswith("[userid]")]
    keys.sort(key=lambda k: int(k.split("[")[1].rstrip("]")))
    return [int(fields[k]) for k in keys]
