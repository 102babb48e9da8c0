"""The HTTP side: Moodle's endpoint, the /_sim control API, and the Simulator object tests drive."""

import json
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import php, profiles, render, rest, seed as seeds
from .errors import moodle_exception
from .faults import Faults, error_page
from .functions import FUNCTIONS
from .functions.users import delete_user
from .state import CAP_REST_USE, MANAGER, Cohort, Service, Token, User

CONTROL_PREFIX = "/_sim/"
ROLES = {"manager": MANAGER, "rest": {CAP_REST_USE}}


class Simulator:
    """A simulated Moodle site; every control method is thread-safe."""

    def __init__(self, seed="transcript-site", max_input_vars=None, profile=None):
        self._seed = seed
        self._max_input_vars = max_input_vars
        self._profile = profiles.settings_for(profile)  # which Moodle and database it answers as
        self.site = self._build(seed)
        self.faults = Faults()
        self._counts = Counter()
        self._requests = []
        self._counts_lock = threading.Lock()
        self._httpd = None
        self._thread = None
        self.url = None

    def _build(self, seed):
        site = seeds.build(seed)
        site.settings.update(self._profile)
        if self._max_input_vars is not None:
            site.settings["max_input_vars"] = self._max_input_vars
        return site

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, host="127.0.0.1", port=0, certfile=None, keyfile=None):
        self._httpd = _Server((host, port), _Handler)
        self._httpd.simulator = self
        scheme = "http"
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            scheme = "https"
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = "%s://%s:%d" % (scheme, bound_host, bound_port)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="moodlesim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def endpoint(self):
        return self.url + rest.ENDPOINT

    # --- control -------------------------------------------------------------------------------
    def reset(self, seed=None):
        """A fresh site from `seed` (default: the one given at construction); faults and counts cleared."""
        if seed is not None:
            self._seed = seed
        self.site = self._build(self._seed)
        self.clear_faults()
        self.reset_counts()

    def settings(self, **changes):
        site = self.site
        with site.lock:
            unknown = set(changes) - set(site.settings)
            if unknown:
                raise ValueError("unknown settings: %s" % ", ".join(sorted(unknown)))
            site.settings.update(changes)
            return dict(site.settings)

    def add_user(self, username, email, firstname="Sim", lastname="User", capabilities=(), roles=(), **fields):
        """Insert a user row directly (no web service checks). `deleted=True` deletes it as Moodle does."""
        site = self.site
        with site.lock:
            deleted = fields.pop("deleted", False)
            userid = fields.pop("id", None) or site.allocate_userid()
            if userid in site.users:
                raise ValueError("user id %d exists" % userid)
            caps = set(capabilities)
            for role in roles:
                caps |= ROLES[role]
            user = site.insert_user(
                User(
                    userid,
                    username=username,
                    email=email,
                    firstname=firstname,
                    lastname=lastname,
                    capabilities=caps,
                    **fields,
                )
            )
            if deleted:
                delete_user(site, user, int(time.time()))
            return user.as_dict()

    def add_cohort(self, name, idnumber="", contextid=None, category=None, description="", visible=True, members=()):
        site = self.site
        with site.lock:
            if category is not None:
                contextid = site.category_context(int(category))
            cohort = Cohort(
                site.next_cohortid, name, idnumber, contextid or 1, description=description, visible=visible
            )
            site.next_cohortid += 1
            site.cohorts[cohort.id] = cohort
            for userid in members:
                cohort.members[int(userid)] = int(time.time())
            return cohort.as_dict()

    def add_cohort_member(self, cohortid, userid):
        with self.site.lock:
            self.site.cohorts[int(cohortid)].members[int(userid)] = int(time.time())

    def add_service(
        self, shortname, functions, name=None, authorised=(), enabled=True, restrictedusers=True, requiredcapability=""
    ):
        site = self.site
        with site.lock:
            unknown = [f for f in functions if f not in FUNCTIONS]
            if unknown:
                raise ValueError("functions not simulated: %s" % ", ".join(unknown))
            service = Service(
                site.next_serviceid,
                shortname,
                name or shortname,
                functions,
                enabled=enabled,
                restrictedusers=restrictedusers,
                authorised=authorised,
                requiredcapability=requiredcapability,
            )
            site.next_serviceid += 1
            site.services[service.id] = service
            return service.as_dict()

    def authorise(self, service, userid, iprestriction="", validuntil=0):
        with self.site.lock:
            self._service(service).authorised[int(userid)] = {
                "iprestriction": iprestriction,
                "validuntil": int(validuntil),
            }

    def add_token(self, userid, service, token=None, validuntil=0, iprestriction="", name=""):
        """Create a token for a user on a service (id or shortname); returns the 32-hex token."""
        site = self.site
        with site.lock:
            serviceid = self._service(service).id
            value = token or php_random_token()
            site.tokens[value] = Token(
                value, int(userid), serviceid, validuntil=int(validuntil), iprestriction=iprestriction, name=name
            )
            return value

    def _service(self, service):
        site = self.site
        if isinstance(service, int) or (isinstance(service, str) and service.isdigit()):
            return site.services[int(service)]
        for candidate in site.services.values():
            if candidate.shortname == service:
                return candidate
        raise KeyError("no service %r" % service)

    def set_capabilities(self, userid, capabilities=None, siteadmin=None, roles=None):
        """Replace a user's capabilities (names, or roles 'manager'/'rest'); optionally make them site admin."""
        with self.site.lock:
            user = self.site.users[int(userid)]
            if capabilities is not None or roles is not None:
                caps = set(capabilities or ())
                for role in roles or ():
                    caps |= ROLES[role]
                user.capabilities = caps
            if siteadmin is not None:
                user.siteadmin = bool(siteadmin)
            return user.as_dict()

    def users(self):
        with self.site.lock:
            return [u.as_dict() for u in sorted(self.site.users.values(), key=lambda u: u.id)]

    def find_users(self, **criteria):
        """Users whose fields equal all the given values exactly (no collation, no visibility filter)."""
        with self.site.lock:
            return [
                u.as_dict()
                for u in sorted(self.site.users.values(), key=lambda u: u.id)
                if all(getattr(u, k) == v for k, v in criteria.items())
            ]

    def cohort_members(self, cohortid):
        with self.site.lock:
            return list(self.site.cohorts[int(cohortid)].members)

    def state(self):
        data = self.site.snapshot()
        data["faults"] = self.faults.as_list()
        return data

    def request_counts(self):
        with self._counts_lock:
            return dict(self._counts)

    def requests(self):
        """Every web service request since the last reset, in order: ``{wsfunction, params, connection}``, with
        ``params`` the form fields but the token, sorted, and ``connection`` the client's port (one per TCP
        connection, so a client that keeps its connection alive shows one)."""
        with self._counts_lock:
            return [dict(r) for r in self._requests]

    def reset_counts(self):
        with self._counts_lock:
            self._counts.clear()
            del self._requests[:]

    def inject_fault(self, kind, wsfunction=None, on_calls=None, times=None, latency=0.0, status=500):
        return self.faults.add(
            kind=kind, wsfunction=wsfunction, on_calls=on_calls, times=times, latency=latency, status=status
        ).as_dict()

    def clear_faults(self):
        self.faults.clear()

    def _count(self, wsfunction, pairs=(), port=None):
        params = tuple(sorted((name, value) for name, value in pairs if name != "wstoken"))
        with self._counts_lock:
            self._counts[wsfunction or ""] += 1
            self._requests.append({"wsfunction": wsfunction or "", "params": params, "connection": port})


def php_random_token():
    import secrets  # pylint: disable=import-outside-toplevel

    return secrets.token_hex(16)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    simulator = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    _aborted = False

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add 40 ms a call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # quiet: tests read responses, not access logs

    # --- plumbing ------------------------------------------------------------------------------
    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, content_type, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _abort(self):
        """Close with a TCP reset and no response, as a dying proxy or PHP worker does."""
        self._aborted = True
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self):
        if self._aborted:
            return
        super().finish()

    def do_GET(self):  # pylint: disable=invalid-name
        self._dispatch("GET")

    def do_POST(self):  # pylint: disable=invalid-name
        self._dispatch("POST")

    def do_PUT(self):  # pylint: disable=invalid-name
        self._dispatch("PUT")

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._dispatch("DELETE")

    def _dispatch(self, method):
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith(CONTROL_PREFIX):
            self._control(method, url.path.partition(CONTROL_PREFIX)[2].strip("/"), body)
        elif url.path == rest.ENDPOINT:
            self._moodle(method, url.query, body)
        else:
            self._send(404, "text/html; charset=utf-8", b"<h1>Not Found</h1>")

    # --- Moodle's endpoint ---------------------------------------------------------------------
    def _moodle(self, method, query, body):
        sim = self.server.simulator
        query_pairs = php.split_form(query)
        post_pairs = rest.body_pairs(body, self.headers.get("Content-Type")) if method == "POST" else []
        wsfunction = rest.peek_function(query_pairs, post_pairs)
        sim._count(wsfunction, query_pairs + post_pairs, self.client_address[1])  # pylint: disable=protected-access
        fault = sim.faults.pick(wsfunction)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.kind == "reset_before":
            self._abort()
            return
        if fault is not None and fault.kind == "http_status":
            self._send(fault.status, "text/html", error_page(fault.status))
            return
        if fault is not None and fault.kind == "write_race":
            race = moodle_exception("dmlwriteexception", cls="dml_write_exception")
            content_type, text = render.error("json", race, sim.site.settings)
            self._send(200, content_type, text.encode("utf-8"))
            return
        status, content_type, payload = rest.handle(
            sim.site, FUNCTIONS, query_pairs, post_pairs, self.client_address[0], sim.url
        )
        if fault is not None and fault.kind == "commit_then_drop":
            self._abort()  # the write is committed; the client never hears about it
            return
        self._send(
            status,
            content_type,
            payload,
            extra=(
                ("Cache-Control", "private, must-revalidate, pre-check=0, post-check=0, max-age=0"),
                ("Access-Control-Allow-Origin", "*"),
            ),
        )

    # --- control API ---------------------------------------------------------------------------
    def _control(self, method, route, body):
        sim = self.server.simulator
        try:
            data = json.loads(body.decode() or "{}") if body else {}
            result = self._route(sim, method, route, data)
        except (KeyError, ValueError, TypeError) as error:
            self._send(400, "application/json", json.dumps({"error": str(error)}).encode())
            return
        if result is _NOT_FOUND:
            self._send(404, "application/json", json.dumps({"error": "no such control route"}).encode())
            return
        self._send(200, "application/json", json.dumps(result, default=str).encode())

    @staticmethod
    def _route(sim, method, route, data):  # pylint: disable=too-many-return-statements
        key = (method, route)
        if key == ("GET", "state"):
            return sim.state()
        if key == ("GET", "counts"):
            return sim.request_counts()
        if key == ("DELETE", "counts"):
            sim.reset_counts()
            return {}
        if key == ("POST", "reset"):
            sim.reset(data.get("seed"))
            return {"url": sim.url}
        if key == ("POST", "settings"):
            return sim.settings(**data)
        if key == ("POST", "faults"):
            return sim.inject_fault(**data)
        if key == ("DELETE", "faults"):
            sim.clear_faults()
            return {}
        if key == ("POST", "users"):
            return sim.add_user(**data)
        if key == ("POST", "cohorts"):
            return sim.add_cohort(**data)
        if key == ("POST", "members"):
            sim.add_cohort_member(**data)
            return {}
        if key == ("POST", "services"):
            return sim.add_service(**data)
        if key == ("POST", "authorise"):
            sim.authorise(**data)
            return {}
        if key == ("POST", "tokens"):
            return {"token": sim.add_token(**data)}
        if key == ("POST", "capabilities"):
            return sim.set_capabilities(**data)
        return _NOT_FOUND


_NOT_FOUND = object()
