# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and print its wall time and the peak resident memory of its process tree, as JSON on stderr's
last line: ``python -I -S bench/peak_rss.py COMMAND...``.

Why a separate small process: on Linux a child's ru_maxrss starts from its parent's size at fork, so measured
from the benchmark (which holds the simulator and its thousands of users) every run would look as big as the
benchmark itself. Forked from this launcher (about 10 MiB), the figure is the command's own.
"""

import json
import os
import subprocess
import sys
import time


def main():
    started = time.monotonic()
    proc = subprocess.Popen(sys.argv[1:])
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    # Linux reports ru_maxrss in KiB.
    sys.stderr.write(
        "\n"
        + json.dumps(
            {"rc": os.waitstatus_to_exitcode(status), "seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024.0}
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
