"""PHP: the CLI that installs and configures Moodle, and the built-in server that serves it."""

import json
import os
import re
import shutil
import subprocess

from . import system
from .errors import LabError

PHP = "php"
# Moodle refuses PHP 8 without this (admin/environment.xml); the web server needs it for large batches too.
INI = [
    "-d",
    "max_input_vars=5000",
    "-d",
    "memory_limit=512M",
    "-d",
    "upload_max_filesize=64M",
    "-d",
    "post_max_size=64M",
]
# Extensions Moodle requires (admin/environment.xml), with the Debian package that brings each.
EXTENSIONS = {
    "iconv": "php8.2-cli",
    "mbstring": "php8.2-mbstring",
    "curl": "php8.2-curl",
    "openssl": "php8.2-cli",
    "tokenizer": "php8.2-cli",
    "ctype": "php8.2-cli",
    "zip": "php8.2-zip",
    "gd": "php8.2-gd",
    "simplexml": "php8.2-xml",
    "dom": "php8.2-xml",
    "xml": "php8.2-xml",
    "xmlreader": "php8.2-xml",
    "intl": "php8.2-intl",
    "json": "php8.2-cli",
    "hash": "php8.2-cli",
    "fileinfo": "php8.2-cli",
    "sodium": "php8.2-cli",
    "soap": "php8.2-soap",
}
LAB_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "php", "lab.php")


def version():
    if not shutil.which(PHP):
        return None
    out = subprocess.run([PHP, "-r", "echo PHP_VERSION;"], capture_output=True, text=True, check=False).stdout.strip()
    return out or None


def loaded_extensions():
    out = subprocess.run([PHP, "-m"], capture_output=True, text=True, check=False).stdout
    return {line.strip().lower() for line in out.splitlines() if line.strip() and not line.startswith("[")}


def ensure(database_cls, minimum):
    """PHP's CLI with every extension Moodle and the database need: installed when root, else named."""
    wanted = dict(EXTENSIONS)
    wanted[database_cls.php_extension] = database_cls.php_package
    if version() is None:
        system.apt_install(set(wanted.values()), "Moodle needs PHP's CLI and extensions")
    else:
        have = loaded_extensions()
        missing = {ext: pkg for ext, pkg in wanted.items() if ext not in have}
        system.apt_install(set(missing.values()), "PHP lacks the extensions %s" % ", ".join(sorted(missing)))
    found = version()
    if found is None:
        raise LabError("php is still not on PATH after installing it")
    if minimum and _tuple(found) < _tuple(minimum):
        raise LabError(
            "this Moodle needs PHP %s or newer (admin/environment.xml); the PHP here is %s" % (minimum, found)
        )
    return found


def _tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def run_lab_script(tree, action, **options):
    """Run our script inside the site (Moodle's own APIs); return its JSON answer."""
    argv = [PHP] + INI + [LAB_SCRIPT, "--moodle=" + tree.root, "--action=" + action]
    argv += ["--%s=%s" % (key, value) for key, value in options.items()]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(
            "lab.php --action=%s failed (exit %d): %s"
            % (action, result.returncode, (result.stderr or result.stdout).strip()[-2000:])
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def install(tree, database, wwwroot, dataroot, log):
    """Moodle's own non-interactive installer; on failure its config.php is removed so a retry can run."""
    argv = (
        [PHP]
        + INI
        + [
            tree.install_script,
            "--non-interactive",
            "--agree-license",
            "--allow-unstable",
            "--lang=en",
            "--wwwroot=" + wwwroot,
            "--dataroot=" + dataroot,
        ]
        + database.install_args()
        + [
            "--fullname=Moodle Lab",
            "--shortname=lab",
            "--summary=dsenroll.moodle test lab",
            "--adminuser=admin",
            "--adminpass=Admin-Lab-Pass-1!",
            "--adminemail=admin@example.com",
            "--supportemail=admin@example.com",
        ]
    )
    with open(log, "w") as handle:
        result = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, cwd=tree.root, check=False)
    if result.returncode != 0:
        if os.path.exists(tree.config_file):
            os.unlink(tree.config_file)
        tail = open(log, errors="replace").read().strip().splitlines()[-12:]
        raise LabError(
            "Moodle's installer failed (exit %d); its last lines:\n  %s\nwhole log: %s"
            % (result.returncode, "\n  ".join(tail), log)
        )


def set_address(tree, wwwroot=None, dbport=None):
    """Point an installed site at another URL or database port (a second ``up`` when a port was taken)."""
    text = open(tree.config_file).read()
    if wwwroot:
        text = re.sub(r"^\$CFG->wwwroot\s*=.*$", "$CFG->wwwroot   = '%s';" % wwwroot, text, count=1, flags=re.M)
    if dbport:
        text = re.sub(r"'dbport' => \d*,", "'dbport' => %d," % dbport, text, count=1)
    with open(tree.config_file, "w") as handle:
        handle.write(text)


def serve(tree, port, log, workers=4):
    """PHP's built-in server in a session of its own (so ``down`` stops it and its workers); returns its pid."""
    env = dict(os.environ, PHP_CLI_SERVER_WORKERS=str(workers))
    argv = [PHP] + INI + ["-S", "127.0.0.1:%d" % port, "-t", tree.webroot]
    with open(os.devnull, "rb") as devnull, open(log, "ab") as handle:
        process = subprocess.Popen(
            argv, stdin=devnull, stdout=handle, stderr=handle, env=env, cwd=tree.webroot, start_new_session=True
        )
    return process.pid
