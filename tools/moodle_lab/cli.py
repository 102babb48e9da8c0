"""Command line: ``python3 tools/moodle_lab {up,down,reset,status,env,config,rest-use,destroy}``."""

import argparse
import json
import os
import sys

from .errors import LabError
from .lab import Lab


def _parser():
    parser = argparse.ArgumentParser(prog="moodle_lab", description="A disposable real Moodle on loopback.")
    parser.add_argument(
        "--name",
        default=os.environ.get("MOODLE_LAB_NAME", "default"),
        help="lab name (folder build/lab/NAME; env MOODLE_LAB_NAME; default: default)",
    )
    parser.add_argument("--root", default=None, help="folder of the labs (env MOODLE_LAB_ROOT; default: build/lab)")
    # --name and --root are taken after the command too (`moodle_lab reset --name suite`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--name", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--root", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, **kwargs):
        return commands.add_parser(name, parents=[common], **kwargs)

    up = command("up", help="install (first time) and start the lab; write lab.env")
    up.add_argument(
        "--src",
        default=os.environ.get("MOODLE_SRC"),
        help="Moodle release archive or folder (env MOODLE_SRC); needed for the first up only",
    )
    up.add_argument(
        "--db",
        default=os.environ.get("MOODLE_DB") or None,
        help="pgsql or mariadb (env MOODLE_DB; default: pgsql, or what an installed lab has)",
    )
    up.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("MOODLE_LAB_PORT") or 0) or None,
        help="web server port on 127.0.0.1 (env MOODLE_LAB_PORT; default: a free one)",
    )
    command("down", help="stop every process of the lab (its files stay for the next up)")
    command("destroy", help="down, then remove the lab's folder")
    command("reset", help="return the running site to its configured state")
    command("status", help="what is installed and running (exit 3 when not running)")
    env = command("env", help="the lab's settings (tokens hidden unless --export)")
    env.add_argument("--export", action="store_true", help="shell export lines with the tokens, for eval")
    config = command("config", help="set one Moodle setting (set_config), e.g. enablewebservices 0")
    config.add_argument("setting")
    config.add_argument("value")
    rest_use = command("rest-use", help="grant or revoke webservice/rest:use for a user")
    rest_use.add_argument("username")
    rest_use.add_argument("action", choices=("grant", "revoke"))
    return parser


def _up(lab, args):
    lab.up(args.src, args.db, args.port)
    status = lab.status()
    print(
        "moodle-lab: %s (Moodle %s on %s) at %s; settings in %s"
        % (lab.name, status["release"], status["db"], status["url"], status["env_file"])
    )


def _status(lab, args):
    status = lab.status()
    print(json.dumps(status, indent=1))
    return 0 if status.get("running") else 3


def _env(lab, args):
    if not lab.configured:
        raise LabError("lab %r is not installed: run `make lab`" % lab.name)
    for key, value in lab.env().items():
        if args.export:
            print("export %s=%s" % (key, value))
        else:
            print("%s=%s" % (key, "<in %s>" % lab.env_file if "TOKEN" in key else value))


COMMANDS = {
    "up": _up,
    "down": lambda lab, args: lab.down() or print("moodle-lab: %s stopped" % lab.name),
    "destroy": lambda lab, args: lab.destroy() or print("moodle-lab: %s removed" % lab.name),
    "reset": lambda lab, args: print("moodle-lab: %s reset in %.1f s" % (lab.name, lab.reset())),
    "status": _status,
    "env": _env,
    "config": lambda lab, args: print(json.dumps(lab.config(args.setting, args.value))),
    "rest-use": lambda lab, args: print(json.dumps(lab.rest_use(args.username, args.action == "grant"))),
}


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](Lab(args.name, args.root), args) or 0
    except LabError as error:
        print("moodle-lab: error: %s" % error, file=sys.stderr)
        return 1
