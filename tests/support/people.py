# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""People of the tests: cohort people given by id, and names with accents, apostrophes, commas and quotes."""

from ansible_collections.dsenroll.moodle.plugins.module_utils._cohorts.people import parse_users

FIRST = ["Zoé", "Seán", "Björn", "Ana-María", "François", "Chloë"]
LAST = ["Lefèvre", "O'Brien", "Smith, Jr.", "Ångström", "D'Arcy", 'Núñez "Tito"']


def people_with_ids(*ids):
    """The cohort people of a task whose ``users`` gives each user by id."""
    return parse_users([{"id": uid} for uid in ids])
