"""The ``procore-uploader`` command: the window with no sub-command, or upload, resume, status,
sandbox.

The command-line contract (sub-commands, options, exit status, ``--json`` lines) is relied on by
scripts and tests; see README.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from uploader_gui import APP_NAME, __version__

DEMO_HELP = ("open the window on a built-in practice Procore to try the app: no account "
             "needed, nothing reaches the real Procore")
SUBCOMMANDS = ("upload", "resume", "status", "sandbox", "login", "logout", "whoami")

log = logging.getLogger(__name__)


def _add_environment_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Procore environment")
    group.add_argument("--environment", choices=("production", "sandbox", "monthly"),
                       help="which Procore to use (default: production, or PROCORE_ENVIRONMENT)")
    group.add_argument("--api-base", metavar="URL",
                       help="API address, e.g. a local sandbox (or PROCORE_API_BASE)")
    group.add_argument("--login-base", metavar="URL",
                       help="sign-in address (or PROCORE_LOGIN_BASE; default: the API address "
                            "when --api-base is given)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _add_environment_options(common)
    common.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")

    parser = argparse.ArgumentParser(
        prog="procore-uploader",
        usage="procore-uploader [--demo] [FILE ...]\n       procore-uploader COMMAND ...",
        description=f"{APP_NAME}: upload files and folders into Procore. Without a COMMAND it "
                    "opens the window (with any FILEs already in its list).",
        epilog="Try it first without an account: procore-uploader --demo. Each command has "
               "its own help: procore-uploader COMMAND --help.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    window = parser.add_argument_group("the window (no COMMAND)")
    window.add_argument("--demo", action="store_true", help=DEMO_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="procore-uploader")

    up = sub.add_parser("upload", parents=[common], help="upload files and folders",
                        description="Upload files and folders (folders keep their structure).")
    up.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    up.add_argument("--project-id", type=int, help="the project to upload into")
    up.add_argument("--company-id", type=int,
                    help="the company (found from the project when omitted)")
    up.add_argument("--folder", default="", metavar='"A/B"',
                    help="Documents folder path under the root (default: the root folder)")
    up.add_argument("--create-folders", action="store_true",
                    help="create the --folder path when it does not exist")
    up.add_argument("--photos", action="store_true", help="upload into the project's Photos")
    up.add_argument("--album", metavar="NAME", help="with --photos: the photo album's name")
    up.add_argument("--company-documents", action="store_true",
                    help="upload into the company's Documents instead of a project")
    up.add_argument("--on-conflict", choices=("keep-both", "new-version", "skip"),
                    help="when a file of that name exists (default: keep-both)")
    up.add_argument("--segment-size", type=int, metavar="MB",
                    help="segment size in MiB for large files (at least 5)")
    up.add_argument("--jobs", type=int, metavar="N", help="files uploaded at the same time")
    up.add_argument("--json", action="store_true", help="one JSON line per event")

    res = sub.add_parser("resume", parents=[common], help="continue unfinished uploads")
    res.add_argument("--jobs", type=int, metavar="N", help="files uploaded at the same time")
    res.add_argument("--json", action="store_true", help="one JSON line per event")
    res.add_argument("--adopt-older", action="store_true",
                     help="also continue, on this Procore, unfinished uploads queued by an "
                          "earlier version (which did not record which Procore they were for)")

    st = sub.add_parser("status", parents=[common], help="list uploads in the journal")
    st.add_argument("--json", action="store_true", help="one JSON line per upload")
    st.add_argument("--acknowledge-lost", action="store_true",
                    help="stop repeating that the list of uploads lost some (once you have "
                         "added those files again)")

    sb = sub.add_parser("sandbox", parents=[common],
                        help="run a local server that behaves like Procore "
                             "(for trying and testing)")
    sb.add_argument("--port", type=int, help="API port (storage uses the next one)")
    sb.add_argument("--data-dir", type=Path, help="where stored files are kept")
    sb.add_argument("--faults", metavar="SPEC",
                    help="faults to inject, e.g. 'seed=7,create:status=503*2'")

    _register_auth_commands(sub, common)
    return parser


def _register_auth_commands(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                            common: argparse.ArgumentParser) -> None:
    try:
        from uploader_gui.auth import commands
    except ImportError:  # sign-in commands not installed in this build
        return
    commands.register(sub)
    for name in ("login", "logout", "whoami"):
        parser = sub.choices.get(name)
        if parser is not None and not any("--api-base" in a.option_strings
                                          for a in parser._actions):
            _add_environment_options(parser)


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procore-uploader",
        description=f"{APP_NAME}: opens the window. Sub-commands: {', '.join(SUBCOMMANDS)} "
                    "(see 'procore-uploader COMMAND --help').")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--demo", action="store_true", help=DEMO_HELP)
    _add_environment_options(parser)
    parser.add_argument("paths", nargs="*", type=Path, metavar="FILE",
                        help="files or folders to add to the queue")
    return parser


def _first_word(args: Sequence[str]) -> str | None:
    """The first argument that is not an option or an option's value."""
    takes_value = {"--api-base", "--login-base", "--environment"}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = _first_word(args_list)
    if first in SUBCOMMANDS or (args_list and args_list[0] in ("-h", "--help")):
        args = build_parser().parse_args(args_list)
        if args.command is None:
            build_parser().print_help()
            return 2
        from uploader_gui import logsetup

        logsetup.configure(verbose=getattr(args, "verbose", False))
        from uploader_gui import commands

        return int(commands.run(args))
    gui_args = build_gui_parser().parse_args(args_list)
    from uploader_gui import logsetup

    logsetup.configure(verbose=False)
    from uploader_gui.gui import app

    return int(app.main([sys.argv[0], *args_list], demo=gui_args.demo,
                        paths=tuple(gui_args.paths)))


if __name__ == "__main__":
    raise SystemExit(main())
