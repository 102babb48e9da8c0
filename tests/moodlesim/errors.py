"""Moodle's exception classes as they reach the REST error envelope (docs/moodle-behaviour.md#error-envelope).

Only `exception`, `errorcode`, `message` and `debuginfo` are visible to a client, so an
exception here is just those four values.
"""

from .php import var_export

ACCESS_NOT_ALLOWED = """Access to the function %s() is not allowed.
                     There could be multiple reasons for this:
                     1. The service linked to the user token does not contain the function.
                     2. The service is user-restricted and the user is not listed.
                     3. The service is IP-restricted and the user IP is not listed.
                     4. The service is time-restricted and the time has expired.
                     5. The token is time-restricted and the time has expired.
                     6. The service requires a specific capability which the user does not have.
                     7. The function is called with username/password (no user token is sent)
                     and none of the services has the function to allow the user.
                     These settings can be found in Administration > Site administration
                     > Server > Web services > External services and Manage tokens."""

# get_string() results for the error codes the simulated functions raise.
ERROR_STRINGS = {
    ("webservice", "invalidtoken"): "Invalid token - token not found",
    ("webservice", "accessexception"): "Access control exception",
    ("webservice", "wsaccessusersuspended"): "Refused web service access for suspended username: {a}",
    ("webservice", "wsaccessuserdeleted"): "Refused web service access for deleted username: {a}",
    ("webservice", "wsaccessuserunconfirmed"): "Refused web service access for unconfirmed username: {a}",
    ("webservice", "wsaccessusernologin"): "Refused web service access for nologin authentication username: {a}",
    ("admin", "sitemaintenance"): "The site is undergoing maintenance and is currently not available",
    ("debug", "invalidparameter"): "Invalid parameter value detected",
    ("debug", "codingerror"): "Coding error detected, it must be fixed by a programmer: {a}",
    ("error", "invalidrecord"): "Can't find data record in database table {a}.",
    ("error", "invaliduser"): "Invalid user",
    ("error", "nopermissions"): "Sorry, but you do not currently have permissions to do that ({a}).",
    ("error", "useradminodelete"): "Administrator accounts cannot be deleted.",
    ("error", "usernotdeletederror"): "User not deleted - error",
    ("error", "invaliduserid"): "Invalid user ID",
    ("error", "useremailduplicate"): "Duplicate address",
    ("error", "usernotupdatedadmin"): "Cannot update admin accounts",
    ("error", "dmlwriteexception"): "Error writing to database",
    ("error", "usernamelowercase"): "Only lowercase letters allowed",
    (
        "error",
        "invalidusername",
    ): "The username can only contain alphanumeric lowercase characters (letters and numbers),"
    " underscore (_), hyphen (-), period (.) or at symbol (@).",
    ("error", "invalidusernameblank"): "The username cannot be blank",
}

# Human names of the capabilities a required_capability_exception names.
CAPABILITY_NAMES = {
    "moodle/user:create": "Create users",
    "moodle/user:update": "Update user profiles",
    "moodle/user:delete": "Delete users",
    "moodle/cohort:assign": "Add and remove cohort members",
    "moodle/cohort:view": "View site-wide cohorts",
    "moodle/cohort:manage": "Create, delete and move cohorts",
}


class MoodleError(Exception):
    """An exception as Moodle's REST server reports it."""

    def __init__(self, exception, errorcode, message, debuginfo=None):
        super().__init__(message)
        self.exception = exception
        self.errorcode = errorcode
        self.message = message
        self.debuginfo = debuginfo


def moodle_exception(errorcode, module="error", a=None, debuginfo=None, cls="moodle_exception"):
    """new moodle_exception(): a missing string gives the message 'module/errorcode'."""
    template = ERROR_STRINGS.get((module or "error", errorcode))
    if template is None:
        message = "%s/%s" % (module or "error", errorcode)
    else:
        message = template.replace("{a}", "" if a is None else str(a))
    return MoodleError(cls, errorcode, message, debuginfo)


def invalid_parameter(debuginfo):
    return MoodleError("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", debuginfo)


def access_exception(debuginfo):
    return MoodleError("webservice_access_exception", "accessexception", "Access control exception", debuginfo)


def coding_exception(hint, debuginfo):
    return MoodleError(
        "coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: " + hint, debuginfo
    )


def missing_record(table, sql, params):
    """dml_missing_record_exception: 'user' has its own error code."""
    errorcode = "invaliduser" if table == "user" else "invalidrecord"
    message = "Invalid user" if table == "user" else "Can't find data record in database table %s." % table
    return MoodleError("dml_missing_record_exception", errorcode, message, sql + "\n[" + var_export(params) + "]")


def required_capability(capability):
    name = CAPABILITY_NAMES.get(capability, capability)
    return MoodleError(
        "required_capability_exception",
        "nopermissions",
        "Sorry, but you do not currently have permissions to do that (%s)." % name,
    )


def invalid_token():
    return moodle_exception("invalidtoken", "webservice")
