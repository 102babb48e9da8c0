# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The moodle_cohort_member module end to end over mocked HTTP (real Moodle 4.4 bodies)."""

import json
from collections import defaultdict
from unittest import mock
from urllib.parse import parse_qsl

import pytest
import responses
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.dsenroll.moodle.plugins.modules import moodle_cohort_member

from recorded import BASE_URL, ENDPOINT, TOKEN, load_transcript

NOT_IN_SERVICE = load_transcript("wsfunction_not_in_service")["body"]
GUIDE_ONLY = {"core_cohort_get_cohorts": [NOT_IN_SERVICE], "core_cohort_get_cohort_members": [NOT_IN_SERVICE]}


class Moodle(object):
    """Answers per wsfunction, in order (the last answer repeats); records what was sent."""

    def __init__(self, mock, answers):
        self.answers = defaultdict(list, dict((k, list(v)) for k, v in answers.items()))
        self.sent = []
        mock.add_callback(responses.POST, ENDPOINT, callback=self._answer)

    def _answer(self, request):
        fields = dict(parse_qsl(request.body))
        self.sent.append(fields["wsfunction"])
        queue = self.answers[fields["wsfunction"]]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return (200, {"Content-Type": "application/json"}, answer if isinstance(answer, str) else json.dumps(answer))


def run(answers, check=False, diff=False, **args):
    params = dict(moodle_url=BASE_URL, moodle_token=TOKEN, retries=0, _ansible_check_mode=check,
                  _ansible_diff=diff)
    params.update(args)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle = Moodle(mock, answers)
        with patch_module_args(params):
            with pytest.raises(SystemExit) as info:
                moodle_cohort_member.main()
    return info.value.code, moodle.sent


def result_of(capsys):
    out = capsys.readouterr().out
    assert TOKEN not in out
    return json.loads(out)


def lookup(name):
    return load_transcript(name)["body"]


def test_guide_token_adds_a_user_by_email_exactly(capsys):
    answers = dict(GUIDE_ONLY, core_user_get_users_by_field=[lookup("lookup_email_existing")],
                   core_cohort_add_cohort_members=[lookup("m2_add_suspended_user_to_cohort")])
    code, sent = run(answers, cohort_id=1, users=["existing.learner@example.com"])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is True
    assert result["results"] == [{"email": "existing.learner@example.com", "id": 7, "status": "added",
                                  "msg": "added to the cohort"}]
    assert result["cohort"] == {"id": 1}
    assert sent.count("core_cohort_add_cohort_members") == 1


def test_guide_token_rerun_reports_no_change(capsys):
    again = {"warnings": [{"warningcode": "3", "message": "record already exists: cohort(id=1 id=7)"}]}
    answers = dict(GUIDE_ONLY, core_cohort_add_cohort_members=[again])
    code, _sent = run(answers, cohort_id=1, users=[{"id": 7}])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is False and result["summary"]["member"] == 1


def test_full_token_sends_nothing_when_everyone_is_a_member(capsys):
    # The diff names members given by id with one lookup; a user whose e-mail is hidden shows the username.
    answers = {"core_cohort_get_cohorts": [[load_transcript("get_cohorts")["body_parsed"][0]]],
               "core_cohort_get_cohort_members": [[{"cohortid": 1, "userids": [8, 9]}]],
               "core_user_get_users_by_field": [[{"id": 8, "username": "ada", "email": "ada@example.org"},
                                                 {"id": 9, "username": "alan"}]]}
    code, sent = run(answers, diff=True, cohort_id=1, users=[{"id": 8}, {"id": 9}])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is False
    assert "core_cohort_add_cohort_members" not in sent
    assert result["cohort"]["name"] == "OneMembership"
    named = ["ada@example.org (id 8)", "alan (id 9)"]
    assert result["diff"]["before"]["members"] == named == result["diff"]["after"]["members"]
    assert sent.count("core_user_get_users_by_field") == 1


def test_without_diff_mode_the_members_are_not_looked_up(capsys):
    answers = {"core_cohort_get_cohorts": [[load_transcript("get_cohorts")["body_parsed"][0]]],
               "core_cohort_get_cohort_members": [[{"cohortid": 1, "userids": [8, 9]}]]}
    code, sent = run(answers, cohort_id=1, users=[{"id": 8}, {"id": 9}])
    result = result_of(capsys)
    assert code == 0 and "diff" not in result and "core_user_get_users_by_field" not in sent


def test_check_mode_without_the_read_function_warns_and_reports_unknown(capsys):
    # Captured at the source: once controller code is imported (other tests do), ansible-core sends
    # module warnings to Display rather than into the result.
    warned = []
    with mock.patch.object(AnsibleModule, "warn", lambda self, text, **kw: warned.append(text)):
        code, sent = run(GUIDE_ONLY, check=True, cohort_id=1, users=[{"id": 8}])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is True
    assert result["results"][0]["status"] == "unknown"
    assert "core_cohort_add_cohort_members" not in sent
    assert len(warned) == 1 and "add core_cohort_get_cohort_members" in warned[0]


def test_missing_capability_fails_naming_it_and_the_cohort(capsys):
    answers = dict(GUIDE_ONLY, core_cohort_add_cohort_members=[
        lookup("add_cohort_member_token_nocap_restonly_new")])
    code, _sent = run(answers, cohort_id=2, users=[{"id": 9}])
    result = result_of(capsys)
    assert code == 1 and result["failed"] is True
    assert "moodle/cohort:assign" in result["msg"] and "cohort id=2" in result["msg"]
    assert result["results"][0]["status"] == "failed" and result["changed"] is False


def test_unknown_cohort_fails_the_task(capsys):
    answers = dict(GUIDE_ONLY, core_cohort_add_cohort_members=[lookup("add_cohort_nonexistent_cohort_id")])
    code, _sent = run(answers, cohort_id=999999, users=[{"id": 8}])
    result = result_of(capsys)
    assert code == 1 and "999999" in result["msg"] and result["error"] == "CohortNotFoundError"


def test_a_bad_users_item_fails_before_any_request(capsys):
    code, sent = run({}, cohort_id=1, users=[{"id": 8, "email": "a@b.c"}])
    assert code == 1 and sent == []
    assert "exactly one of id, username, email" in result_of(capsys)["msg"]


def test_exclusive_with_absent_is_refused(capsys):
    code, sent = run({}, cohort_id=1, users=[], state="absent", exclusive=True)
    assert code == 1 and sent == [] and "exclusive" in result_of(capsys)["msg"]
