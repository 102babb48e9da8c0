# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of one check's result, shared by the site checks and the local checks."""

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"


def check(check_id, status, summary, remediation=""):
    return {"id": check_id, "status": status, "summary": summary, "remediation": remediation}


def sentence(text):
    return text[0].upper() + text[1:] + "."
