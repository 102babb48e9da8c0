# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What can go wrong when talking to Moodle, as typed errors keyed on ``errorcode``.

docs/moodle-behaviour.md#error-envelope: Moodle answers errors with HTTP 200 and ``{exception, errorcode, message
[, debuginfo]}``. Messages are translated and exception classes are namespaced from 4.5 on, so
classification uses ``errorcode`` only. Each error carries a ``remediation`` that tells the
operator what to change in Moodle and where.
"""

import re

from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import TOKENS, USERS, WS_ADMIN


class MoodleError(Exception):
    """Base class. ``str()`` is safe to show: the client scrubs the token before raising."""

    remediation = ""

    def __init__(self, message, wsfunction=None, remediation=None):
        super(MoodleError, self).__init__(message)
        self.message = message
        self.wsfunction = wsfunction
        if remediation is not None:
            self.remediation = remediation

    def __str__(self):
        text = self.message
        if self.wsfunction:
            text = "%s: %s" % (self.wsfunction, text)
        return text

    def to_result(self):
        """Facts for ``fail_json``/results: never contains the token (scrubbed on creation)."""
        result = {"error": type(self).__name__, "remediation": self.remediation}
        for name in ("wsfunction", "errorcode", "debuginfo", "http_status", "kind"):
            value = getattr(self, name, None)
            if value is not None:
                result[name] = value
        return result


class TransportError(MoodleError):
    """The request did not get an HTTP answer (DNS, TLS, refused, reset, timeout)."""

    def __init__(self, message, kind, wsfunction=None, sent=True):
        super(TransportError, self).__init__(message, wsfunction)
        self.kind = kind
        # False when the failure happened before any byte of the request left (safe to resend).
        self.sent = sent
        self.remediation = {
            "dns": "Check moodle_url (MOODLE_BASE_URL): the host name does not resolve.",
            "tls": "The TLS handshake failed: fix the site's certificate, or give its CA bundle in ca_path.",
            "connect": "Nothing answered at moodle_url: check the URL, the port and any firewall in between.",
            "timeout": "Moodle did not answer in time: raise timeout, or look at the site's load.",
        }.get(kind, "The connection to Moodle broke: check the network path and the web server's logs.")


class RequestTooLargeError(MoodleError):
    remediation = "Raise max_input_vars to the site's PHP max_input_vars (Moodle requires 5000 on PHP 8)."


class InputTruncatedError(MoodleError):
    """PHP dropped the tail of the request: the site's max_input_vars is lower than the client's."""

    remediation = (
        "Set max_input_vars to the Moodle site's PHP max_input_vars (php.ini; Moodle requires 5000 on PHP 8), "
        "or lower: the site accepted fewer form fields than this request had."
    )


class OutcomeUnknownError(MoodleError):
    """A write was sent but its answer was lost: it may or may not have committed.

    Never retried blindly (docs/moodle-behaviour.md#lost-answers): the caller reconciles by reading.
    """

    remediation = "Look the records up again before retrying: the write may have been committed."

    def __init__(self, message, wsfunction=None, cause=None, remediation=None):
        super(OutcomeUnknownError, self).__init__(message, wsfunction, remediation)
        self.cause = cause


class HTTPStatusError(MoodleError):
    """An HTTP status other than 200 (a proxy error, a PHP fatal error...)."""

    def __init__(self, message, http_status, excerpt="", wsfunction=None):
        super(HTTPStatusError, self).__init__(message, wsfunction)
        self.http_status = http_status
        self.excerpt = excerpt
        self.remediation = "Check the web server and PHP error logs of the Moodle site (HTTP %s)." % http_status


class WebServicesDisabledError(HTTPStatusError):
    """HTTP 403 with an empty body: web services or the REST protocol is off (docs/moodle-behaviour.md#web-services-disabled)."""

    remediation = (
        "Enable web services at Site administration > Advanced features > Enable web services, "
        "and the REST protocol at %s > Manage protocols (Moodle answers both with the same empty HTTP 403)." % WS_ADMIN
    )

    def __init__(self, wsfunction=None):
        super(WebServicesDisabledError, self).__init__(
            "Moodle refused the call with HTTP 403 and an empty body: web services or the REST protocol is disabled",
            403,
            "",
            wsfunction,
        )
        self.remediation = WebServicesDisabledError.remediation


class NotMoodleResponseError(MoodleError):
    """HTTP 200 but not a web service answer: a login page, a maintenance page, another site."""

    def __init__(self, message, http_status, content_type, excerpt, wsfunction=None):
        super(NotMoodleResponseError, self).__init__(message, wsfunction)
        self.http_status = http_status
        self.content_type = content_type
        self.excerpt = excerpt
        self.remediation = (
            "moodle_url must be the site's root (wwwroot), the address Moodle itself uses, e.g. "
            "https://moodle.example.org; the client appends /webservice/rest/server.php."
        )


class MoodleAPIError(MoodleError):
    """An error envelope returned by Moodle."""

    remediation = (
        "Moodle rejected the call; the errorcode and message say why. For details, turn developer debugging on "
        "(Site administration > Development > Debugging) so that Moodle adds debuginfo."
    )

    def __init__(self, errorcode, message, exception=None, debuginfo=None, wsfunction=None):
        super(MoodleAPIError, self).__init__(message, wsfunction)
        self.errorcode = errorcode
        self.exception = exception
        self.debuginfo = debuginfo

    def __str__(self):
        text = "%s (%s)" % (self.message, self.errorcode)
        if self.debuginfo:
            text += ": %s" % self.debuginfo.strip()
        if self.wsfunction:
            text = "%s: %s" % (self.wsfunction, text)
        return text


class InvalidTokenError(MoodleAPIError):
    remediation = (
        "The token is unknown to Moodle (mistyped, deleted, or an expired token that Moodle deleted on first use). "
        "Create a new token at %s and put it in MOODLE_TOKEN." % TOKENS
    )


class AccessDeniedError(MoodleAPIError):
    # Without debuginfo these causes all read "Access control exception" (docs/moodle-behaviour.md#access-checks).
    remediation = (
        "Moodle refused access. Possible causes, most likely first: the function is not in the token's service "
        "(%s > External services > <service> > Functions); the API user lacks the capability webservice/rest:use "
        "(Site administration > Users > Permissions > Define roles); the API user is not an authorised user of the "
        "service (External services > <service> > Authorised users); the token expired (Moodle then deletes it: "
        "create a new one at %s); the token's IP restriction does not match this host." % (WS_ADMIN, TOKENS)
    )


class MissingCapabilityError(MoodleAPIError):
    remediation = (
        "The API user's role lacks a capability this call needs (the message names it). Grant it at "
        "Site administration > Users > Permissions > Define roles, in the role the API user holds."
    )


class InvalidParameterError(MoodleAPIError):
    remediation = (
        "Moodle rejected a parameter value. Moodle gives the reason only in debuginfo, which it sends when "
        "developer debugging is on (Site administration > Development > Debugging)."
    )


class NotFoundError(MoodleAPIError):
    remediation = "A record the call names does not exist in Moodle (check the id)."


# Moodle 5.0 without debugging reports every missing record alike, without naming the table or the user
# (docs/moodle-behaviour.md#releases-and-databases): the caller knows from the context which record it was.
UNNAMED_RECORD = "invalidrecordunknown"


def is_unnamed_missing_record(err):
    return isinstance(err, NotFoundError) and err.errorcode == UNNAMED_RECORD


class UnknownFunctionError(NotFoundError):
    remediation = "This Moodle version has no such web service function: check its name and the Moodle release."


class MaintenanceError(MoodleAPIError):
    remediation = (
        "The site is in maintenance mode (Site administration > Server > Maintenance mode): retry when it is back."
    )


class ApiUserRefusedError(MoodleAPIError):
    remediation = (
        "Moodle refuses web service access for the API user's account state (suspended, deleted, unconfirmed, "
        "password expired or nologin): fix the account at %s." % USERS
    )


# Moodle refuses these before the function runs (docs/moodle-behaviour.md#access-checks): they are about the token, the site or the
# service, never about the input.
ACCESS_ERRORS = (InvalidTokenError, AccessDeniedError, MaintenanceError, ApiUserRefusedError, UnknownFunctionError)


class DatabaseWriteError(MoodleAPIError):
    """The database refused a write and Moodle rolled the call back (docs/moodle-behaviour.md#concurrency).

    Most often two requests raced for the same row (a unique key), which a later attempt does not meet.
    """

    remediation = (
        "Moodle's database refused a write (dmlwriteexception): usually two requests writing the same record at "
        "once, which passes on a rerun; if it persists, turn on developer debugging (Site administration > "
        "Development > Debugging) to see the database's reason in debuginfo."
    )


class PasswordPolicyError(MoodleAPIError):
    remediation = (
        "A password does not meet the site's password policy (Site administration > Security > Site security "
        "settings): give a stronger password, or use create_password so that Moodle generates one."
    )


_BY_ERRORCODE = {
    "invalidtoken": InvalidTokenError,
    "accessexception": AccessDeniedError,
    "nopermissions": MissingCapabilityError,
    "invalidparameter": InvalidParameterError,
    "invalidrecord": NotFoundError,
    "invaliduser": NotFoundError,
    UNNAMED_RECORD: NotFoundError,
    "sitemaintenance": MaintenanceError,
    "dmlwriteexception": DatabaseWriteError,
}

_TAG = re.compile(r"<[^>]+>")


def error_from_envelope(body, wsfunction=None):
    """Build the typed error for a decoded ``{exception, errorcode, message}`` body."""
    errorcode = str(body.get("errorcode") or "")
    message = str(body.get("message") or "")
    exception = body.get("exception")
    debuginfo = body.get("debuginfo")
    if errorcode.startswith("<"):
        # Password policy failures put the HTML list of rules in errorcode (docs/moodle-behaviour.md#password-policy).
        rules = [part.strip() for part in _TAG.split(errorcode) if part.strip()]
        return PasswordPolicyError(
            "passwordpolicy", "password policy: " + " ".join(rules), exception, debuginfo, wsfunction
        )
    if errorcode.startswith("wsaccessuser"):
        cls = ApiUserRefusedError
    elif errorcode == "invalidrecord" and "external_functions" in message + str(debuginfo or ""):
        # An unknown function (docs/moodle-behaviour.md#access-checks): the table name is not translated, so this is a stable marker.
        cls = UnknownFunctionError
    else:
        cls = _BY_ERRORCODE.get(errorcode, MoodleAPIError)
    return cls(errorcode, message, exception, debuginfo, wsfunction)
