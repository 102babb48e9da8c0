"""Run the lab tool: ``python3 tools/moodle_lab <command>`` (see README.md beside this file)."""

import os
import sys

# Run as a folder: make the package importable by its own name.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from moodle_lab.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
