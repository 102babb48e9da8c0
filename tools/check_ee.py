# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make ee`: the example execution environment (docs/ee/execution-environment.yml) builds a usable context.

Without a container engine or a registry, it checks everything up to the image build:
1. `ansible-builder create` writes a build context holding the Containerfile, the galaxy requirements and the
   collection tarball those requirements name;
2. the galaxy stage's install, done here from that context (`ansible-galaxy collection install -r`), installs
   this collection;
3. `ansible-builder introspect` of what it installed (the builder stage's step) and of build/installed (the
   collection installed from the same tarball by `make build`) lists exactly the Python distributions that
   the collection's plugins import, no more and no fewer.

Run with the Python of build/importer-venv, which holds ansible-builder and ansible-core.
"""

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys

import yaml
from packaging.requirements import Requirement

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EE_FILE = os.path.join(REPO, "docs", "ee", "execution-environment.yml")
INSTALLED = os.path.join(REPO, "build", "installed")
OUT = os.path.join(REPO, "build", "ee")
BIN = os.path.dirname(sys.executable)
# In the image, the build context's _build/ is /build (the galaxy stage's `COPY _build /build`).
IMAGE_BUILD_DIR = "/build/"


def run(*cmd, **kwargs):
    print("+ " + " ".join(cmd), flush=True)
    if subprocess.run(cmd, check=False, **kwargs).returncode:
        sys.exit(f"check_ee: {os.path.basename(cmd[0])} failed (its messages are above)")


def third_party_imports():
    """Top-level modules imported by the plugins, less the standard library and Ansible.

    Imports in an `except ImportError` handler are fallbacks for other Python versions (urlparse), not needs.
    """
    names = set()
    for root, _dirs, files in os.walk(os.path.join(REPO, "plugins")):
        for name in files:
            if not name.endswith(".py"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            fallbacks = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ExceptHandler):
                    fallbacks.update(id(n) for n in ast.walk(node))
            for node in ast.walk(tree):
                if id(node) in fallbacks:
                    continue
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("ansible", "ansible_collections")}


def distributions(modules):
    """The PyPI distributions that provide these top-level modules (as installed in this venv)."""
    by_module = importlib.metadata.packages_distributions()
    missing = sorted(m for m in modules if m not in by_module)
    if missing:
        sys.exit(f"check_ee: cannot tell which distribution provides {missing}: install it in this venv")
    return {Requirement(d).name.lower() for m in modules for d in by_module[m]}


def introspected(collections_path):
    """The distribution names `ansible-builder introspect` lists for the collections under this path."""
    pip_file = os.path.join(OUT, "introspect-" + os.path.basename(collections_path) + ".txt")
    run(os.path.join(BIN, "ansible-builder"), "introspect", collections_path, "--write-pip", pip_file)
    with open(pip_file, encoding="utf-8") as handle:
        lines = [line.split("#")[0].strip() for line in handle]
    return {Requirement(line).name.lower() for line in lines if line}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    context = os.path.join(OUT, "context")
    run(
        os.path.join(BIN, "ansible-builder"),
        "create",
        "-f",
        EE_FILE,
        "-c",
        context,
        "--output-filename",
        "Containerfile",
    )
    containerfile = os.path.join(context, "Containerfile")
    requirements_file = os.path.join(context, "_build", "requirements.yml")
    for path in (containerfile, requirements_file):
        if not os.path.isfile(path):
            sys.exit(f"check_ee: the build context lacks {os.path.relpath(path, REPO)}")

    # The galaxy stage, outside the image: the same requirements, with /build/ mapped to the context's _build/.
    with open(requirements_file, encoding="utf-8") as handle:
        collections = yaml.safe_load(handle)["collections"]
    for entry in collections:
        if entry.get("type") == "file":
            if not entry["name"].startswith(IMAGE_BUILD_DIR):
                sys.exit(f"check_ee: {entry['name']} is not under {IMAGE_BUILD_DIR}, where the image has the context")
            entry["name"] = os.path.join(context, "_build", entry["name"][len(IMAGE_BUILD_DIR) :])
            if not os.path.isfile(entry["name"]):
                sys.exit(
                    f"check_ee: the build context lacks {entry['name']}; run make build, and check that the "
                    "tarball name in docs/ee/execution-environment.yml has galaxy.yml's version"
                )
    local_requirements = os.path.join(OUT, "requirements-local.yml")
    with open(local_requirements, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"collections": collections}, handle)
    galaxy_stage = os.path.join(OUT, "galaxy-stage")
    run(
        os.path.join(BIN, "ansible-galaxy"),
        "collection",
        "install",
        "--force",
        "-r",
        local_requirements,
        "-p",
        galaxy_stage,
    )
    if not os.path.isfile(os.path.join(galaxy_stage, "ansible_collections", "dsenroll", "moodle", "MANIFEST.json")):
        sys.exit("check_ee: the galaxy stage did not install dsenroll.moodle")

    needed = distributions(third_party_imports())
    for path in (galaxy_stage, INSTALLED):
        listed = introspected(path)
        if listed != needed:
            sys.exit(
                f"check_ee: ansible-builder introspect {os.path.relpath(path, REPO)} lists {sorted(listed)}, "
                f"the plugins import {sorted(needed)} (requirements.txt, meta/execution-environment.yml)"
            )
    print(
        f"check_ee: build context in {os.path.relpath(context, REPO)}; introspect lists {sorted(needed)}, "
        "what the plugins import"
    )


if __name__ == "__main__":
    main()
