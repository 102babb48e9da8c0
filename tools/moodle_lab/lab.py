"""One lab: a Moodle site with its own database server and web server, all under ``build/lab/<name>/``."""

import json
import os
import shutil
import time
import urllib.error
import urllib.request

from . import php, system
from .databases import database_class
from .errors import LabError
from .source import MoodleTree, unpack

TOKEN_NAMES = (
    "TOKEN_OK",
    "TOKEN_FULL",
    "TOKEN_MISSING_FN",
    "TOKEN_UNAUTHORISED",
    "TOKEN_NOCAP",
    "TOKEN_NOCAP_RESTONLY",
    "TOKEN_EXPIRED",
    "TOKEN_IPRESTRICTED",
    "TOKEN_SITEADMIN",
)


def default_root():
    """``build/lab`` of the checkout this tool lives in, unless MOODLE_LAB_ROOT says otherwise."""
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get("MOODLE_LAB_ROOT") or os.path.join(checkout, "build", "lab")


def _write_private(path, text):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path + ".tmp", 0o600)
    os.replace(path + ".tmp", path)


class Lab:
    def __init__(self, name="default", root=None):
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise LabError("a lab name is letters, digits, '-', '_' or '.': %r" % name)
        self.name = name
        self.home = os.path.join(root or default_root(), name)
        self.state_file = os.path.join(self.home, "lab.json")
        self.env_file = os.path.join(self.home, "lab.env")
        self.state = self._load()

    # --- state ---------------------------------------------------------------------------------

    def _load(self):
        try:
            with open(self.state_file) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def _save(self):
        os.makedirs(self.home, exist_ok=True)
        _write_private(self.state_file, json.dumps(self.state, indent=1, sort_keys=True) + "\n")

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    @property
    def configured(self):
        return bool(self.state.get("configured")) and os.path.isfile(self.path("moodle", "config.php"))

    def tree(self):
        return MoodleTree(self.path("moodle"))

    def database(self):
        return database_class(self.state["db"])(self.path("db"), self.state["db_port"])

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.state["web_port"]

    @property
    def target(self):
        return "%s-%s" % (self.state.get("short_version"), self.state.get("db"))

    # --- commands ------------------------------------------------------------------------------

    def up(self, source=None, db=None, port=None):
        """Install (first time: ``db`` defaults to pgsql) or restart the lab; an installed lab keeps its database."""
        started = []
        try:
            if not self.configured:
                self._build(source, db or "pgsql", port, started)
            else:
                if db and database_class(db).kind != self.state["db"]:
                    raise LabError(
                        "lab %r is installed on %s; `destroy` it first, or use another --name for %s"
                        % (self.name, self.state["db"], database_class(db).kind)
                    )
                php.ensure(database_class(self.state["db"]), self.tree().requirements()["php"])
                self._start_database(started)
            self._start_web(port, started)
            self._write_env()
        except BaseException:
            for stop in reversed(started):
                stop()
            raise
        return self

    def _build(self, source, db, port, started):
        """Unpack, install, configure and snapshot a new site; nothing of a failed attempt is kept running."""
        database_cls = database_class(db)
        if os.path.isdir(self.home):
            self._stop_all()
            # A half-built lab from an interrupted attempt: start again from nothing.
            shutil.rmtree(self.home)
        os.makedirs(self.home, exist_ok=True)
        self.state = {"db": database_cls.kind, "source": os.path.abspath(source) if source else None}
        system.apt_install(database_cls.packages_needed(), "the lab's %s server" % database_cls.kind)
        tick = time.monotonic()
        tree = unpack(source, self.path("moodle"))
        requirements = tree.requirements()
        php_version = php.ensure(database_cls, requirements["php"])
        self.state.update(
            release=tree.release,
            version=tree.version,
            branch=tree.branch,
            short_version=tree.short_version,
            php=php_version,
            db_port=system.free_port(),
            web_port=self._choose_port(port),
        )
        self._save()
        self._start_database(started)
        database = self.database()
        database.create_site_database()
        dataroot = self.path("moodledata")
        os.makedirs(dataroot, exist_ok=True)
        print("moodle-lab: installing Moodle %s on %s (about a minute)" % (tree.release, database.kind), flush=True)
        php.install(tree, database, self.url, dataroot, self.path("install.log"))
        configured = php.run_lab_script(tree, "configure")
        self.state.update(tokens=configured["tokens"], cohorts=configured["cohorts"], users=configured["users"])
        # The configured site, kept for reset: the database and moodledata (its caches match the database).
        database.snapshot()
        shutil.copytree(dataroot, self.path("moodledata.configured"), symlinks=True)
        self.state.update(configured=True, install_seconds=round(time.monotonic() - tick, 1))
        self._save()

    def _choose_port(self, port):
        if port:
            if system.port_in_use(port):
                raise LabError(
                    "port %d is in use by another program: choose another with --port"
                    " (MOODLE_LAB_PORT) or leave it unset for a free one" % port
                )
            return port
        return system.free_port()

    def _start_database(self, started):
        database = self.database()
        if not database.running():
            if self.configured and system.port_in_use(database.port):
                # Another program took the port while the lab was down: move the site's database.
                self.state["db_port"] = system.free_port()
                self._save()
                php.set_address(self.tree(), dbport=self.state["db_port"])
                database = self.database()
            database.start()
            started.append(database.stop)

    def _start_web(self, port, started):
        if system.pid_alive(self.state.get("web_pid")):
            return
        wanted = port or self.state["web_port"]
        if system.port_in_use(wanted):
            if port:
                raise LabError("port %d is in use by another program: choose another with --port" % port)
            wanted = system.free_port()
        if wanted != self.state["web_port"]:
            self.state["web_port"] = wanted
            php.set_address(self.tree(), wwwroot=self.url)
        log = self.path("web.log")
        self.state["web_pid"] = php.serve(self.tree(), wanted, log)
        started.append(self._stop_web)
        self._save()
        system.wait_for_port(wanted, 20, "PHP's built-in server", log)
        self._wait_for_moodle()

    def _wait_for_moodle(self):
        """The REST endpoint answers (an unknown token is refused in Moodle's JSON) before ``up`` returns."""
        data = b"wstoken=0&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json"
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/webservice/rest/server.php", data=data, timeout=10) as answer:
                    if b"errorcode" in answer.read():
                        return
            except (urllib.error.URLError, OSError) as error:
                last = error
            time.sleep(0.3)
        raise LabError(
            "Moodle does not answer at %s/webservice/rest/server.php (%s); see %s"
            % (self.url, last, self.path("web.log"))
        )

    def _stop_web(self):
        system.stop_group(self.state.get("web_pid"))
        self.state.pop("web_pid", None)
        if self.state:
            self._save()

    def _stop_all(self):
        self._stop_web()
        if self.state.get("db") and self.state.get("db_port"):
            self.database().stop()

    def down(self):
        if not self.state:
            return
        self._stop_all()

    def destroy(self):
        self.down()
        database_home = self.path("db")
        if os.path.islink(database_home):  # kept outside the checkout (databases.Database._move_home)
            shutil.rmtree(os.path.realpath(database_home), ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)
        self.state = {}

    def reset(self):
        """The site as it was right after configuration: database and moodledata copied back."""
        self._require_running()
        tick = time.monotonic()
        self.database().restore()
        dataroot = self.path("moodledata")
        shutil.rmtree(dataroot)
        shutil.copytree(self.path("moodledata.configured"), dataroot, symlinks=True)
        return time.monotonic() - tick

    def config(self, name, value):
        self._require_running()
        return php.run_lab_script(self.tree(), "config", name=name, value=value)

    def rest_use(self, username, grant):
        self._require_running()
        return php.run_lab_script(self.tree(), "rest-use", username=username, grant=1 if grant else 0)

    def _require_running(self):
        if not self.configured:
            raise LabError("lab %r is not installed: run `make lab` (python3 tools/moodle_lab up)" % self.name)
        if not self.database().running():
            raise LabError("lab %r is stopped: run `make lab` to start it" % self.name)

    def status(self):
        if not self.state:
            return {"name": self.name, "installed": False}
        running = self.configured and self.database().running() and system.pid_alive(self.state.get("web_pid"))
        return {
            "name": self.name,
            "installed": self.configured,
            "running": bool(running),
            "home": self.home,
            "target": self.target,
            "release": self.state.get("release"),
            "db": self.state.get("db"),
            "url": self.url if self.state.get("web_port") else None,
            "php": self.state.get("php"),
            "install_seconds": self.state.get("install_seconds"),
            "env_file": self.env_file,
        }

    # --- lab.env -------------------------------------------------------------------------------

    def env(self):
        tokens = self.state["tokens"]
        values = {
            "MOODLE_BASE_URL": self.url,
            "MOODLE_TOKEN": tokens["TOKEN_OK"],
            "MOODLE_ONEMEMBERSHIP_COHORT_ID": str(self.state["cohorts"]["onemembership"]),
            "MOODLE_LAB_NAME": self.name,
            "MOODLE_LAB_HOME": self.home,
            "MOODLE_LAB_TOOL": os.path.dirname(os.path.abspath(__file__)),
            "MOODLE_LAB_RELEASE": self.state["release"].split(" ")[0],
            "MOODLE_LAB_VERSION": self.state["version"],
            "MOODLE_LAB_BRANCH": self.state["branch"],
            "MOODLE_LAB_DB": self.state["db"],
            "MOODLE_LAB_TARGET": self.target,
            "MOODLE_LAB_SECOND_COHORT_ID": str(self.state["cohorts"]["second"]),
        }
        for name in TOKEN_NAMES:
            values["MOODLE_LAB_" + name] = tokens[name]
        return values

    def _write_env(self):
        lines = ["# Written by tools/moodle_lab for lab %r: tokens of a disposable test site. Mode 0600." % self.name]
        lines += ["%s=%s" % item for item in self.env().items()]
        _write_private(self.env_file, "\n".join(lines) + "\n")
