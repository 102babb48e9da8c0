# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny stateful Moodle behind ``responses`` for the moodle_user unit tests.

Every body it sends has the shape of a real one: success rows are built from recorded rows
(tests/fixtures/transcripts), and error bodies are the recorded bodies themselves, with only the
debuginfo's value changed to name the record at fault.
"""

import copy
import json
import re
from urllib.parse import parse_qsl

import requests
import responses

from recorded import ENDPOINT, body, load_transcript

FULL_SERVICE = frozenset((
    "core_user_get_users_by_field", "core_user_create_users", "core_user_get_users", "core_user_update_users",
    "core_user_delete_users",
))
GUIDE_SERVICE = frozenset(("core_user_get_users_by_field", "core_user_create_users",
                           "core_cohort_add_cohort_members"))
_USER_KEY = re.compile(r"^users\[(\d+)\]\[(\w+)\](?:\[(\d+)\]\[(\w+)\])?$")


def error_body(name, debuginfo=None):
    parsed = json.loads(body(name))
    if debuginfo is not None:
        parsed["debuginfo"] = debuginfo
    return json.dumps(parsed)


class FakeMoodle(object):
    """Users, a service's function list, and the behaviours of docs/moodle-behaviour.md that matter here."""

    def __init__(self, functions=GUIDE_SERVICE, visible=True, case_sensitive=True, debug=False):
        self.functions = set(functions)
        self.visible = visible
        self.case_sensitive = case_sensitive
        self.debug = debug
        self.template = load_transcript("lookup_email_existing")["body_parsed"][0]
        admin = load_transcript("lookup_admin_by_id_token_ok")["body_parsed"][0]
        self.users = {2: admin, 7: copy.deepcopy(self.template)}
        self.next_id = 100
        self.calls = []
        self.drop_after_commit = {}   # wsfunction -> how many answers to lose after committing
        self.fail_next = {}           # wsfunction -> list of raw bodies to answer instead

    # -- state -------------------------------------------------------------------------------
    def add_user(self, email, username=None, **fields):
        user = copy.deepcopy(self.template)
        user.pop("idnumber", None)
        user.update({"id": self.next_id, "email": email, "username": username or email.lower(),
                     "firstname": "Lab", "lastname": "User", "fullname": "Lab User"})
        user.update(fields)
        self.users[self.next_id] = user
        self.next_id += 1
        return user

    def by_email(self, email):
        return [u for u in self.users.values() if u["email"].lower() == email.lower()]

    def count(self, wsfunction):
        return sum(1 for fn, _fields in self.calls if fn == wsfunction)

    # -- HTTP --------------------------------------------------------------------------------
    def install(self, mock=responses):
        """Answer every POST of ``mock`` (the default ``responses`` mock, or a RequestsMock)."""
        mock.add_callback(responses.POST, ENDPOINT, callback=self._callback)
        return self

    def _callback(self, request):
        pairs = parse_qsl(request.body, keep_blank_values=True)
        fields = dict(pairs)
        fn = fields["wsfunction"]
        self.calls.append((fn, pairs))
        if fn not in self.functions:
            return self._answer(body("wsfunction_not_in_service"))
        if self.fail_next.get(fn):
            return self._answer(self.fail_next[fn].pop(0))
        answer = getattr(self, fn)(fields, pairs)
        if self.drop_after_commit.get(fn):
            self.drop_after_commit[fn] -= 1
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return self._answer(answer)

    @staticmethod
    def _answer(text):
        return (200, {"Content-Type": "application/json"}, text if isinstance(text, str) else json.dumps(text))

    def _error(self, name, debuginfo):
        return error_body(name + "__debug" if self.debug else name, debuginfo if self.debug else None)

    # -- functions ---------------------------------------------------------------------------
    def core_user_get_users_by_field(self, fields, pairs):
        field = fields["field"]
        values = [v for k, v in pairs if k.startswith("values[")]
        if not self.visible:
            return body("lookup_admin_by_id_token_nocap_restonly")
        found = []
        for user in sorted(self.users.values(), key=lambda u: u["id"]):
            have = str(user.get(field, ""))
            if field == "email" and not self.case_sensitive:
                hit = any(have.lower() == v.lower() for v in values)
            else:
                hit = have in values
            if hit:
                found.append(user)
        return found

    def core_user_get_users(self, fields, pairs):
        pattern = fields["criteria[0][value]"].replace("\\_", "_").replace("\\%", "%").replace("\\\\", "\\")
        return {"users": self.by_email(pattern), "warnings": []}

    def core_user_create_users(self, fields, pairs):
        users = {}
        for key, value in pairs:
            match = _USER_KEY.match(key)
            if match and not match.group(3):
                users.setdefault(int(match.group(1)), {})[match.group(2)] = value
        batch = [users[i] for i in sorted(users)]
        taken_usernames = set(u["username"] for u in self.users.values())
        taken_emails = set(u["email"].lower() for u in self.users.values())
        for user in batch:  # all-or-nothing (docs/moodle-behaviour.md#create-transaction)
            if user["username"] in taken_usernames:
                return self._error("create_batch3_one_duplicate_username", "Username already exists: " + user["username"])
            if user["email"].lower() in taken_emails:
                return self._error("create_batch3_one_duplicate_email", "Email address already exists: " + user["email"])
            if user.get("password") == "weak":
                return body("create_password_policy_violation")
            taken_usernames.add(user["username"])
            taken_emails.add(user["email"].lower())
        rows = []
        for user in batch:
            created = self.add_user(user["email"], user["username"], firstname=user["firstname"],
                                    lastname=user["lastname"])
            rows.append({"id": created["id"], "username": created["username"]})
        return rows

    def core_user_update_users(self, fields, pairs):
        users = {}
        for key, value in pairs:
            match = _USER_KEY.match(key)
            if match and not match.group(3):
                users.setdefault(int(match.group(1)), {})[match.group(2)] = value
        warnings = []
        for change in (users[i] for i in sorted(users)):
            userid = int(change.pop("id"))
            if userid not in self.users:
                warnings.append({"item": "user", "itemid": userid, "warningcode": "invaliduserid",
                                 "message": "Invalid user ID"})
                continue
            self.users[userid].update(change)
        return {"warnings": warnings}

    def core_user_delete_users(self, fields, pairs):
        ids = [int(v) for k, v in pairs if k.startswith("userids[")]
        for userid in ids:
            if userid == 2:
                return body("m2_delete_users_admin")
            if userid not in self.users:
                return body("m2_delete_users_unknown")
        for userid in ids:
            del self.users[userid]
        return body("m2_delete_users_ok")
