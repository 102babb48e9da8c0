"""Moodle's parameter types (clean_param) and external_api::validate_parameters / clean_returnvalue.

The REST server validates the whole request against the function's description before the
function runs (docs/moodle-behaviour.md#request-encoding, #error-envelope); the reason of a failure is only in debuginfo.
"""

import re

from . import php
from .errors import MoodleError, invalid_parameter

REQUIRED, DEFAULT, OPTIONAL = 1, 0, 2

PARAM_INT = "int"
PARAM_BOOL = "bool"
PARAM_RAW = "raw"
PARAM_RAW_TRIMMED = "raw_trimmed"
PARAM_ALPHA = "alpha"
PARAM_ALPHANUMEXT = "alphanumext"
PARAM_SAFEDIR = "safedir"
PARAM_NOTAGS = "notags"
PARAM_TEXT = "text"
PARAM_USERNAME = "username"
PARAM_EMAIL = "email"
PARAM_AUTH = "auth"
PARAM_LANG = "lang"
PARAM_THEME = "theme"
PARAM_PLUGIN = "plugin"
PARAM_TIMEZONE = "timezone"

# What a stock Moodle 4.4 has installed.
INSTALLED_AUTHS = (
    "cas",
    "db",
    "email",
    "ldap",
    "lti",
    "manual",
    "mnet",
    "nologin",
    "none",
    "oauth2",
    "shibboleth",
    "webservice",
)
INSTALLED_LANGS = ("en",)
INSTALLED_THEMES = ("boost", "classic")

_PLUGIN_NAME = re.compile(r"^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+$")
_TIMEZONE = re.compile(r"^(([+-]?(1[0-3]|[0-9])(\.[05])?)|(99)|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$")
# PHPMailer's 'html5' pattern, which Moodle's validate_email() uses.
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)


def validate_email(address):
    if not address:
        return False
    return bool(_EMAIL.match(address)) and not re.search(r"[<>]", address)


def clean_param(value, ptype, extendedusernamechars=False):
    """Moodle's clean_param() for the types the simulated functions declare."""
    if ptype == PARAM_RAW:
        return value
    text = php.to_string(value)
    if ptype == PARAM_INT:
        return php.intval(value)
    if ptype == PARAM_BOOL:
        lowered = text.lower()
        if lowered in ("on", "yes", "true"):
            return 1
        if lowered in ("off", "no", "false"):
            return 0
        return 0 if text in ("", "0") else 1
    if ptype == PARAM_RAW_TRIMMED:
        return php.trim(text)
    if ptype == PARAM_ALPHA:
        return re.sub(r"[^a-zA-Z]", "", text)
    if ptype in (PARAM_ALPHANUMEXT, PARAM_SAFEDIR):
        return re.sub(r"[^a-zA-Z0-9_-]", "", text)
    if ptype in (PARAM_NOTAGS, PARAM_TEXT):
        return php.strip_tags(text)
    if ptype == PARAM_USERNAME:
        text = php.trim(text).lower()
        if not extendedusernamechars:
            text = re.sub(r"[^-.@_a-z0-9]", "", text.replace(" ", ""))
        return text
    if ptype == PARAM_EMAIL:
        return text if validate_email(text) else ""
    if ptype == PARAM_PLUGIN:
        return text if _PLUGIN_NAME.match(text) else ""
    if ptype == PARAM_AUTH:
        text = clean_param(text, PARAM_PLUGIN)
        return text if text in INSTALLED_AUTHS else ""
    if ptype == PARAM_LANG:
        text = clean_param(text, PARAM_SAFEDIR)
        return text if text in INSTALLED_LANGS else ""
    if ptype == PARAM_THEME:
        text = clean_param(text, PARAM_PLUGIN)
        return text if text in INSTALLED_THEMES else ""
    if ptype == PARAM_TIMEZONE:
        return text if _TIMEZONE.match(text) else ""
    raise ValueError("unknown PARAM type %s" % ptype)


class Value:
    """external_value"""

    def __init__(self, ptype, required=REQUIRED, default=None, allownull=True):
        self.type = ptype
        self.required = required
        self.default = default
        self.allownull = allownull


class Single:
    """external_single_structure"""

    def __init__(self, keys, required=REQUIRED, default=None):
        self.keys = keys
        self.required = required
        self.default = default
        self.allownull = False


class Multiple:
    """external_multiple_structure"""

    def __init__(self, content, required=REQUIRED, default=None):
        self.content = content
        self.required = required
        self.default = default
        self.allownull = False


def warnings_description():
    """external_warnings()"""
    return Multiple(
        Single(
            {
                "item": Value(PARAM_TEXT, OPTIONAL),
                "itemid": Value(PARAM_INT, OPTIONAL),
                "warningcode": Value(PARAM_ALPHANUMEXT),
                "message": Value(PARAM_RAW),
            }
        ),
        OPTIONAL,
    )


def validate_param(value, ptype, allownull, debuginfo, extendedusernamechars=False):
    if value is None:
        if allownull:
            return None
        raise invalid_parameter(debuginfo)
    if isinstance(value, dict):
        raise invalid_parameter(debuginfo)
    cleaned = clean_param(value, ptype, extendedusernamechars)
    if php.to_string(value) != php.to_string(cleaned):
        raise invalid_parameter(debuginfo)
    return cleaned


def validate_parameters(desc, params, extendedusernamechars=False):
    """external_api::validate_parameters(): same order of checks, same debuginfo texts."""
    if params is None and desc.allownull:
        return None
    if isinstance(desc, Value):
        if isinstance(params, dict):
            raise invalid_parameter("Scalar type expected, array or object received.")
        if desc.type == PARAM_BOOL and (isinstance(params, bool) or params in (0, 1, "0", "1")):
            return bool(int(params))
        debuginfo = 'Invalid external api parameter: the value is "%s", the server was expecting "%s" type' % (
            php.to_string(params),
            desc.type,
        )
        return validate_param(params, desc.type, desc.allownull, debuginfo, extendedusernamechars)
    if not isinstance(params, dict):
        raise invalid_parameter("Only arrays accepted. The bad value is: '%s'" % php.print_r(params))
    if isinstance(desc, Multiple):
        return [validate_parameters(desc.content, item, extendedusernamechars) for item in params.values()]
    result = {}
    remaining = dict(params)
    for key, subdesc in desc.keys.items():
        if key not in remaining:
            if subdesc.required == REQUIRED:
                raise invalid_parameter("Missing required key in single structure: " + key)
            if subdesc.required == DEFAULT:
                try:
                    result[key] = validate_parameters(subdesc, subdesc.default, extendedusernamechars)
                except MoodleError as error:
                    raise _nested(key, error) from error
        else:
            try:
                result[key] = validate_parameters(subdesc, remaining[key], extendedusernamechars)
            except MoodleError as error:
                raise _nested(key, error) from error
        remaining.pop(key, None)
    if remaining:
        names = ", ".join(str(k) for k in remaining)
        raise invalid_parameter("Unexpected keys (%s) detected in parameter array." % names)
    return result


def _nested(key, error):
    if error.errorcode != "invalidparameter":
        return error
    return invalid_parameter("%s => %s: %s" % (key, error.message, error.debuginfo))


def clean_returnvalue(desc, value):
    """external_api::clean_returnvalue(): keeps description order, drops unknown keys, casts types."""
    if desc is None:
        return None
    if isinstance(desc, Value):
        if desc.type == PARAM_BOOL and (isinstance(value, bool) or value in (0, 1, "0", "1")):
            return bool(int(value))
        if value is None:
            return None
        if desc.type == PARAM_RAW:
            return value
        return clean_param(value, desc.type)
    if isinstance(desc, Multiple):
        return [clean_returnvalue(desc.content, item) for item in (value or [])]
    result = {}
    for key, subdesc in desc.keys.items():
        if key not in value:
            if subdesc.required == REQUIRED:
                raise MoodleError(
                    "invalid_response_exception",
                    "invalidresponse",
                    "Invalid response value detected",
                    "Error in response - Missing following required key in a single structure: " + key,
                )
            if isinstance(subdesc, Value) and subdesc.required == DEFAULT:
                result[key] = clean_returnvalue(subdesc, subdesc.default)
        else:
            result[key] = clean_returnvalue(subdesc, value[key])
    return result
