# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the application host's side of the set-up: the ``.env`` file and where the token leaked.

The application reads the token from its ``.env``; it must never be in a Blade file, JavaScript, a git
repository, an API response, frontend code or a log file. These checks look for exactly that.
Pure functions over the file system; git is reached through a ``run(args, cwd)`` callable that returns
``(rc, stdout, stderr)`` (AnsibleModule.run_command in the module). No result ever contains the token.
"""

import os
import stat

from ansible_collections.dsenroll.moodle.plugins.module_utils._checks.result import FAIL, PASS, SKIP, WARN, check
from ansible_collections.dsenroll.moodle.plugins.module_utils._names.admin import TOKENS

ENV_KEYS = ("MOODLE_BASE_URL", "MOODLE_TOKEN", "MOODLE_ONEMEMBERSHIP_COHORT_ID")
# Shorter strings would match unrelated text; Moodle tokens are 32 hex characters (docs/moodle-behaviour.md#tokens).
MIN_TOKEN_LENGTH = 16
SKIPPED_DIRS = (".git", ".hg", ".svn")
ROTATE = (
    "rotate the token, since anyone who read it can use it: create a new one at %s, delete the leaked one "
    "there, and put the new one in the .env" % TOKENS
)


def parse_env(text):
    """``KEY=value`` pairs of a dotenv file as Laravel reads them (comments, ``export``, quotes)."""
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line.partition(" ")[2].lstrip()
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            end = value.find(quote, 1)
            value = value[1:end] if end > 0 else value[1:]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def read_env(path):
    """The parsed file, or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return parse_env(handle.read().decode("utf-8", "replace"))
    except (IOError, OSError):
        return None


def env_keys_check(path, values, keys=ENV_KEYS, token=None):
    if values is None:
        return check(
            "env_file:keys",
            FAIL,
            "%s does not exist or cannot be read" % path,
            "Create it with %s, readable by the application's user only." % ", ".join(keys),
        )
    missing = [k for k in keys if not values.get(k)]
    if missing:
        return check(
            "env_file:keys",
            FAIL,
            "%s lacks %s" % (path, ", ".join(missing)),
            "Add %s to %s." % (", ".join("%s=..." % k for k in missing), path),
        )
    if token and values.get("MOODLE_TOKEN") and values["MOODLE_TOKEN"] != token:
        return check(
            "env_file:keys",
            WARN,
            "%s has %s, but its MOODLE_TOKEN is not the token these checks used" % (path, ", ".join(keys)),
            "Run the checks with the application's token (leave moodle_token unset to use MOODLE_TOKEN "
            "from the environment), or update MOODLE_TOKEN in %s." % path,
        )
    return check("env_file:keys", PASS, "%s has %s" % (path, ", ".join(keys)))


def env_permissions_check(path):
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return check("env_file:permissions", SKIP, "not checked: %s cannot be read" % path)
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        return check(
            "env_file:permissions",
            FAIL,
            "%s is %s by every user of this host (mode %04o)"
            % (path, "readable" if mode & stat.S_IROTH else "writable", mode),
            "chmod 600 %s (or 640 with the web server's group as the file's group)." % path,
        )
    return check("env_file:permissions", PASS, "%s is not open to other users (mode %04o)" % (path, mode))


def env_git_check(path, run):
    """Is the .env tracked, in the history, or one ``git add`` away? ``run`` is None without git."""
    if run is None:
        return check("env_file:git", SKIP, "not checked: git is not installed")
    directory, name = os.path.split(os.path.abspath(path))
    rc, out, _err = run(["rev-parse", "--is-inside-work-tree"], directory)
    if rc != 0 or out.strip() != "true":
        return check("env_file:git", PASS, "%s is not inside a git work tree" % path)
    rc, _out, _err = run(["ls-files", "--error-unmatch", "--", name], directory)
    if rc == 0:
        return check(
            "env_file:git",
            FAIL,
            "%s is tracked by git: the token is in the repository" % path,
            "Run git rm --cached %s, add %s to .gitignore and commit; then %s." % (name, name, ROTATE),
        )
    rc, out, _err = run(["log", "--all", "--format=%h", "-1", "--", name], directory)
    if rc == 0 and out.strip():
        return check(
            "env_file:git",
            FAIL,
            "%s is no longer tracked but is in the git history (commit %s)" % (path, out.strip()),
            "The token is in every clone of the repository: %s." % ROTATE,
        )
    rc, _out, _err = run(["check-ignore", "-q", "--", name], directory)
    if rc != 0:
        return check(
            "env_file:git",
            WARN,
            "%s is not tracked, but git does not ignore it either" % path,
            "Add %s to the work tree's .gitignore, so that no git add -A can commit it." % name,
        )
    return check("env_file:git", PASS, "%s is ignored by git" % path)


def _files(paths, skip_real):
    for top in paths:
        if os.path.isfile(top):
            if os.path.realpath(top) not in skip_real:
                yield top
            continue
        for root, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(names):
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path) and os.path.realpath(path) not in skip_real:
                    yield path


def find_token(paths, token, skip=()):
    """``(leaks, unreadable, absent)``: leaks are ``{path, lines}``, lines numbered from 1."""
    needle = token.encode("utf-8")
    skip_real = set(os.path.realpath(p) for p in skip if p)
    leaks, unreadable = [], []
    absent = [p for p in paths if not os.path.exists(p)]
    for path in _files([p for p in paths if os.path.exists(p)], skip_real):
        try:
            with open(path, "rb") as handle:
                lines = [number for number, line in enumerate(handle, 1) if needle in line]
        except (IOError, OSError):
            unreadable.append(path)
            continue
        if lines:
            leaks.append({"path": path, "lines": lines})
    return leaks, unreadable, absent


def leak_check(paths, token, env_file=None):
    """The ``token_leaks`` check and the leaks found (never the token itself)."""
    if not token:
        return check(
            "token_leaks",
            SKIP,
            "not checked: no token to look for (moodle_token, MOODLE_TOKEN or the .env's MOODLE_TOKEN)",
        ), []
    if len(token) < MIN_TOKEN_LENGTH:
        return check("token_leaks", SKIP, "not checked: the token is too short to search for without false matches"), []
    leaks, unreadable, absent = find_token(paths, token, skip=[env_file])
    if leaks:
        where = ", ".join("%s:%s" % (leak["path"], ",".join(str(n) for n in leak["lines"])) for leak in leaks)
        return check(
            "token_leaks",
            FAIL,
            "the token appears in %d file(s) besides the .env: %s" % (len(leaks), where),
            "Remove the token from these files (and from logs, caches and backups made of them), read it "
            "only from the .env; then %s." % ROTATE,
        ), leaks
    notes = []
    if unreadable:
        notes.append("could not read %s" % ", ".join(unreadable))
    if absent:
        notes.append("no such path: %s" % ", ".join(absent))
    if notes:
        return check(
            "token_leaks",
            WARN,
            "the token was not found, but %s" % "; ".join(notes),
            "Run the checks as a user who can read every scanned path, and check the paths given.",
        ), []
    return check("token_leaks", PASS, "the token appears in no file under %s besides the .env" % ", ".join(paths)), []
