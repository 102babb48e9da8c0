"""Processes, ports, packages and the unprivileged account the database servers run as."""

import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import time

from .errors import LabError

LAB_USER = "moodlelab"


def is_root():
    return os.geteuid() == 0


def run(argv, *, user=None, env=None, check=True, capture=True, timeout=None, cwd=None):
    """Run a command (as ``user`` when given and we are root); raise LabError with its output on failure."""
    if user and is_root() and user != "root":
        argv = ["runuser", "-u", user, "--"] + list(argv)
    result = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        timeout=timeout,
        text=True,
        check=False,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
    )
    if check and result.returncode != 0:
        output = (result.stdout or "").strip().splitlines()[-15:]
        raise LabError(
            "%s failed (exit %d)%s"
            % (" ".join(argv[:3]), result.returncode, ":\n  " + "\n  ".join(output) if output else "")
        )
    return result


def free_port():
    """A free port below Linux's ephemeral range, so that client connections never take it from a lab."""
    for port in random.sample(range(20000, 32000), 200):
        if not port_in_use(port):
            return port
    raise LabError("no free port between 20000 and 32000 on 127.0.0.1")


def port_in_use(port):
    """Something listens on the port (a connection lingering in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def wait_for_port(port, seconds, what, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise LabError(
        "%s did not start listening on 127.0.0.1:%d within %d s%s"
        % (what, port, seconds, "; its log: %s" % log if log else "")
    )


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def stop_group(pid, seconds=10):
    """Stop a process we started in its own session, and everything it started (SIGTERM, then SIGKILL)."""
    if not pid_alive(pid):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not pid_alive(pid):
                return
            time.sleep(0.1)


def ensure_lab_user():
    """The account database servers run as (PostgreSQL refuses root); created when missing."""
    if not is_root():
        return None
    try:
        pwd.getpwnam(LAB_USER)
    except KeyError:
        run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                LAB_USER,
            ]
        )
    return LAB_USER


def user_can_write(user, path):
    if not user:
        return os.access(path, os.W_OK | os.X_OK)
    return run(["test", "-w", path, "-a", "-x", path], user=user, check=False).returncode == 0


def chown_tree(path, user):
    if user:
        entry = pwd.getpwnam(user)
        for root, dirs, files in os.walk(path):
            os.chown(root, entry.pw_uid, entry.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def apt_install(packages, why):
    """Install Debian packages when root (services they ship are not started); else say what to install."""
    packages = sorted(set(packages))
    if not packages:
        return
    command = "apt-get install -y " + " ".join(packages)
    if not is_root() or not shutil.which("apt-get"):
        raise LabError("%s: install these Debian packages first (as root): %s" % (why, command))
    print("moodle-lab: installing %s (%s)" % (" ".join(packages), why), flush=True)
    # Keep the packages' own services (a system PostgreSQL or MariaDB) from starting: the lab runs its own.
    policy = "/usr/sbin/policy-rc.d"
    created = not os.path.exists(policy)
    if created:
        with open(policy, "w") as handle:
            handle.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        result = run(["apt-get", "install", "-y", "-q"] + packages, env=env, check=False)
        if result.returncode != 0:
            run(["apt-get", "update", "-q"], env=env)
            run(["apt-get", "install", "-y", "-q"] + packages, env=env)
    finally:
        if created:
            os.unlink(policy)
