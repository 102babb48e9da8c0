"""webservice/rest/server.php: from decoded form fields to a response, under the site lock."""

from email.parser import BytesParser
from email.policy import HTTP

from . import php, render
from .access import authenticate, load_function_info
from .call import Call
from .errors import MoodleError
from .params import clean_returnvalue, validate_parameters

ENDPOINT = "/webservice/rest/server.php"
FORBIDDEN = (403, "text/html; charset=utf-8", b"")
# Removed by set_web_service_call_settings() before the function sees its parameters.
WS_SETTINGS = (
    "moodlewssettingraw",
    "moodlewssettingfileurl",
    "moodlewssettingfilter",
    "moodlewssettinglang",
    "moodlewssettingtimezone",
)


def body_pairs(body, content_type):
    """What PHP puts in $_POST: urlencoded or multipart form fields; anything else (JSON) is ignored."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        pairs = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is not None and part.get_filename() is None:
                pairs.append((name, part.get_payload(decode=True).decode("utf-8", "replace")))
        return pairs
    if ctype in ("", "application/x-www-form-urlencoded"):
        return php.split_form(body.decode("utf-8", "replace"))
    return []


def peek_function(query_pairs, post_pairs):
    """The wsfunction a request names (for counts and faults), before any truncation."""
    name = None
    for key, value in list(query_pairs) + list(post_pairs):
        if key == "wsfunction":
            name = value
    return name


def handle(site, functions, query_pairs, post_pairs, remote_addr, base_url):
    """Returns (status, content type, body bytes)."""
    with site.lock:
        settings = site.settings
        if not settings["webservices"] or not settings["rest"]:
            # server.php dies with a bare 403 before reading anything (docs/moodle-behaviour.md#web-services-disabled).
            return FORBIDDEN
        limit = settings["max_input_vars"]
        get = php.decode_form(query_pairs, limit)[0]
        post = php.decode_form(post_pairs, limit)[0]
        for name in WS_SETTINGS:
            get.pop(name, None)
            post.pop(name, None)
        variables = php.array_merge(get, post)
        restformat = variables.pop("moodlewsrestformat", None)
        restformat = restformat if restformat in ("json", "xml") else "xml"
        tokenvalue = variables.pop("wstoken", None)
        functionname = variables.pop("wsfunction", None)
        try:
            user, token = authenticate(site, tokenvalue, remote_addr)
            function = load_function_info(site, functions, functionname, user, token, remote_addr)
            params = validate_parameters(function.parameters, variables, settings["extendedusernamechars"])
            returned = function.handler(Call(site, user, token, base_url), **params)
            cleaned = clean_returnvalue(function.returns, returned)
            ctype, body = render.result(restformat, cleaned, function.returns)
        except MoodleError as exc:
            ctype, body = render.error(restformat, exc, settings)
        return 200, ctype, body.encode("utf-8")
