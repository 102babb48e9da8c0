# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's strip_tags behaves like PHP 8's, which Moodle's PARAM_NOTAGS uses on names."""

import pytest

from moodlesim.php import strip_tags


@pytest.mark.parametrize(
    "given, php",
    [
        ("I <3 you", "I "),  # '<' followed by a non-space opens a tag, even without a letter
        ("Lee<3", "Lee"),
        ("Anne<b>", "Anne"),
        ("<b>bold</b> text", "bold text"),
        ("a < b", "a < b"),  # '<' followed by whitespace is text
        ("x\x00y", "xy"),  # NUL bytes are dropped
        ("trailing<", "trailing"),
        ("O'Brien, Jr.", "O'Brien, Jr."),
    ],
)
def test_strip_tags_matches_php(given, php):
    assert strip_tags(given) == php
