"""Private database servers for a lab: their own data folder and socket, loopback only, a free port.

The lab never connects to a server it did not start. Each server holds the site's database and a
snapshot of it taken right after the site was configured, which ``reset`` copies back.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import time

from . import system
from .errors import LabError

# Where a server's files go when the account it runs as cannot enter the checkout (Database._move_home).
OUTSIDE_HOMES = "/var/lib/moodle-lab"
DB_NAME = "moodle"
SNAPSHOT = "moodle_configured"
DB_USER = "moodle"
DB_PASS = "moodle-lab"  # loopback only, a throw-away server: not a secret


class Database:
    kind = None  # Moodle's dbtype
    php_extension = None  # the PHP extension Moodle needs for it
    php_package = None

    def __init__(self, home, port):
        # The lab's folder for this server (data/, run/, server.log), or where its link points (prepare_home).
        self.home = os.path.realpath(home)
        self.port = port
        self.user = system.ensure_lab_user() if system.is_root() else None

    @property
    def data(self):
        return os.path.join(self.home, "data")

    @property
    def rundir(self):
        return os.path.join(self.home, "run")

    @property
    def log(self):
        return os.path.join(self.home, "server.log")

    def prepare_home(self):
        os.makedirs(self.home, exist_ok=True)
        if self.user:
            system.chown_tree(self.home, self.user)
            if not system.user_can_write(self.user, self.home):
                self._move_home()
        os.makedirs(self.rundir, exist_ok=True)
        if self.user:
            system.chown_tree(self.home, self.user)

    def _move_home(self):
        """The checkout is under a folder the server's account cannot enter (such as /root): keep the server's
        files in a folder of that account's own, linked from the lab."""
        link = self.home
        target = os.path.join(OUTSIDE_HOMES, hashlib.sha1(link.encode()).hexdigest()[:16])
        os.makedirs(target, exist_ok=True)
        system.chown_tree(target, self.user)
        if not system.user_can_write(self.user, target):
            raise LabError("the unprivileged account %s can reach neither %s nor %s" % (self.user, link, target))
        shutil.rmtree(link)
        os.symlink(target, link)
        self.home = target

    def install_args(self):
        """Options of Moodle's admin/cli/install.php for this server."""
        return [
            "--dbtype=%s" % self.kind,
            "--dbhost=127.0.0.1",
            "--dbport=%d" % self.port,
            "--dbname=" + DB_NAME,
            "--dbuser=" + DB_USER,
            "--dbpass=" + DB_PASS,
            "--prefix=mdl_",
        ]


class PostgreSQL(Database):
    kind = "pgsql"
    php_extension = "pgsql"
    php_package = "php8.2-pgsql"

    @staticmethod
    def binaries():
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        return os.path.dirname(found[-1]) if found else None

    @classmethod
    def packages_needed(cls):
        return [] if cls.binaries() else ["postgresql"]

    def _bin(self, name):
        return os.path.join(self.binaries(), name)

    def _psql(self, *sql, database="postgres"):
        argv = [
            self._bin("psql"),
            "-h",
            self.rundir,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
        ]
        for statement in sql:
            argv += ["-c", statement]
        return system.run(argv, user=self.user).stdout

    def initialised(self):
        return os.path.isfile(os.path.join(self.data, "PG_VERSION"))

    def running(self):
        return (
            os.path.exists(os.path.join(self.data, "postmaster.pid"))
            and system.run([self._bin("pg_ctl"), "-D", self.data, "status"], user=self.user, check=False).returncode
            == 0
        )

    def start(self):
        self.prepare_home()
        if not self.initialised():
            system.run(
                [
                    self._bin("initdb"),
                    "-D",
                    self.data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                user=self.user,
            )
        if self.running():
            return
        if system.port_in_use(self.port):
            raise LabError("port %d (the lab's PostgreSQL) is in use by another program" % self.port)
        # A disposable test site: durability is traded for speed (no fsync).
        options = (
            "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=50" % (self.port, self.rundir)
        )
        system.run(
            [self._bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start"],
            user=self.user,
        )

    def stop(self):
        if self.initialised() and self.running():
            system.run([self._bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], user=self.user)

    def create_site_database(self):
        self._psql("DROP DATABASE IF EXISTS %s" % DB_NAME, "DROP DATABASE IF EXISTS %s" % SNAPSHOT)
        self._psql(
            "DROP ROLE IF EXISTS %s" % DB_USER,
            "CREATE ROLE %s LOGIN PASSWORD '%s' CREATEDB" % (DB_USER, DB_PASS),
            "CREATE DATABASE %s OWNER %s ENCODING 'UTF8'" % (DB_NAME, DB_USER),
        )

    def snapshot(self):
        self._psql(
            "DROP DATABASE IF EXISTS %s" % SNAPSHOT,
            "CREATE DATABASE %s TEMPLATE %s OWNER %s" % (SNAPSHOT, DB_NAME, DB_USER),
        )

    def restore(self):
        self._psql(
            "DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB_NAME,
            "CREATE DATABASE %s TEMPLATE %s OWNER %s" % (DB_NAME, SNAPSHOT, DB_USER),
        )


class MariaDB(Database):
    kind = "mariadb"
    php_extension = "mysqli"
    php_package = "php8.2-mysql"

    @staticmethod
    def binaries():
        for path in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"):
            if os.path.exists(path):
                return path
        return None

    @classmethod
    def packages_needed(cls):
        return [] if cls.binaries() and shutil.which("mariadb-install-db") else ["mariadb-server"]

    @property
    def socket(self):
        return os.path.join(self.rundir, "mysqld.sock")

    @property
    def pidfile(self):
        return os.path.join(self.rundir, "mysqld.pid")

    def _client(self, *sql, database=None):
        argv = ["mariadb", "--no-defaults", "-S", self.socket, "-u", "root", "-N", "-B"]
        if database:
            argv.append(database)
        # The client joins several -e options into one text: give it one, with the statements separated.
        argv += ["-e", "; ".join(sql)]
        return system.run(argv).stdout

    def _dump_path(self):
        return os.path.join(self.home, SNAPSHOT + ".sql")

    def initialised(self):
        return os.path.isdir(os.path.join(self.data, "mysql"))

    def _pid(self):
        try:
            return int(open(self.pidfile).read().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        return system.pid_alive(self._pid())

    def start(self):
        self.prepare_home()
        if not self.initialised():
            argv = [
                "mariadb-install-db",
                "--no-defaults",
                "--datadir=" + self.data,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ]
            if self.user:
                argv.append("--user=" + self.user)
            system.run(argv)
        if self.running():
            return
        if system.port_in_use(self.port):
            raise LabError("port %d (the lab's MariaDB) is in use by another program" % self.port)
        argv = [
            self.binaries(),
            "--no-defaults",
            "--datadir=" + self.data,
            "--socket=" + self.socket,
            "--pid-file=" + self.pidfile,
            "--port=%d" % self.port,
            "--bind-address=127.0.0.1",
            "--log-error=" + self.log,
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--skip-log-bin",
            "--max-connections=50",
        ]
        if self.user:
            argv.append("--user=" + self.user)
        # mariadbd does not detach: it runs in a session of its own, stopped by its pid file.
        with open(os.devnull, "rb") as devnull, open(self.log, "ab") as log:
            subprocess.Popen(argv, stdin=devnull, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (
                os.path.exists(self.socket)
                and system.run(
                    ["mariadb-admin", "--no-defaults", "-S", self.socket, "-u", "root", "ping"], check=False
                ).returncode
                == 0
            ):
                return
            time.sleep(0.3)
        raise LabError("the lab's MariaDB did not start within 60 s; its log: %s" % self.log)

    def stop(self):
        pid = self._pid()
        if system.pid_alive(pid):
            system.run(["mariadb-admin", "--no-defaults", "-S", self.socket, "-u", "root", "shutdown"], check=False)
            deadline = time.monotonic() + 30
            while system.pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if system.pid_alive(pid):
                os.kill(pid, 9)

    def create_site_database(self):
        self._client(
            "DROP DATABASE IF EXISTS %s" % DB_NAME,
            "CREATE DATABASE %s DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % DB_NAME,
            "CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY '%s'" % (DB_USER, DB_PASS),
            "CREATE USER IF NOT EXISTS '%s'@'localhost' IDENTIFIED BY '%s'" % (DB_USER, DB_PASS),
            "GRANT ALL ON %s.* TO '%s'@'127.0.0.1'" % (DB_NAME, DB_USER),
            "GRANT ALL ON %s.* TO '%s'@'localhost'" % (DB_NAME, DB_USER),
        )

    def snapshot(self):
        argv = [
            "mariadb-dump",
            "--no-defaults",
            "-S",
            self.socket,
            "-u",
            "root",
            "--single-transaction",
            "--skip-lock-tables",
            "--add-drop-table",
            DB_NAME,
        ]
        # Straight to the file, with the server's complaint kept apart; tried twice, since a dump is harmless
        # to repeat and a busy machine has been seen to break one off.
        for attempt in (1, 2):
            with open(self._dump_path(), "w") as handle:
                result = subprocess.run(argv, stdout=handle, stderr=subprocess.PIPE, text=True, check=False)
            if result.returncode == 0:
                return
            time.sleep(2 * attempt)
        os.unlink(self._dump_path())
        raise LabError(
            "saving the configured site (mariadb-dump, exit %d) failed twice: %s; the server's log: %s"
            % (result.returncode, result.stderr.strip()[-800:], self.log)
        )

    def restore(self):
        # Tried twice, like the dump: dropping and loading again is harmless.
        for attempt in (1, 2):
            self._client(
                "DROP DATABASE IF EXISTS %s" % DB_NAME,
                "CREATE DATABASE %s DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % DB_NAME,
            )
            with open(self._dump_path()) as dump:
                result = subprocess.run(
                    ["mariadb", "--no-defaults", "-S", self.socket, "-u", "root", DB_NAME],
                    stdin=dump,
                    text=True,
                    capture_output=True,
                    check=False,
                )
            if result.returncode == 0:
                return
            time.sleep(2 * attempt)
        raise LabError("restoring the configured site into MariaDB failed: %s" % result.stderr.strip()[-500:])


KINDS = {"pgsql": PostgreSQL, "postgres": PostgreSQL, "postgresql": PostgreSQL, "mariadb": MariaDB}


def database_class(name):
    try:
        return KINDS[name]
    except KeyError:
        raise LabError("MOODLE_DB=%s is not supported: use pgsql or mariadb" % name) from None
