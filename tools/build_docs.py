# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make docs`: the collection's HTML documentation site, as docs.ansible.com builds collection pages.

antsibull-docs writes one page per module, plugin and role (from DOCUMENTATION and the roles' argument specs)
of the collection installed from the built tarball (build/installed), plus a collection index whose extra
sections come from docs/docsite/extra-docs.yml. Our own pages are Markdown (docs/**/*.md, read on the
repository too), which antsibull-docs does not take: they are copied beside its output with their folders
kept, so that their relative links still work, and Sphinx reads them with myst-parser. Sphinx then builds
build/docs/html with warnings as errors: a broken link, bad markup in a DOCUMENTATION string, or a page of
docs/ missing from extra-docs.yml fails the build.

The build is offline: the few docs.ansible.com targets that the pages refer to (:ref: labels, module pages)
come from a small local intersphinx inventory written here, with their real addresses.

Run with the Python of build/docs-venv (antsibull-docs, Sphinx, myst-parser, ansible-core).
"""

import os
import re
import shutil
import subprocess
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALLED = os.path.join(REPO, "build", "installed")
OUT = os.path.join(REPO, "build", "docs")
COLLECTION = "dsenroll.moodle"
BIN = os.path.dirname(sys.executable)
# Where antsibull-docs puts the extra-docs pages of the collection (its toctree entries are docsite/<name>).
DOCSITE = os.path.join("rst", "collections", "dsenroll", "moodle", "docsite")
# Parts of docs/ that are not pages of the site: the docsite configuration itself, and files the README
# points to (the example execution environment and CI definitions).
NOT_PAGES = ("docsite", "ee", "ci")

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# The docs.ansible.com labels our pages refer to: antsibull-docs' templates (return values, action plugins,
# configuration) and M() references in DOCUMENTATION. A new reference to docs.ansible.com fails the build with
# "undefined label" until it is added here.
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "ansible_configuration_settings": (
        "reference_appendices/config.html#ansible-configuration-settings",
        "Ansible Configuration Settings",
    ),
}
ANSIBLE_BUILTIN_MODULES = ("debug", "file", "read_csv")

CONF_OVERRIDES = """
# Added by tools/build_docs.py: our Markdown pages, and an offline intersphinx inventory.
extensions.append("myst_parser")
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# GitHub's anchors, which the pages' links use (setup-moodle.md#3-a-least-privilege-role-...).
myst_heading_anchors = 3
intersphinx_mapping = {"ansible_devel": (%r, %r)}
""" % (ANSIBLE_DOCS, os.path.join(OUT, "ansible_devel.inv"))


# Where the pages' install note and "dsenroll.moodle collection" link point: the collection is not on Galaxy,
# which antsibull-docs assumes by default (its configuration, written by sphinx-init).
ANTSIBULL_CONFIG = {
    "collection_url = {\n": '  dsenroll.moodle = "index.html"\n',
    "collection_install = {\n": '  dsenroll.moodle = "ansible-galaxy collection install dsenroll-moodle-<version>.tar.gz"\n',
}


def configure_antsibull(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    for opening, entry in ANTSIBULL_CONFIG.items():
        if opening not in text:
            sys.exit(f"build_docs: {path} has no {opening.strip()!r}; antsibull-docs changed its configuration")
        text = text.replace(opening, opening + entry)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def run(*cmd, **kwargs):
    print("+ " + " ".join(cmd), flush=True)
    if subprocess.run(cmd, check=False, **kwargs).returncode:
        sys.exit(f"build_docs: {os.path.basename(cmd[0])} failed (its messages are above)")


def write_ansible_inventory(path):
    """A Sphinx inventory (version 2) of the docs.ansible.com targets in ANSIBLE_LABELS and the builtin modules."""
    entries = dict(ANSIBLE_LABELS)
    for module in ANSIBLE_BUILTIN_MODULES:
        label = f"ansible_collections.ansible.builtin.{module}_module"
        entries[label] = (
            f"collections/ansible/builtin/{module}_module.html#{label.replace('.', '-').replace('_', '-')}",
            f"ansible.builtin.{module} module",
        )
    lines = "".join(f"{label} std:label -1 {uri} {title}\n" for label, (uri, title) in sorted(entries.items()))
    header = (
        "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    with open(path, "wb") as handle:
        handle.write(header.encode() + zlib.compress(lines.encode()))


def copy_pages(dest):
    """Copy docs/ (less NOT_PAGES) to dest: the Markdown pages and the files they link to (examples)."""
    docs = os.path.join(REPO, "docs")
    os.makedirs(dest, exist_ok=True)
    for name in sorted(os.listdir(docs)):
        if name in NOT_PAGES:
            continue
        source = os.path.join(docs, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(dest, name))
        else:
            shutil.copy(source, dest)


def drop_placeholder_links(index):
    """Drop links to a reserved placeholder host (galaxy.yml's repository until publication, README.md)."""
    with open(index, encoding="utf-8") as handle:
        text = handle.read()
    pattern = re.compile(r'  - title: "[^"]*"\n    url: "https?://[^/"]*\.invalid[/"][^\n]*\n    external: true\n')
    text, count = pattern.subn("", text)
    if count:
        print(f"build_docs: left out {count} link(s) to a placeholder address (.invalid)")
    text = re.sub(r"\.\. ansible-links::\n\n(?=\S|\n)", "", text)
    with open(index, "w", encoding="utf-8") as handle:
        handle.write(text)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT, mode=0o755)  # antsibull-docs wants its directories writable by their owner only
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=INSTALLED, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    antsibull = os.path.join(BIN, "antsibull-docs")
    run(
        antsibull,
        "sphinx-init",
        "--use-current",
        "--fail-on-error",
        "--dest-dir",
        OUT,
        "--project",
        COLLECTION,
        "--copyright",
        "dsenroll.moodle contributors",
        "--title",
        "dsenroll.moodle: Moodle enrolment for Ansible",
        COLLECTION,
        env=env,
    )
    configure_antsibull(os.path.join(OUT, "antsibull-docs.cfg"))
    with open(os.path.join(OUT, "conf.py"), "a", encoding="utf-8") as handle:
        handle.write(CONF_OVERRIDES)
    write_ansible_inventory(os.path.join(OUT, "ansible_devel.inv"))

    rst = os.path.join(OUT, "rst")
    os.chmod(rst, 0o755)
    run(
        antsibull,
        "--config-file",
        os.path.join(OUT, "antsibull-docs.cfg"),
        "collection",
        "--use-current",
        "--fail-on-error",
        "--cleanup",
        "everything",
        "--dest-dir",
        rst,
        COLLECTION,
        env=env,
    )
    drop_placeholder_links(os.path.join(rst, "collections", "dsenroll", "moodle", "index.rst"))
    copy_pages(os.path.join(OUT, DOCSITE))

    run(
        os.path.join(BIN, "sphinx-build"),
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-q",
        "-c",
        OUT,
        rst,
        os.path.join(OUT, "html"),
        env=env,
    )
    print("build_docs: " + os.path.relpath(os.path.join(OUT, "html", "index.html"), REPO))


if __name__ == "__main__":
    main()
