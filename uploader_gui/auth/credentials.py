"""Where the app's OAuth client id, secret and redirect URI come from.

A company administrator provides them in one of three places, first found wins:
environment variables (``PROCORE_CLIENT_ID``, ``PROCORE_CLIENT_SECRET``,
``PROCORE_REDIRECT_URI``), ``oauth.json`` in the user's config folder (the Settings dialog
writes it), or ``oauth.json`` bundled with a company build of the installer. Nothing secret is
in the repository.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from uploader_gui.config import config_dir
from uploader_gui.fileutil import atomic_write_text
from uploader_gui.procore.errors import SignInRequired
from uploader_gui.resource_files import resource

log = logging.getLogger(__name__)

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
#: Procore does not allow dynamic loopback ports, so the company registers this fixed one.
DEFAULT_REDIRECT = "http://localhost:8765/callback"
FILE_NAME = "oauth.json"
#: A company build may point here instead of shipping the file next to the program.
BUNDLED_ENV = "PROCORE_UPLOADER_BUNDLED_OAUTH"


class CredentialsMissing(SignInRequired):
    """The app has no client id and secret to sign in with (so nobody can sign in yet)."""


@dataclass(frozen=True)
class ClientCredentials:
    """The app's registration with Procore. ``source`` says where it was found."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = DEFAULT_REDIRECT
    source: str = ""

    @property
    def is_oob(self) -> bool:
        return self.redirect_uri == OOB_REDIRECT


def user_file() -> Path:
    """The config file the Settings dialog writes."""
    return config_dir() / FILE_NAME


def bundled_files() -> list[Path]:
    """Where a company build keeps its file: next to the program, or in the package."""
    found: list[Path] = []
    override = os.environ.get(BUNDLED_ENV, "").strip()
    if override:
        found.append(Path(override))
    if getattr(sys, "frozen", False):
        found.append(Path(sys.executable).resolve().parent / FILE_NAME)
    found.append(resource(FILE_NAME))
    return found


def from_environment() -> ClientCredentials | None:
    client_id = os.environ.get("PROCORE_CLIENT_ID", "").strip()
    secret = os.environ.get("PROCORE_CLIENT_SECRET", "").strip()
    if not client_id or not secret:
        return None
    redirect = os.environ.get("PROCORE_REDIRECT_URI", "").strip() or DEFAULT_REDIRECT
    return ClientCredentials(client_id, secret, redirect, "environment variables")


def from_file(path: Path) -> ClientCredentials | None:
    """The credentials in ``path``, or None when it is absent or unusable (logged)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("Sign-in settings file %s cannot be read (%s); ignoring it", path,
                    type(exc).__name__)
        return None
    if not isinstance(raw, dict):
        log.warning("Sign-in settings file %s does not hold an object; ignoring it", path)
        return None
    client_id = str(raw.get("client_id") or "").strip()
    secret = str(raw.get("client_secret") or "").strip()
    if not client_id or not secret:
        log.warning("Sign-in settings file %s lacks client_id or client_secret", path)
        return None
    redirect = str(raw.get("redirect_uri") or "").strip() or DEFAULT_REDIRECT
    return ClientCredentials(client_id, secret, redirect, str(path))


def find_credentials() -> ClientCredentials | None:
    """The first complete set: environment, then the user's file, then a bundled file."""
    found = from_environment()
    if found is not None:
        return found
    for path in (user_file(), *bundled_files()):
        found = from_file(path)
        if found is not None:
            return found
    return None


def load_credentials() -> ClientCredentials:
    """Like :func:`find_credentials`, but raises a plain message when there are none."""
    found = find_credentials()
    if found is None:
        raise CredentialsMissing(
            "This app is not set up for signing in to Procore yet: it needs the client ID and "
            "secret your company registered with Procore. Ask your administrator for them and "
            f"enter them in Settings (they are saved in {user_file()}), or set "
            "PROCORE_CLIENT_ID and PROCORE_CLIENT_SECRET.")
    return found


def save_credentials(client_id: str, client_secret: str,
                     redirect_uri: str = DEFAULT_REDIRECT) -> ClientCredentials:
    """Write the user's ``oauth.json`` (readable by the user only) and return what it holds."""
    client_id, client_secret = client_id.strip(), client_secret.strip()
    redirect_uri = redirect_uri.strip() or DEFAULT_REDIRECT
    if not client_id or not client_secret:
        raise ValueError("Both the client ID and the client secret are needed.")
    if redirect_uri != OOB_REDIRECT and not redirect_uri.startswith("http://localhost"):
        raise ValueError("The redirect URI must be http://localhost:PORT/... or "
                         f"{OOB_REDIRECT}.")
    path = user_file()
    atomic_write_text(path, json.dumps({"client_id": client_id, "client_secret": client_secret,
                                        "redirect_uri": redirect_uri}, indent=2))
    return ClientCredentials(client_id, client_secret, redirect_uri, str(path))
