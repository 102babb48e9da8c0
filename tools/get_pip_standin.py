# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap its virtualenvs.

ansible-test fetches get-pip.py from a host this project's machines cannot reach; it uses a cached
copy when one exists. This stand-in bootstraps pip from the standard library (ensurepip) and then
installs the pinned packages ansible-test asks for from the package index.
"""

import ensurepip
import os
import subprocess
import sys


def main():
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    # ensurepip points PIP_CONFIG_FILE at /dev/null in this process; the real install must see the
    # machine's pip configuration (index, CA bundle) again.
    os.environ.clear()
    os.environ.update(saved)
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    packages = [arg for arg in args if not arg.startswith("-")]
    if packages:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
