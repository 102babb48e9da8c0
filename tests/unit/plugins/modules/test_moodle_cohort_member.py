# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The moodle_cohort_member module end to end, run in-process against the simulated Moodle."""

import json
from unittest import mock

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import ADD_COHORT_MEMBERS
from ansible_collections.dsenroll.moodle.plugins.modules import moodle_cohort_member

from moodlesim.state import CAP_REST_USE, MANAGER
from support.module_args import run_main
from support.site import API_USER_ID, ENROLMENT_TOKEN, FULL_TOKEN

COHORT_ID = 1  # OneMembership, a system cohort of the seeded site
LEARNER_ID = 7  # existing.learner@example.com


def run(sim, check=False, diff=False, token=ENROLMENT_TOKEN, **args):
    params = dict(moodle_url=sim.url, moodle_token=token, retries=0, _ansible_check_mode=check, _ansible_diff=diff)
    params.update(args)
    code = run_main(moodle_cohort_member.main, params)
    return code


def result_of(capsys, token=ENROLMENT_TOKEN):
    out = capsys.readouterr().out
    assert token not in out
    return json.loads(out)


def test_guide_token_adds_a_user_by_email_exactly(capsys, moodle_sim):
    code = run(moodle_sim, cohort_id=COHORT_ID, users=["existing.learner@example.com"])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is True
    assert result["results"] == [
        {"email": "existing.learner@example.com", "id": LEARNER_ID, "status": "added", "msg": "added to the cohort"}
    ]
    assert result["cohort"] == {"id": COHORT_ID}
    assert moodle_sim.request_counts()[ADD_COHORT_MEMBERS] == 1
    assert LEARNER_ID in moodle_sim.cohort_members(COHORT_ID)


def test_guide_token_rerun_reports_no_change(capsys, moodle_sim):
    moodle_sim.add_cohort_member(COHORT_ID, LEARNER_ID)
    code = run(moodle_sim, cohort_id=COHORT_ID, users=[{"id": LEARNER_ID}])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is False and result["summary"]["member"] == 1


def test_full_token_sends_nothing_when_everyone_is_a_member(capsys, moodle_sim):
    # The diff names the members given by id, with one batched lookup.
    members = [moodle_sim.add_user("m%d" % n, "m%d@example.org" % n)["id"] for n in range(2)]
    for userid in members:
        moodle_sim.add_cohort_member(COHORT_ID, userid)
    code = run(moodle_sim, token=FULL_TOKEN, diff=True, cohort_id=COHORT_ID, users=[{"id": i} for i in members])
    result = result_of(capsys, FULL_TOKEN)
    assert code == 0 and result["changed"] is False
    assert ADD_COHORT_MEMBERS not in moodle_sim.request_counts()
    assert result["cohort"]["name"] == "OneMembership"
    named = ["m%d@example.org (id %d)" % (n, userid) for n, userid in enumerate(members)]
    assert result["diff"]["before"]["members"] == named == result["diff"]["after"]["members"]


def test_without_diff_mode_the_members_are_not_looked_up(capsys, moodle_sim):
    members = [moodle_sim.add_user("m%d" % n, "m%d@example.org" % n)["id"] for n in range(2)]
    for userid in members:
        moodle_sim.add_cohort_member(COHORT_ID, userid)
    moodle_sim.reset_counts()
    code = run(moodle_sim, token=FULL_TOKEN, cohort_id=COHORT_ID, users=[{"id": i} for i in members])
    result = result_of(capsys, FULL_TOKEN)
    assert code == 0 and "diff" not in result
    assert "core_user_get_users_by_field" not in moodle_sim.request_counts()


def test_check_mode_without_the_read_function_warns_and_reports_unknown(capsys, moodle_sim):
    # Captured at the source: once controller code is imported (other tests do), ansible-core sends
    # module warnings to Display rather than into the result.
    warned = []
    with mock.patch.object(AnsibleModule, "warn", lambda self, text, **kw: warned.append(text)):
        code = run(moodle_sim, check=True, cohort_id=COHORT_ID, users=[{"id": LEARNER_ID}])
    result = result_of(capsys)
    assert code == 0 and result["changed"] is True
    assert result["results"][0]["status"] == "unknown"
    assert ADD_COHORT_MEMBERS not in moodle_sim.request_counts()
    assert len(warned) == 1 and "add core_cohort_get_cohort_members" in warned[0]
    assert moodle_sim.cohort_members(COHORT_ID) == []


def test_missing_capability_fails_naming_it_and_the_cohort(capsys, moodle_sim):
    without_assign = (MANAGER - {"moodle/cohort:assign", "moodle/cohort:manage"}) | {CAP_REST_USE}
    moodle_sim.set_capabilities(API_USER_ID, capabilities=sorted(without_assign))
    code = run(moodle_sim, cohort_id=2, users=[{"id": LEARNER_ID}])
    result = result_of(capsys)
    assert code == 1 and result["failed"] is True
    assert "moodle/cohort:assign" in result["msg"] and "cohort id=2" in result["msg"]
    assert result["results"][0]["status"] == "failed" and result["changed"] is False
    assert moodle_sim.cohort_members(2) == []


def test_unknown_cohort_fails_the_task(capsys, moodle_sim):
    code = run(moodle_sim, cohort_id=999999, users=[{"id": LEARNER_ID}])
    result = result_of(capsys)
    assert code == 1 and "999999" in result["msg"] and result["error"] == "CohortNotFoundError"


def test_a_bad_users_item_fails_before_any_request(capsys, moodle_sim):
    code = run(moodle_sim, cohort_id=COHORT_ID, users=[{"id": 8, "email": "a@b.c"}])
    assert code == 1 and moodle_sim.request_counts() == {}
    assert "exactly one of id, username, email" in result_of(capsys)["msg"]


def test_exclusive_with_absent_is_refused(capsys, moodle_sim):
    code = run(moodle_sim, cohort_id=COHORT_ID, users=[], state="absent", exclusive=True)
    assert code == 1 and moodle_sim.request_counts() == {} and "exclusive" in result_of(capsys)["msg"]
