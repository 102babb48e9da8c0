# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Moodle REST client every module uses: HTTP, errors, retries, batching, token hygiene.

It knows nothing of Ansible: modules build it through ``connection.client_from_module``.
"""

import collections
import json
import threading
import time

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the modules' missing_required_lib
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from urllib.parse import quote, quote_plus, urlsplit

from ansible_collections.dsenroll.moodle.plugins.module_utils._client import parallel as concurrency
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    DatabaseWriteError,
    HTTPStatusError,
    InputTruncatedError,
    NotMoodleResponseError,
    OutcomeUnknownError,
    RequestTooLargeError,
    TransportError,
    WebServicesDisabledError,
    error_from_envelope,
)
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.form import count_fields, flatten
from ansible_collections.dsenroll.moodle.plugins.module_utils._client.retry import RetryPolicy
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.functions import is_read_only

ENDPOINT = "/webservice/rest/server.php"
USER_AGENT = "dsenroll.moodle/0.1.0"
# Fields every call carries: wstoken and wsfunction first (docs/moodle-behaviour.md#silent-truncation: a truncated request
# never loses them), moodlewsrestformat=json last, as a canary: PHP drops fields past max_input_vars
# silently, and a request that lost its tail loses the format too, so Moodle answers in XML.
FIXED_FIELDS = 3
# Form fields whose values are secrets besides the token: masked in everything the client raises.
SECRET_FIELD_SUFFIXES = ("[password]",)
# Keys Moodle returns that are secrets in their own right (docs/moodle-behaviour.md#site-info).
SECRET_RESULT_KEYS = ("userprivateaccesskey",)
MASK = "********"
EXCERPT_CHARS = 200
# With several requests in flight, a list is spread over them in batches of at least this many items: enough
# that Moodle's fixed cost per request stays small beside the work.
MIN_SHARE = 25
# Answers that say the site is strained: fewer requests are sent at once after them (_client/parallel.py).
STRAINED_STATUSES = (429, 503)


def endpoint_url(base_url):
    """``https://moodle.example.org/sub`` -> ``https://moodle.example.org/sub/webservice/rest/server.php``."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("moodle_url must be an http(s) URL such as https://moodle.example.org, not %r" % base_url)
    if parts.query or parts.fragment:
        # A token in a query string ends up in access logs; refuse any query at all.
        raise ValueError("moodle_url must not contain a query string or fragment (the token goes in the POST body)")
    path = parts.path.rstrip("/")
    if path.endswith(ENDPOINT):
        path = path[: -len(ENDPOINT)]
    return "%s://%s%s%s" % (parts.scheme, parts.netloc, path, ENDPOINT)


def _root_cause(exc):
    """The innermost urllib3 reason behind a requests exception."""
    seen = 0
    reason = exc
    while seen < 10:
        seen += 1
        nxt = getattr(reason, "reason", None)
        if nxt is None and getattr(reason, "args", None):
            nxt = reason.args[0] if isinstance(reason.args[0], BaseException) else None
        if nxt is None or nxt is reason:
            break
        reason = nxt
    return reason


class MoodleClient(object):
    """POSTs form-encoded calls to ``<moodle_url>/webservice/rest/server.php`` over one keep-alive session."""

    def __init__(
        self,
        base_url,
        token,
        validate_certs=True,
        ca_path=None,
        timeout=30,
        max_input_vars=1000,
        retry_policy=None,
        session=None,
        sleep=time.sleep,
        parallel=1,
    ):
        if not HAS_REQUESTS:
            raise RuntimeError("the requests Python library is required")
        if max_input_vars < FIXED_FIELDS + 1:
            raise ValueError("max_input_vars must be at least %d" % (FIXED_FIELDS + 1))
        self.url = endpoint_url(base_url)
        self._token = token or ""
        self.timeout = timeout
        self.max_input_vars = int(max_input_vars)
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self.throttle = concurrency.Throttle(parallel)
        if session is None:
            session = requests.Session()
            # One keep-alive connection per request in flight.
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(10, self.throttle.ceiling))
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.session.verify = ca_path if ca_path else bool(validate_certs)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        # HTTP requests sent per wsfunction, retries included: modules and benchmarks report it.
        self.calls = collections.Counter()
        self._calls_lock = threading.Lock()
        # Whether Moodle has answered a call of this client yet: until then requests go one at a time.
        self.answered = False

    @property
    def parallel(self):
        return self.throttle.ceiling

    # -- token hygiene -----------------------------------------------------------------------
    def scrub(self, text, secrets=()):
        """Return ``text`` with the token and ``secrets`` masked, as sent and as form-encoded."""
        if text is None:
            return None
        text = str(text)
        for secret in (self._token,) + tuple(secrets):
            if not secret:
                continue
            for spelling in set((secret, quote_plus(secret), quote(secret, safe=""))):
                if spelling in text:
                    text = text.replace(spelling, MASK)
        return text

    def __repr__(self):
        return "MoodleClient(url=%r)" % self.url

    # -- batching ----------------------------------------------------------------------------
    def field_budget(self, params=None):
        """Form fields left for a list parameter once the fixed fields and ``params`` are counted."""
        return self.max_input_vars - FIXED_FIELDS - count_fields(params or {})

    def batches(self, items, params=None, max_items=None):
        """Split ``items`` into consecutive chunks whose fields fit under max_input_vars.

        PHP drops fields past max_input_vars without an error (docs/moodle-behaviour.md#silent-truncation), so a
        request that does not fit is never sent: it is split here, by counting every leaf field. With several
        requests in flight, a list that would fill fewer batches than that is spread evenly over them.
        """
        items = list(items)
        share = self._share(len(items))
        if share and (not max_items or share < max_items):
            max_items = share
        budget = self.field_budget(params)
        chunks, current, used = [], [], 0
        for item in items:
            size = count_fields(item)
            if size > budget:
                raise RequestTooLargeError(
                    "one item needs %d form fields, more than the %d that max_input_vars=%d leaves"
                    % (size, budget, self.max_input_vars)
                )
            if current and (used + size > budget or (max_items and len(current) >= max_items)):
                chunks.append(current)
                current, used = [], 0
            current.append(item)
            used += size
        if current:
            chunks.append(current)
        return chunks

    def _share(self, count):
        """Items per batch that give each request in flight a part of ``count`` items, or None."""
        if self.parallel <= 1 or count < 2 * MIN_SHARE:
            return None
        return max(MIN_SHARE, -(-count // self.parallel))

    def call_batched(self, wsfunction, list_key, items, params=None, max_items=None):
        """Call a read function once per batch of ``items`` (concurrently) and concatenate the list results."""

        def read(chunk):
            call_params = dict(params or {})
            call_params[list_key] = chunk
            try:
                return self.call(wsfunction, call_params) or []
            except InputTruncatedError:
                if len(chunk) == 1:
                    raise
                # call() lowered max_input_vars; a read is safe to send again in smaller batches.
                return [row for part in self.batches(chunk, params, max_items) for row in read(part)]

        batches = self.each(read, self.batches(items, params, max_items))
        return [row for rows in batches for row in rows]

    def each(self, function, items):
        """``[function(item) for item in items]`` with up to ``parallel`` requests in flight (_client/parallel.py).

        ``function`` sends the requests of one independent batch; the first exception stops the others.
        """
        return concurrency.each(function, items, self.parallel, first_alone=not self.answered)

    # -- calls -------------------------------------------------------------------------------
    def call(self, wsfunction, params=None):
        """Call ``wsfunction`` and return the decoded result, or raise a MoodleError.

        Reads are retried on transient failures; a write whose answer was lost raises
        OutcomeUnknownError instead of being repeated, and a write the database refused (DatabaseWriteError) is
        the caller's to retry (_client/writes.py).
        """
        fields = [("wstoken", self._token), ("wsfunction", wsfunction)]
        fields.extend(flatten(params or {}))
        fields.append(("moodlewsrestformat", "json"))
        if len(fields) > self.max_input_vars:
            raise RequestTooLargeError(
                "the call needs %d form fields, over max_input_vars=%d" % (len(fields), self.max_input_vars), wsfunction
            )
        secrets = [value for name, value in fields if name.endswith(SECRET_FIELD_SUFFIXES) and value]
        read = is_read_only(wsfunction)
        attempt = 0
        while True:
            try:
                return self._send_once(wsfunction, fields, secrets)
            except InputTruncatedError as err:
                # The site's limit is below this request: never send one this large again.
                self.max_input_vars = max(FIXED_FIELDS + 1, len(fields) // 2)
                if read:
                    raise
                raise OutcomeUnknownError(
                    "%s; the part Moodle received may have been written" % err.message,
                    wsfunction,
                    cause=err,
                    remediation=err.remediation,
                )
            except DatabaseWriteError:
                # Rolled back (a race for a row): a read is repeated like any transient failure.
                if not read or attempt >= self.retry_policy.total:
                    raise
                self._sleep(self.retry_policy.delay(attempt))
                attempt += 1
            except (TransportError, HTTPStatusError) as err:
                if isinstance(err, WebServicesDisabledError) or not self._may_retry(err, read):
                    if not read and self._may_have_committed(err):
                        raise OutcomeUnknownError(
                            "the answer to this write was lost (%s); it may have been committed" % err.message,
                            wsfunction,
                            cause=err,
                        )
                    raise
                if attempt >= self.retry_policy.total:
                    raise
                self._sleep(self.retry_policy.delay(attempt, getattr(err, "retry_after", None)))
                attempt += 1

    def _may_retry(self, err, read):
        if isinstance(err, TransportError):
            if err.kind in ("tls", "dns"):
                return False
            return read or not err.sent
        if err.http_status == 429:
            return True  # rate limited before processing
        return read and err.http_status in self.retry_policy.statuses

    @staticmethod
    def _may_have_committed(err):
        if isinstance(err, TransportError):
            return err.sent and err.kind not in ("tls", "dns")
        return err.http_status >= 500

    def _send_once(self, wsfunction, fields, secrets=()):
        with self._calls_lock:
            self.calls[wsfunction] += 1
        ticket = self.throttle.acquire()
        strained = True
        try:
            # verify is passed per request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a
            # Session's verify, which would silently ignore ca_path and validate_certs=false.
            response = self.session.post(
                self.url, data=fields, timeout=self.timeout, allow_redirects=False, verify=self.session.verify
            )
            strained = response.status_code in STRAINED_STATUSES
        except requests.exceptions.RequestException as exc:
            error = self._transport_error(exc, wsfunction, secrets)
            strained = error.kind not in ("tls", "dns")
            raise error
        finally:
            self.throttle.release(ticket, strained)
        if response.status_code == 200:
            self.answered = True
        return self._decode(response, wsfunction, secrets)

    def _transport_error(self, exc, wsfunction, secrets=()):
        cause = _root_cause(exc)
        detail = self.scrub("%s: %s" % (type(cause).__name__, cause), secrets)
        name = type(cause).__name__
        if isinstance(exc, requests.exceptions.SSLError):
            return TransportError("TLS error talking to %s (%s)" % (self.url, detail), "tls", wsfunction, sent=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return TransportError("timed out connecting to %s" % self.url, "timeout", wsfunction, sent=False)
        if isinstance(exc, requests.exceptions.Timeout):
            return TransportError("no answer from %s within %ss" % (self.url, self.timeout), "timeout", wsfunction)
        if "NameResolution" in name or "Name or service not known" in detail or "getaddrinfo" in detail:
            return TransportError(
                "cannot resolve the host of %s (%s)" % (self.url, detail), "dns", wsfunction, sent=False
            )
        if "NewConnectionError" in name or "Connection refused" in detail:
            return TransportError("cannot connect to %s (%s)" % (self.url, detail), "connect", wsfunction, sent=False)
        return TransportError("connection to %s broke (%s)" % (self.url, detail), "connection", wsfunction)

    def _decode(self, response, wsfunction, secrets=()):
        status = response.status_code
        text = response.text or ""
        content_type = response.headers.get("Content-Type", "")
        if status == 403 and not text.strip():
            raise WebServicesDisabledError(wsfunction)
        if status != 200:
            excerpt = self._excerpt(text, secrets)
            err = HTTPStatusError(
                "HTTP %s from %s: %s" % (status, self.url, excerpt or "(empty body)"), status, excerpt, wsfunction
            )
            retry_after = response.headers.get("Retry-After", "")
            err.retry_after = float(retry_after) if retry_after.strip().isdigit() else None
            raise err
        try:
            body = json.loads(text)
        except ValueError:
            if text.lstrip().startswith("<?xml") and ("<RESPONSE" in text or "<EXCEPTION" in text):
                raise InputTruncatedError(
                    "Moodle answered in XML: the request lost its last form field (moodlewsrestformat=json), so PHP "
                    "dropped fields past the site's max_input_vars, which is lower than max_input_vars=%d"
                    % self.max_input_vars,
                    wsfunction,
                )
            raise NotMoodleResponseError(
                self._not_moodle_message(text, content_type),
                status,
                content_type,
                self._excerpt(text, secrets),
                wsfunction,
            )
        if isinstance(body, dict) and "exception" in body and "errorcode" in body:
            clean = dict((k, self.scrub(v, secrets)) for k, v in body.items())
            raise error_from_envelope(clean, wsfunction)
        if isinstance(body, dict):
            for key in SECRET_RESULT_KEYS:
                body.pop(key, None)
        return body

    def _excerpt(self, text, secrets):
        """The start of a body that is not a Moodle answer, for the error: built on the error paths only, since a
        successful answer can be megabytes."""
        return self.scrub(" ".join(text.split())[:EXCERPT_CHARS], secrets)

    def _not_moodle_message(self, text, content_type):
        lowered = text.lower()
        if "<html" in lowered or "<!doctype" in lowered:
            if "maintenance" in lowered or "upgrad" in lowered:
                what = "an HTML maintenance page"
            elif "login" in lowered:
                what = "an HTML login page"
            else:
                what = "an HTML page"
            return "%s answered with %s, not a Moodle web service response" % (self.url, what)
        if lowered.lstrip().startswith("<?xml"):
            return "%s answered in XML although JSON was requested" % self.url
        return "%s did not answer with JSON (Content-Type %s)" % (self.url, content_type or "unknown")

    def close(self):
        self.session.close()
