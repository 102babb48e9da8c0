"""A Moodle release tree: where it comes from, what version it is, what it needs."""

import os
import re
import shutil
import tarfile
from xml.etree import ElementTree

from .errors import LabError

ARCHIVES = (".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar")


class MoodleTree:
    """An unpacked Moodle: its code root, its web root (``public/`` from Moodle 5.1 on) and its version."""

    def __init__(self, root):
        self.root = root
        public = os.path.join(root, "public")
        # Moodle 5.1 serves only public/; its version.php and admin/cli stay beside it.
        self.webroot = public if os.path.isfile(os.path.join(public, "index.php")) else root
        self.version_file = self._first("version.php", "public/version.php")
        if not self.version_file or not self._first("lib/moodlelib.php", "public/lib/moodlelib.php"):
            raise LabError("%s is not a Moodle tree (no version.php and lib/moodlelib.php)" % root)
        self.install_script = self._first("admin/cli/install.php", "public/admin/cli/install.php")
        self.environment_xml = self._first("admin/environment.xml", "public/admin/environment.xml")
        text = open(self.version_file, encoding="utf-8", errors="replace").read()
        self.version = _php_value(text, "version")
        self.release = _php_value(text, "release")
        self.branch = _php_value(text, "branch")
        if not (self.version and self.release and self.branch and self.install_script):
            raise LabError(
                "%s does not look like a Moodle release (version.php lacks $version, $release or $branch,"
                " or admin/cli/install.php is missing)" % root
            )

    def _first(self, *candidates):
        for relative in candidates:
            path = os.path.join(self.root, relative)
            if os.path.isfile(path):
                return path
        return None

    @property
    def short_version(self):
        """``4.4`` for branch 404, ``5.0`` for 500."""
        return "%d.%d" % (int(self.branch) // 100, int(self.branch) % 100)

    @property
    def config_file(self):
        return os.path.join(self.root, "config.php")

    def requirements(self):
        """The PHP and database minimums of this release, from admin/environment.xml."""
        found = {"php": None, "databases": {}, "php_settings": {}}
        if not self.environment_xml:
            return found
        tree = ElementTree.parse(self.environment_xml)
        block = None
        for element in tree.getroot().findall("MOODLE"):
            if element.get("version") == self.short_version:
                block = element
        if block is None:
            return found
        php = block.find("PHP")
        if php is not None:
            found["php"] = php.get("version")
        for vendor in block.findall("DATABASE/VENDOR"):
            found["databases"][vendor.get("name")] = vendor.get("version")
        for setting in block.findall("PHP_SETTINGS/PHP_SETTING"):
            found["php_settings"][setting.get("name")] = setting.get("value")
        return found


def _php_value(text, name):
    match = re.search(r"^\s*\$%s\s*=\s*'?([^';]+)'?\s*;" % name, text, re.M)
    return match.group(1).strip() if match else None


def unpack(source, destination):
    """Put the Moodle of ``source`` (an archive or a folder) at ``destination``; return its MoodleTree."""
    if not source:
        raise LabError(
            "no Moodle source: set MOODLE_SRC to a Moodle release archive (.tar.xz, .tar.gz, .tgz)"
            " or to a folder holding a Moodle tree"
        )
    source = os.path.abspath(os.path.expanduser(source))
    if not os.path.exists(source):
        raise LabError("MOODLE_SRC %s does not exist" % source)
    staging = destination + ".unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        if os.path.isdir(source):
            root = _moodle_root(source)
            # Never write into the user's checkout: install.php adds config.php to the tree.
            shutil.copytree(
                root,
                os.path.join(staging, "moodle"),
                symlinks=True,
                ignore=shutil.ignore_patterns(".git", "config.php"),
            )
        elif source.endswith(ARCHIVES):
            with tarfile.open(source) as archive:
                archive.extractall(staging, filter="tar")
        else:
            raise LabError("MOODLE_SRC %s is neither a folder nor a %s archive" % (source, "/".join(ARCHIVES)))
        tree = MoodleTree(_moodle_root(staging))
        shutil.rmtree(destination, ignore_errors=True)
        os.rename(tree.root, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return MoodleTree(destination)


def _moodle_root(folder):
    """The folder itself, or its single top folder (archives hold ``moodle/``)."""
    for candidate in (folder, os.path.join(folder, "moodle")):
        if os.path.isfile(os.path.join(candidate, "version.php")) or os.path.isfile(
            os.path.join(candidate, "public", "version.php")
        ):
            return candidate
    entries = [e for e in os.listdir(folder) if not e.startswith(".")]
    if len(entries) == 1 and os.path.isdir(os.path.join(folder, entries[0])):
        return _moodle_root(os.path.join(folder, entries[0]))
    raise LabError("%s holds no Moodle tree (no version.php at its top or in a single top folder)" % folder)
