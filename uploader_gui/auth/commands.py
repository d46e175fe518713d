"""The ``login``, ``logout`` and ``whoami`` sub-commands of ``procore-uploader``.

:func:`register` adds them to the command line's sub-parsers; each sets ``func`` to the
function below that runs it and returns the exit status.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, TextIO

from uploader_gui.config import Environment, resolve_environment
from uploader_gui.procore.errors import ProcoreError
from uploader_gui.terminal_text import for_terminal

log = logging.getLogger(__name__)

# The sign-in session, the Procore client and requests are imported where a command runs, so
# ``procore-uploader --help`` stays quick.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: How long ``login`` waits for the person to finish in the browser.
LOGIN_WAIT = 600.0


def register(subparsers: Any) -> None:
    """Add ``login``, ``logout`` and ``whoami`` to an argparse sub-parsers object."""
    login_parser = subparsers.add_parser(
        "login", help="sign in to Procore",
        description="Sign in to Procore in your web browser. The sign-in is kept in the "
                    "computer's password store until you log out.")
    login_parser.add_argument("--oob", action="store_true",
                              help="no redirect to this computer: Procore shows a code to paste")
    login_parser.add_argument("--port", type=int, metavar="N",
                              help="port of the http://localhost redirect registered with "
                                   "Procore (default: the one in the sign-in settings)")
    login_parser.add_argument("--service-account", action="store_true",
                              help="sign in as the app's service account (PROCORE_CLIENT_ID "
                                   "and PROCORE_CLIENT_SECRET, client credentials)")
    login_parser.add_argument("--company-id", type=int, metavar="N",
                              help="with --service-account: the company it works in "
                                   "(Procore needs it on every request of a service account)")
    login_parser.set_defaults(func=login)

    logout_parser = subparsers.add_parser("logout", help="sign out and forget the sign-in",
                                          description="Sign out of Procore: the tokens are "
                                                      "revoked and removed from this computer.")
    logout_parser.set_defaults(func=logout)

    whoami_parser = subparsers.add_parser("whoami", help="show who is signed in",
                                          description="Show the Procore user this app is "
                                                      "signed in as.")
    whoami_parser.set_defaults(func=whoami)


def _environment(args: argparse.Namespace) -> Environment:
    return resolve_environment(getattr(args, "environment", None),
                               getattr(args, "api_base", None),
                               getattr(args, "login_base", None))


def login(args: argparse.Namespace, *, stdin: TextIO | None = None,
          stdout: TextIO | None = None) -> int:
    from uploader_gui.auth import session

    out = stdout or sys.stdout
    try:
        env = _environment(args)
    except ValueError as exc:
        print(f"procore-uploader: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if getattr(args, "service_account", False):
            provider = session.login_service_account(
                env, company_id=getattr(args, "company_id", None))
        else:
            attempt = session.begin_login(env, _open_browser, oob=args.oob, port=args.port)
            if attempt.oob:
                print("Open this address in a browser, sign in and allow access:", file=out)
                print(attempt.authorize_url, file=out)
                print("Then paste the code Procore shows here and press Enter: ", end="",
                      file=out, flush=True)
                code = (stdin or sys.stdin).readline()
                if not code.strip():
                    attempt.cancel()
                    print("\nNo code given; not signed in.", file=sys.stderr)
                    return EXIT_FAILED
                attempt.complete_with_code(code)
            else:
                print("Sign in to Procore in your browser. If it did not open, go to:", file=out)
                print(attempt.authorize_url, file=out, flush=True)
            try:
                provider = attempt.wait(LOGIN_WAIT)
            except KeyboardInterrupt:
                attempt.cancel()
                raise
    except ProcoreError as exc:
        print(f"procore-uploader: {for_terminal(exc.message)}", file=sys.stderr)
        return EXIT_FAILED
    who = provider.sign_in
    kind = "the service account " if who.is_service_account else ""
    print(for_terminal(f"Signed in to {env.api_base} as {kind}"
                       f"{who.user_name or who.user_login} (user {who.user_id})."), file=out)
    if provider.storage_notice:
        print(provider.storage_notice, file=sys.stderr)
    return EXIT_OK


def logout(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    from uploader_gui.auth import session

    out = stdout or sys.stdout
    try:
        env = _environment(args)
        who = session.sign_out(env)
    except ValueError as exc:
        print(f"procore-uploader: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProcoreError as exc:
        print(f"procore-uploader: {for_terminal(exc.message)}", file=sys.stderr)
        return EXIT_FAILED
    if who is None:
        print(f"Nobody is signed in to {env.api_base}.", file=out)
    else:
        print(for_terminal(f"Signed out {who.user_name or who.user_login} from {env.api_base}."),
              file=out)
    return EXIT_OK


def whoami(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    from uploader_gui.auth import session
    from uploader_gui.procore.client import ProcoreClient

    out = stdout or sys.stdout
    try:
        env = _environment(args)
        tokens = session.token_provider_for(env, interactive=False)
        with ProcoreClient(env.api_base, tokens) as client:
            me = client.me()
    except ValueError as exc:
        print(f"procore-uploader: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProcoreError as exc:
        print(f"procore-uploader: {for_terminal(exc.message)}", file=sys.stderr)
        return EXIT_FAILED
    print(for_terminal(f"{me.get('name') or me.get('login')} <{me.get('login', '')}> "
                       f"(user {me.get('id')}) on {env.api_base}"), file=out)
    return EXIT_OK


def _open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)
