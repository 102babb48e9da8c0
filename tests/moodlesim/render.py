"""Moodle's REST response writer: json_encode() or its own XML, and the error envelope (docs/moodle-behaviour.md#error-envelope)."""

import json

from .params import Multiple, Single, Value

JSON_TYPE = "application/json"
XML_TYPE = "application/xml; charset=utf-8"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def php_json(value):
    """json_encode() with PHP's defaults: '/' escaped, non-ASCII as \\uXXXX, no spaces."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def htmlspecialchars(text):
    # ENT_COMPAT: double quotes escaped, single quotes left alone.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _scalar(value):
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def xmlize(value, desc):
    """webservice_rest_server::xmlize_result(): walks the description, so missing keys are null."""
    if desc is None:
        return ""
    if isinstance(desc, Value):
        if value is None:
            return '<VALUE null="null"/>\n'
        return "<VALUE>" + htmlspecialchars(_scalar(value)) + "</VALUE>\n"
    if isinstance(desc, Multiple):
        return "<MULTIPLE>\n" + "".join(xmlize(item, desc.content) for item in (value or [])) + "</MULTIPLE>\n"
    if isinstance(desc, Single):
        out = ["<SINGLE>\n"]
        for key, subdesc in desc.keys.items():
            sub = value.get(key) if isinstance(value, dict) else None
            out.append('<KEY name="%s">%s</KEY>\n' % (key, xmlize(sub, subdesc)))
        out.append("</SINGLE>\n")
        return "".join(out)
    raise TypeError(desc)


def result(restformat, value, desc):
    """(content type, body) of a successful call."""
    if restformat == "json":
        return JSON_TYPE, php_json(value)
    return XML_TYPE, XML_HEAD + "<RESPONSE>\n" + xmlize(value, desc) + "</RESPONSE>\n"


# Moodle 4.5 moved these into core\exception; their REST envelopes name the class with its namespace.
NAMESPACED_SINCE_45 = (
    "moodle_exception",
    "invalid_parameter_exception",
    "required_capability_exception",
    "coding_exception",
)


def envelope(exc, settings):
    """(exception, errorcode, message) as the site's release reports them."""
    exception, errorcode, message = exc.exception, exc.errorcode, exc.message
    if settings["branch"] >= 405 and exception in NAMESPACED_SINCE_45:
        exception = "core\\exception\\" + exception
    if settings["branch"] >= 500 and exception == "dml_missing_record_exception" and not settings["debug"]:
        # Moodle 5.0 names the missing table (or user) only to a debugging site.
        errorcode, message = "invalidrecordunknown", "Can't find data record in database."
    return exception, errorcode, message


def error(restformat, exc, settings):
    """(content type, body) of an exception; debuginfo only when the site debugs (docs/moodle-behaviour.md#error-envelope)."""
    show_debug = settings["debug"] and exc.debuginfo is not None
    exception, errorcode, message = envelope(exc, settings)
    if restformat == "json":
        body = {"exception": exception, "errorcode": errorcode, "message": message}
        if show_debug:
            body["debuginfo"] = exc.debuginfo
        return JSON_TYPE, php_json(body)
    out = XML_HEAD + '<EXCEPTION class="%s">\n' % exception
    out += "<ERRORCODE>" + htmlspecialchars(errorcode) + "</ERRORCODE>\n"
    out += "<MESSAGE>" + htmlspecialchars(message) + "</MESSAGE>\n"
    if show_debug:
        out += "<DEBUGINFO>" + htmlspecialchars(exc.debuginfo) + "</DEBUGINFO>\n"
    return XML_TYPE, out + "</EXCEPTION>\n"
