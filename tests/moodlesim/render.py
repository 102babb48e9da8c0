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


def error(restformat, exc, debug):
    """(content type, body) of an exception; debuginfo only when the site debugs (docs/moodle-behaviour.md#error-envelope)."""
    show_debug = debug and exc.debuginfo is not None
    if restformat == "json":
        body = {"exception": exc.exception, "errorcode": exc.errorcode, "message": exc.message}
        if show_debug:
            body["debuginfo"] = exc.debuginfo
        return JSON_TYPE, php_json(body)
    out = XML_HEAD + '<EXCEPTION class="%s">\n' % exc.exception
    out += "<ERRORCODE>" + htmlspecialchars(exc.errorcode) + "</ERRORCODE>\n"
    out += "<MESSAGE>" + htmlspecialchars(exc.message) + "</MESSAGE>\n"
    if show_debug:
        out += "<DEBUGINFO>" + htmlspecialchars(exc.debuginfo) + "</DEBUGINFO>\n"
    return XML_TYPE, out + "</EXCEPTION>\n"
