# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The statuses of a cohort membership task's results: the one place they are spelled."""

ADDED, WOULD_ADD, MEMBER = "added", "would_add", "member"
REMOVED, WOULD_REMOVE, NOT_MEMBER = "removed", "would_remove", "not_member"
FAILED, UNKNOWN = "failed", "unknown"
STATUSES = (ADDED, WOULD_ADD, MEMBER, REMOVED, WOULD_REMOVE, NOT_MEMBER, FAILED, UNKNOWN)
# Statuses that make the task changed: ``unknown`` too, since the change may have happened.
CHANGING = frozenset((ADDED, WOULD_ADD, REMOVED, WOULD_REMOVE, UNKNOWN))
