# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this Moodle site set up for enrolment? The readiness checks behind moodle_ws_info.

Pure Moodle semantics over a MoodleClient: every call here is a read or a probe that Moodle must
reject before it could write anything (each probe says why in a comment). The checks come in a
fixed order, each ``{id, status, summary, remediation}`` with status pass, fail, warn or skip.
"""

import re

from urllib.parse import urlsplit

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks.result import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    check,
    sentence,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client import errors
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import (
    ROLES,
    SERVICE,
    TOKENS,
    WS_ADMIN,
    function_hint,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import (
    ADD_COHORT_MEMBERS,
    CREATE_USERS,
    ENROLMENT_FUNCTIONS,
    GET_COHORTS,
    GET_USERS_BY_FIELD,
    SITE_INFO,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._users.lookup import (
    UsersNotVisibleError,
    prove_email_visibility,
)

# A parameter no web service function declares: Moodle's server validates the parameters against the
# function's description *after* the access checks and *before* it runs the function, and refuses
# unknown keys ("Unexpected keys": docs/moodle-behaviour.md#probes-that-cannot-write). So a call carrying it proves access and can
# never run, let alone write, whatever the function is.
PROBE_KEY = "dsenroll_preflight_probe"
CAPABILITY_CREATE = "moodle/user:create"

FIX_REST_USE = (
    "give the API user the capability webservice/rest:use, which no role has by default (not even Manager) and "
    "no web services set-up screen grants: %s > Add a new role with webservice/rest:use allowed, then Site administration > "
    "Users > Permissions > Assign system roles > that role: add the API user" % ROLES
)
FIX_IP = (
    "the token's IP restriction must include the address Moodle sees for this host (behind a proxy, Moodle may see "
    "the proxy): at %s create a new token with the right IP restriction (or none) and delete the old one; also "
    "check the user's IP restriction at %s > %s > Authorised users" % (TOKENS, WS_ADMIN, SERVICE)
)
FIX_AUTHORISED = "add the API user at %s > %s > Authorised users" % (WS_ADMIN, SERVICE)
FIX_SERVICE = (
    "at %s > %s > Edit: tick Enabled, clear Required capability (or grant it), and under Functions add the "
    "required functions" % (WS_ADMIN, SERVICE)
)
FIX_EXPIRED = (
    "Moodle deletes an expired token the first time it is used, so it cannot be renewed: create a new token at %s "
    "(Valid until empty or later) and put it in MOODLE_TOKEN" % TOKENS
)

_DEBUG_IP = re.compile(r"IP:\s*([^\s]+)")


class Answer(object):
    """What one call gave back: a result, or a MoodleError (already scrubbed of the token)."""

    def __init__(self, result=None, error=None):
        self.result = result
        self.error = error

    @property
    def errorcode(self):
        return getattr(self.error, "errorcode", None)

    @property
    def debuginfo(self):
        return getattr(self.error, "debuginfo", None) or ""

    @property
    def reached_function(self):
        """True when Moodle let the call past its access checks (it may still have refused the input).

        docs/moodle-behaviour.md#access-checks: token, IP, rest:use and the service's functions are checked first;
        anything after that (a capability, a parameter, a result) proves the function is callable.
        """
        if self.error is None or isinstance(self.error, UsersNotVisibleError):
            return True
        if not isinstance(self.error, errors.MoodleAPIError):
            return False
        # A probe stops before the function's body, so a missing record can only be the function itself; Moodle
        # 5.0 does not say which record unless debugging is on (docs/moodle-behaviour.md#releases-and-databases).
        return not (isinstance(self.error, errors.ACCESS_ERRORS) or errors.is_unnamed_missing_record(self.error))


class ProbeAnswers(object):
    """The answers to the calls and probes of one assessment: each is made at most once, then its answer is kept."""

    def __init__(self, client, probe_capabilities=True, cohort=None):
        self.client = client
        self.probe_capabilities = probe_capabilities
        self.cohort = cohort  # (type, value) of the target cohort, or None
        self._by_key = {}
        # Errorcodes in call order: an accessexception followed by invalidtoken is an expired token
        # that Moodle deleted on the first call (docs/moodle-behaviour.md#expired-tokens).
        self.errorcodes = []

    def _once(self, key, call):
        if key not in self._by_key:
            try:
                answer = Answer(result=call())
            except errors.MoodleError as exc:
                answer = Answer(error=exc)
            self._by_key[key] = answer
            self.errorcodes.append(answer.errorcode)
        return self._by_key[key]

    def site_info(self):
        return self._once(SITE_INFO, lambda: self.client.call(SITE_INFO))

    def visibility(self):
        # docs/moodle-behaviour.md#visibility: look up user id 2 (the admin, present on every site); a token that cannot
        # see other users gets [] and would get [] for every e-mail lookup too. A read: nothing to undo.
        return self._once(GET_USERS_BY_FIELD, lambda: prove_email_visibility(self.client))

    def create_probe(self):
        # docs/moodle-behaviour.md#probes-that-cannot-write: core_user_create_users checks moodle/user:create before
        # its loop (nopermissions without it); the loop's first test refuses a blank username
        # (invalidparameter) before the username lookup and before user_create_user, and the delegated
        # transaction is rolled back. So the answer tells the capability and nothing can be created.
        user = {
            "username": "",
            "firstname": "Preflight",
            "lastname": "Probe",
            "email": "preflight.probe@example.invalid",
            "createpassword": 1,
        }
        return self._once(CREATE_USERS, lambda: self.client.call(CREATE_USERS, {"users": [user]}))

    def key_probe(self, wsfunction):
        return self._once(("key", wsfunction), lambda: self.client.call(wsfunction, {PROBE_KEY: 1}))

    def function_probe(self, wsfunction):
        """The cheapest call that proves whether ``wsfunction`` is callable with this token."""
        if wsfunction == GET_USERS_BY_FIELD:
            return self.visibility()
        if wsfunction == CREATE_USERS and self.probe_capabilities:
            return self.create_probe()
        if wsfunction == ADD_COHORT_MEMBERS and self.probe_capabilities and self.cohort is not None:
            # The cohort probe reaches the function as the key probe does, and the cohort check asks it anyway:
            # one question answers both.
            return self.cohort_probe(*self.cohort)
        return self.key_probe(wsfunction)

    def cohort_probe(self, cohort_type, value):
        # cohort/externallib.php add_cohort_members, per member: (1) type checks, (2) the cohort is looked
        # up, warning "2" "cohort <type>=<value> not exists" if absent, (3) the user is looked up, warning
        # "2" "user id=0 not exists" (ids start at 1), and only then capability and cohort_add_member.
        # So the answer says whether the cohort exists and the loop never reaches the insert. These
        # messages are built in code, not translated, so they are a stable marker.
        member = {"cohorttype": {"type": cohort_type, "value": value}, "usertype": {"type": "id", "value": 0}}
        return self._once(
            ("cohort", cohort_type, str(value)), lambda: self.client.call(ADD_COHORT_MEMBERS, {"members": [member]})
        )

    def get_cohorts(self, cohortids):
        params = {"cohortids": list(cohortids)} if cohortids else {}
        return self._once(("get_cohorts", tuple(cohortids)), lambda: self.client.call(GET_COHORTS, params))

    def saw_expiry(self):
        codes = self.errorcodes
        return "invalidtoken" in codes and "accessexception" in codes[: codes.index("invalidtoken")]


class Assessment(object):
    """Runs the checks in order; each stage may stop the ones after it (they are then skipped)."""

    def __init__(
        self,
        client,
        required_functions=ENROLMENT_FUNCTIONS,
        cohort_id=None,
        cohort_idnumber=None,
        probe_capabilities=True,
        validate_certs=True,
        ca_path=None,
    ):
        self.url = client.url
        self.required = list(dict.fromkeys(required_functions))
        self.cohort = (
            ("id", cohort_id) if cohort_id is not None else (("idnumber", cohort_idnumber) if cohort_idnumber else None)
        )
        self.answers = ProbeAnswers(client, probe_capabilities, self.cohort)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.checks = []
        self.blocked_by = None
        self.site = {}
        self.functions = None  # exact list from site info; None when not readable
        self.callable = []  # functions proven callable by probing

    # -- bookkeeping -----------------------------------------------------------------------------
    def add(self, check_id, status, summary, remediation=""):
        self.checks.append(check(check_id, status, summary, remediation))
        if status == FAIL and self.blocked_by is None and check_id in _BLOCKING:
            self.blocked_by = check_id

    def add_or_skip(self, check_id, produce):
        if self.blocked_by:
            self.add(check_id, SKIP, "not checked: %s failed" % self.blocked_by)
        else:
            self.add(check_id, *produce())

    def status(self, check_id):
        for item in self.checks:
            if item["id"] == check_id:
                return item["status"]
        return None

    # -- the run ---------------------------------------------------------------------------------
    def run(self):
        first = self.answers.site_info()
        self.connection_checks(first)
        self.add_or_skip("token", lambda: self.token_check(first))
        self.add_or_skip("service_access", lambda: self.service_access_check(first))
        for name in self.required:
            self.add_or_skip("function:%s" % name, lambda name=name: self.function_check(name))
        self.add_or_skip("user_visibility", self.visibility_check)
        self.add_or_skip("capability:%s" % CAPABILITY_CREATE, self.create_capability_check)
        self.add_or_skip("cohort", self.cohort_check)
        self.add_or_skip("least_privilege", self.least_privilege_check)
        failed = [c for c in self.checks if c["status"] == FAIL]
        return {
            "ready": not failed,
            "checks": self.checks,
            "site": self.site,
            "functions": sorted(self.functions) if self.functions is not None else sorted(self.callable),
            "missing_functions": [n for n in self.required if self.status("function:%s" % n) == FAIL],
        }

    # -- endpoint, transport, webservices_rest -----------------------------------------------------
    def connection_checks(self, first):
        err = first.error
        https = urlsplit(self.url).scheme == "https"
        if isinstance(err, errors.TransportError):
            self.add("endpoint", FAIL, err.message, err.remediation)
            if err.kind == "tls":
                self.add(
                    "transport",
                    FAIL,
                    "the TLS handshake failed: the certificate is not valid for this host "
                    "or not signed by a trusted CA",
                    err.remediation,
                )
            else:
                self.add("transport", SKIP, "not checked: nothing answered")
            self.add("webservices_rest", SKIP, "not checked: endpoint failed")
            return
        if isinstance(err, errors.WebServicesDisabledError):
            self.add("endpoint", PASS, "%s answers (HTTP 403 with an empty body)" % self.url)
            self.add("transport", *self.transport_check(https))
            self.add(
                "webservices_rest",
                FAIL,
                "HTTP 403 with an empty body: web services or the REST protocol is disabled",
                err.remediation,
            )
            return
        if isinstance(err, errors.MaintenanceError):
            self.add(
                "endpoint",
                FAIL,
                "the site is in maintenance mode: web services refuse everyone but site administrators",
                err.remediation,
            )
        elif isinstance(err, (errors.HTTPStatusError, errors.NotMoodleResponseError)):
            self.add("endpoint", FAIL, err.message, self.endpoint_remediation(err))
        else:
            self.add("endpoint", PASS, "%s answers as a Moodle web service endpoint" % self.url)
        self.add("transport", *self.transport_check(https))
        if isinstance(err, (errors.HTTPStatusError, errors.NotMoodleResponseError)):
            self.add("webservices_rest", SKIP, "not checked: endpoint failed")
        else:
            self.add("webservices_rest", PASS, "web services and the REST protocol are enabled")

    @staticmethod
    def endpoint_remediation(err):
        status = getattr(err, "http_status", None)
        if status in (301, 302, 303, 307, 308):
            return (
                "moodle_url is redirected (HTTP %s): use the site's final address, its wwwroot (usually the "
                "https:// one), in MOODLE_BASE_URL." % status
            )
        if status == 404:
            return (
                "No web service endpoint at this address: moodle_url must be the site's root (wwwroot), "
                "e.g. https://moodle.example.org, not a page or a course URL."
            )
        return err.remediation

    def transport_check(self, https):
        if not https:
            return (
                WARN,
                "http: the token travels unencrypted",
                "Serve Moodle over https (wwwroot in config.php) and use the https:// address in MOODLE_BASE_URL.",
            )
        if not self.validate_certs and not self.ca_path:
            return (
                WARN,
                "https, but the certificate is not verified (validate_certs is false)",
                "Keep validate_certs true; for an internal CA give its bundle in ca_path.",
            )
        return (PASS, "https with a valid certificate%s" % (" (CA bundle from ca_path)" if self.ca_path else ""), "")

    # -- token and service_access ------------------------------------------------------------------
    def token_check(self, first):
        err = first.error
        if isinstance(err, errors.InvalidTokenError):
            return (
                FAIL,
                "Moodle does not know this token: mistyped, deleted, or expired (Moodle deletes an expired "
                "token the first time it is used, so an expired token reads as unknown from then on)",
                err.remediation,
            )
        if "token expired" in first.debuginfo:
            return FAIL, "the token expired (Moodle has now deleted it)", sentence(FIX_EXPIRED)
        if err is None:
            self.read_site(first.result)
            return PASS, "Moodle accepts the token (user %s)" % self.site.get("username"), ""
        if isinstance(err, errors.AccessDeniedError):
            # Probe the required functions now: a refused site info says nothing yet, and the second
            # call tells an expired token (now deleted: invalidtoken) from a refused one.
            for name in self.required or [SITE_INFO]:
                answer = self.answers.function_probe(name) if name != SITE_INFO else self.answers.key_probe(name)
                if self.answers.saw_expiry():
                    return (
                        FAIL,
                        "the token expired: Moodle refused the first call and deleted the token, so the "
                        "next call was refused as an unknown token",
                        sentence(FIX_EXPIRED),
                    )
                if answer.reached_function:
                    break
            return PASS, "Moodle knows the token and it has not expired", ""
        return PASS, "Moodle knows the token", ""

    def read_site(self, info):
        for key in ("sitename", "release", "version", "username", "userid", "userissiteadmin"):
            if key in info:
                self.site[key] = info[key]
        self.functions = [f.get("name") for f in info.get("functions") or [] if f.get("name")]

    def service_access_check(self, first):
        err = first.error
        if err is None:
            return (
                PASS,
                "%s may use the token's service (core_webservice_get_site_info answered)" % self.site.get("username"),
                "",
            )
        if isinstance(err, errors.ApiUserRefusedError):
            return FAIL, "Moodle refuses the API user: %s" % err.message, err.remediation
        probes = [(n, self.answers.function_probe(n)) for n in self.required]
        for name, answer in probes:
            if answer.reached_function:
                self.callable.append(name)
        if self.callable:
            return (
                PASS,
                "the token's user may use its service: %s answered, so the token, its IP restriction and "
                "webservice/rest:use are fine" % self.callable[0],
                "",
            )
        answers = [first] + [a for _n, a in probes]
        return self.access_denied(answers)

    def access_denied(self, answers):
        """Every call was refused with accessexception: say which causes remain, most likely first."""
        debuginfo = " ".join(a.debuginfo for a in answers)
        if "webservice/rest:use" in debuginfo or "rest protocol" in debuginfo:
            return (FAIL, "the API user lacks webservice/rest:use (Moodle's debuginfo says so)", sentence(FIX_REST_USE))
        match = _DEBUG_IP.search(debuginfo)
        if match:
            return (
                FAIL,
                "the token's IP restriction does not match: Moodle sees this host as %s (debuginfo)"
                % match.group(1).rstrip(".,"),
                sentence(FIX_IP),
            )
        if "is not allowed" in debuginfo:
            # With debugging on, rest:use and IP problems name themselves; this message means the
            # user/service pair offers none of these functions.
            causes = [FIX_AUTHORISED, FIX_SERVICE]
            summary = (
                'Moodle refuses every function for this user and service (debuginfo: "Access to the function '
                '... is not allowed"): the user is not an authorised user of the service, or the service '
                "is disabled or lacks every required function"
            )
        else:
            causes = [FIX_REST_USE, FIX_IP, FIX_AUTHORISED, FIX_SERVICE]
            summary = (
                'Moodle refuses every call with "Access control exception"; without debuginfo the possible '
                "causes, most likely first: no webservice/rest:use, IP restriction not matched, user not "
                "authorised for the service, service disabled or without the functions"
            )
        remediation = " ".join("(%d) %s" % (i + 1, sentence(c)) for i, c in enumerate(causes))
        return FAIL, summary, remediation

    # -- functions -----------------------------------------------------------------------------
    def function_check(self, name):
        if self.functions is not None:
            if name in self.functions:
                return PASS, "in the token's service", ""
            return FAIL, "not in the token's service", function_hint(name) + "."
        answer = self.answers.function_probe(name)
        if answer.reached_function:
            return PASS, "in the token's service (a probe that cannot write reached it)", ""
        if isinstance(answer.error, errors.UnknownFunctionError) or errors.is_unnamed_missing_record(answer.error):
            return (
                FAIL,
                "Moodle has no function of this name",
                "Check the name in required_functions against the Moodle release's web service functions.",
            )
        if isinstance(answer.error, errors.AccessDeniedError):
            return (
                FAIL,
                "not in the token's service (Moodle refused it while other functions answered)",
                function_hint(name) + ".",
            )
        return WARN, "could not be checked: %s" % answer.error, getattr(answer.error, "remediation", "")

    # -- what the token's user may see and do --------------------------------------------------
    def visibility_check(self):
        if GET_USERS_BY_FIELD not in self.required:
            return SKIP, "not checked: %s is not required" % GET_USERS_BY_FIELD
        if not self.callable_now(GET_USERS_BY_FIELD):
            return SKIP, "not checked: the token cannot call %s" % GET_USERS_BY_FIELD
        answer = self.answers.visibility()
        if isinstance(answer.error, UsersNotVisibleError):
            return (
                FAIL,
                "the token cannot see other users' e-mail addresses: e-mail lookups would find nobody "
                "and enrolment would create duplicates",
                answer.error.remediation,
            )
        if answer.error is not None:
            return WARN, "could not be checked: %s" % answer.error, getattr(answer.error, "remediation", "")
        return PASS, "the token can see other users and their e-mail addresses", ""

    def callable_now(self, name):
        # Every required function has its check by now (run() adds them before the checks that ask).
        return self.status("function:%s" % name) == PASS

    def create_capability_check(self):
        if CREATE_USERS not in self.required:
            return SKIP, "not checked: %s is not required" % CREATE_USERS
        if not self.answers.probe_capabilities:
            return SKIP, "not checked: probe_capabilities is false"
        if not self.callable_now(CREATE_USERS):
            return SKIP, "not checked: the token cannot call %s" % CREATE_USERS
        answer = self.answers.create_probe()
        if isinstance(answer.error, errors.MissingCapabilityError):
            return (
                FAIL,
                "the API user lacks %s: every user creation would fail" % CAPABILITY_CREATE,
                "%s: allow %s in the API user's role (Manager has it), or assign it a role that has it at "
                "Site administration > Users > Permissions > Assign system roles." % (ROLES, CAPABILITY_CREATE),
            )
        if isinstance(answer.error, errors.InvalidParameterError):
            return (
                PASS,
                "the API user may create users (a probe with a blank username passed the capability check "
                "and was refused before any insert)",
                "",
            )
        if answer.error is None:
            return WARN, "unexpected answer to the create probe: %r" % (answer.result,), ""
        return WARN, "could not be checked: %s" % answer.error, getattr(answer.error, "remediation", "")

    def cohort_check(self):
        if self.cohort is None:
            return SKIP, "not checked: no target cohort given (cohort_id or cohort_idnumber)"
        kind, value = self.cohort
        label = "cohort %s=%s" % (kind, value)
        missing = (
            FAIL,
            "%s does not exist" % label,
            "Check the cohort at Site administration > Users > Accounts > Cohorts (All cohorts): its id is in "
            "the edit link (cohort/edit.php?id=N); create it there or fix MOODLE_ONEMEMBERSHIP_COHORT_ID.",
        )
        if self.functions is None or GET_COHORTS in self.functions:
            answer = self.answers.get_cohorts([value] if kind == "id" else [])
            if answer.error is None:
                for cohort in answer.result or []:
                    if str(cohort.get(kind)) == str(value):
                        return (
                            PASS,
                            '%s exists: "%s" (id %s, idnumber %s)'
                            % (label, cohort.get("name"), cohort.get("id"), cohort.get("idnumber") or "-"),
                            "",
                        )
                return missing
        if not self.answers.probe_capabilities:
            return SKIP, "not checked: no readable cohort function and probe_capabilities is false"
        if ADD_COHORT_MEMBERS not in self.required or not self.callable_now(ADD_COHORT_MEMBERS):
            return SKIP, "not checked: the token can neither read cohorts nor call %s" % ADD_COHORT_MEMBERS
        answer = self.answers.cohort_probe(kind, value)
        warnings = (answer.result or {}).get("warnings") if answer.error is None else None
        messages = [str(w.get("message", "")) for w in warnings or [] if str(w.get("warningcode")) == "2"]
        if any(m.startswith("cohort ") for m in messages):
            return missing
        if any(m.startswith("user ") for m in messages):
            return PASS, "%s exists (core_cohort_add_cohort_members found it)" % label, ""
        detail = answer.error if answer.error is not None else answer.result
        return WARN, "could not be checked: unexpected answer %s" % (detail,), ""

    def least_privilege_check(self):
        if self.functions is None:
            return (
                SKIP,
                "not checked: core_webservice_get_site_info is not in the service, so the token's user and "
                "functions cannot be listed",
                "To let this check run, %s." % function_hint(SITE_INFO),
            )
        problems, fixes = [], []
        if self.site.get("userissiteadmin"):
            problems.append(
                "the token's user %s is a site administrator, who passes every capability check"
                % self.site.get("username")
            )
            fixes.append(
                "Create a dedicated API user (Site administration > Users > Accounts > Add a new user) with "
                "only the roles it needs, and a token for it at %s." % TOKENS
            )
        # core_webservice_get_site_info only reads the caller's own profile: recommended, not extra.
        extra = sorted(set(self.functions) - set(self.required) - set([SITE_INFO]))
        if extra:
            problems.append("the service exposes functions beyond required_functions: %s" % ", ".join(extra))
            fixes.append("%s > %s > Functions: remove %s." % (WS_ADMIN, SERVICE, ", ".join(extra)))
        if problems:
            return WARN, "; ".join(problems), " ".join(fixes)
        return PASS, "a non-admin user and no functions beyond the required ones", ""


# A failure of these stops every later check.
_BLOCKING = ("endpoint", "webservices_rest", "token", "service_access")


def assess(
    client,
    required_functions=ENROLMENT_FUNCTIONS,
    cohort_id=None,
    cohort_idnumber=None,
    probe_capabilities=True,
    validate_certs=True,
    ca_path=None,
):
    """Run every check against the site behind ``client``; return ``{ready, checks, site, functions,
    missing_functions}``. Never raises for Moodle's answers: each becomes a check."""
    return Assessment(
        client, required_functions, cohort_id, cohort_idnumber, probe_capabilities, validate_certs, ca_path
    ).run()
