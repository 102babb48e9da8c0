"""python -m moodlesim: serve a simulated Moodle until SIGTERM/SIGINT."""

import argparse
import os
import signal
import sys
import tempfile
import threading

from .profiles import DEFAULT, PROFILES
from .seed import SEEDS
from .server import Simulator


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=".moodlesim-")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m moodlesim", description="Simulated Moodle REST web services.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", default="transcript-site", choices=sorted(SEEDS))
    parser.add_argument("--port-file", help="write the base URL here (atomically) once listening")
    parser.add_argument("--max-input-vars", type=int, default=None, help="PHP's max_input_vars (default 5000)")
    parser.add_argument(
        "--profile",
        default=DEFAULT,
        choices=PROFILES,
        help="the Moodle release and database it answers as (default %(default)s)",
    )
    parser.add_argument("--https", action="store_true")
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args(argv)
    if args.https and not args.certfile:
        parser.error("--https needs --certfile (and --keyfile unless the cert file holds the key)")

    sim = Simulator(seed=args.seed, max_input_vars=args.max_input_vars, profile=args.profile)
    sim.start(host=args.host, port=args.port, certfile=args.certfile if args.https else None, keyfile=args.keyfile)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.port_file:
        write_atomically(args.port_file, sim.url + "\n")
    print(sim.url, flush=True)
    stop.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
