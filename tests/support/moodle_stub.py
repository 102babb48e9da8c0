# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A responses-backed Moodle endpoint that answers per wsfunction, in the order a test chooses.

The simulator (tests/moodlesim, the ``moodle_sim`` fixture) is the fake Moodle wherever it can answer, lost
answers included (its faults). This stub serves the cohort unit tests that need add warnings Moodle's code cannot
produce (a message that names no member) to test how their outcome is learnt.
"""

import json
from collections import defaultdict
from urllib.parse import parse_qsl

import responses

from support.recorded import ENDPOINT


class MoodleStub(object):
    """Register with ``stub.on(wsfunction, answer, ...)``; each call takes the next answer (the last repeats).

    An answer is a body string or a Python value (sent as JSON).
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

    def _answer(self, request):
        fields = dict(parse_qsl(request.body))
        wsfunction = fields["wsfunction"]
        self.sent.append((wsfunction, fields))
        queue = self.answers[wsfunction]
        if not queue:
            raise AssertionError("unexpected call of %s" % wsfunction)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if not isinstance(answer, str):
            answer = json.dumps(answer)
        return (200, {"Content-Type": "application/json"}, answer)
