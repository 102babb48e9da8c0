# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributing core_cohort_add_cohort_members warnings (item-less: docs/moodle-behaviour.md#cohort-add-warnings) to members."""

import pytest

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts import add_warnings as cw

from support.recorded import load_transcript


def warnings_of(name):
    return load_transcript(name)["body_parsed"]["warnings"]


@pytest.mark.parametrize(
    "name, kind, userid",
    [
        ("add_cohort_member_again", cw.WAS_MEMBER, 8),
        ("add_cohort_member_token_nocap_restonly", cw.WAS_MEMBER, 9),
        ("add_cohort_nonexistent_user_id", cw.USER_NOT_FOUND, 999999),
        ("add_cohort_nonexistent_cohort_id", cw.COHORT_NOT_FOUND, None),
        ("add_cohort_idnumber_wrong_case", cw.COHORT_NOT_FOUND, None),
        ("m2_add_cohort_unknown_idnumber", cw.COHORT_NOT_FOUND, None),
        ("add_cohort_invalid_type", cw.INVALID_ITEM, None),
        ("m2_add_cohort_usertype_email", cw.INVALID_ITEM, None),
    ],
)
def test_real_warnings_are_classified_and_name_the_user_id(name, kind, userid):
    warning = cw.parse_warning(warnings_of(name)[0])
    assert (warning.kind, warning.userid) == (kind, userid)


def test_already_member_with_a_cohort_idnumber_containing_id_is_read_from_the_end():
    warning = cw.parse_warning({"warningcode": "3", "message": "record already exists: cohort(idnumber=x id=5) id=8)"})
    assert (warning.kind, warning.userid) == (cw.WAS_MEMBER, 8)


def test_no_warnings_means_every_member_was_added():
    assert cw.attribute([8, 9], []) == {8: (cw.NO_WARNING, None), 9: (cw.NO_WARNING, None)}


def test_warnings_are_pinned_to_the_members_they_name_and_the_rest_were_added():
    raw = warnings_of("add_cohort_member_again") + warnings_of("add_cohort_nonexistent_user_id")
    outcome = cw.attribute([7, 8, 10, 999999], raw)
    assert {uid: kind for uid, (kind, _w) in outcome.items()} == {
        7: cw.NO_WARNING,
        8: cw.WAS_MEMBER,
        10: cw.NO_WARNING,
        999999: cw.USER_NOT_FOUND,
    }


def test_an_unreadable_warning_is_placed_by_order_when_its_stretch_has_one_member():
    raw = warnings_of("add_cohort_member_again") + [{"warningcode": "3", "message": "déjà membre"}]
    outcome = cw.attribute([8, 9], raw)
    assert outcome[8][0] == cw.WAS_MEMBER
    assert outcome[9][0] == cw.WAS_MEMBER and outcome[9][1].message == "déjà membre"


def test_an_unreadable_warning_among_several_members_is_ambiguous():
    outcome = cw.attribute([8, 9, 10], [{"warningcode": "3", "message": "déjà membre"}])
    assert [outcome[uid][0] for uid in (8, 9, 10)] == [cw.UNATTRIBUTED] * 3
    assert outcome[8][1][0].message == "déjà membre"


def test_a_cohort_warning_is_found_among_the_warnings():
    parsed = [cw.parse_warning(w) for w in load_transcript("add_cohort_batch_mixed")["body_parsed"]["warnings"]]
    assert cw.cohort_level(parsed).message == "cohort id=999999 not exists"
    assert cw.cohort_level([cw.parse_warning(w) for w in warnings_of("add_cohort_member_again")]) is None
