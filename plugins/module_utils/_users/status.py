# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The statuses of moodle_user's results: the one place they are spelled."""

CREATED, WOULD_CREATE, EXISTS = "created", "would_create", "exists"
UPDATED, WOULD_UPDATE = "updated", "would_update"
DELETED, WOULD_DELETE, ABSENT = "deleted", "would_delete", "absent"
FAILED = "failed"
STATUSES = (CREATED, WOULD_CREATE, EXISTS, UPDATED, WOULD_UPDATE, DELETED, WOULD_DELETE, ABSENT, FAILED)
CHANGED = frozenset((CREATED, WOULD_CREATE, UPDATED, WOULD_UPDATE, DELETED, WOULD_DELETE))

# The pending actions of a plan, what each becomes in check mode, and once done.
CREATE, UPDATE, DELETE = "create", "update", "delete"
WOULD = {CREATE: WOULD_CREATE, UPDATE: WOULD_UPDATE, DELETE: WOULD_DELETE}
DONE = {CREATE: CREATED, UPDATE: UPDATED, DELETE: DELETED}
