"""Environments (which Procore hosts to talk to), settings, and where the app keeps its files."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from uploader_gui.domain import ConflictPolicy

log = logging.getLogger(__name__)

APP_DIR_NAME = "procore-uploader"
APP_AUTHOR = "ProcoreUploader"

MiB = 1024 * 1024
#: Storage takes at most 5 GiB in one POST (S3's limit for a single object upload).
MAX_SINGLE_MIB = 5 * 1024


@dataclass(frozen=True)
class Environment:
    """A pair of hosts: where people sign in, and where the API answers."""

    name: str
    login_base: str
    api_base: str

    @property
    def web_base(self) -> str:
        """Where people open Procore in a browser (a folder's page, for "Open in Procore").

        From Procore's "Sandbox Environments" page: production is app.procore.com; the
        development sandbox serves browser and API on sandbox.procore.com; the monthly
        sandbox's browser domain is api-sandbox-monthly.procore.com (its API is
        api-monthly.procore.com). Any other server (a company's own, the local sandbox)
        is taken to serve its pages where it answers the API.
        """
        return WEB_HOSTS.get(self.api_base.rstrip("/"), self.api_base.rstrip("/"))


#: Browser domains of Procore's own API hosts (see Environment.web_base).
WEB_HOSTS = {
    "https://api.procore.com": "https://app.procore.com",
    "https://sandbox.procore.com": "https://sandbox.procore.com",
    "https://api-monthly.procore.com": "https://api-sandbox-monthly.procore.com",
}

ENVIRONMENTS: dict[str, Environment] = {
    "production": Environment("production", "https://login.procore.com",
                              "https://api.procore.com"),
    "sandbox": Environment("sandbox", "https://login-sandbox.procore.com",
                           "https://sandbox.procore.com"),
    "monthly": Environment("monthly", "https://login-sandbox-monthly.procore.com",
                           "https://api-monthly.procore.com"),
}


def resolve_environment(name: str | None = None, api_base: str | None = None,
                        login_base: str | None = None) -> Environment:
    """The environment from explicit arguments, then ``PROCORE_*`` variables, then production.

    A custom ``api_base`` without a ``login_base`` signs in on the same host (as the local
    sandbox does).
    """
    api_base = api_base or os.environ.get("PROCORE_API_BASE") or None
    login_base = login_base or os.environ.get("PROCORE_LOGIN_BASE") or None
    name = name or os.environ.get("PROCORE_ENVIRONMENT") or "production"
    if api_base is None and login_base is None:
        try:
            return ENVIRONMENTS[name]
        except KeyError:
            raise ValueError(f"Unknown environment {name!r}; choose one of "
                             f"{', '.join(ENVIRONMENTS)} or give a URL.") from None
    base = ENVIRONMENTS.get(name, ENVIRONMENTS["production"])
    api = (api_base or base.api_base).rstrip("/")
    login = (login_base or (api_base if api_base else base.login_base)).rstrip("/")
    return Environment("custom", login, api)


def data_dir() -> Path:
    """Journal and other state. ``PROCORE_UPLOADER_HOME`` overrides (tests, portable installs)."""
    return _dir("data", platformdirs.user_data_dir(APP_DIR_NAME, APP_AUTHOR))


def config_dir() -> Path:
    return _dir("config", platformdirs.user_config_dir(APP_DIR_NAME, APP_AUTHOR))


def log_dir() -> Path:
    return _dir("logs", platformdirs.user_log_dir(APP_DIR_NAME, APP_AUTHOR))


def _dir(sub: str, default: str) -> Path:
    home = os.environ.get("PROCORE_UPLOADER_HOME")
    path = Path(home) / sub if home else Path(default)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass
class Settings:
    """What the person can change. Saved as JSON in the config dir (no secrets here)."""

    # Defaults chosen from benchmarks/ (figures in docs/performance.md).
    #: Files at least this large use the segmented flow.
    segment_threshold_mib: int = 16
    #: Size of each segment; never below S3's 5 MiB minimum. 8 to 64 MiB upload equally fast
    #: on loopback; 16 MiB x 4 keeps what a kill makes us send again under 64 MiB.
    segment_size_mib: int = 16
    #: Files uploaded at the same time.
    parallel_files: int = 2
    #: Segments of one file sent at the same time.
    parallel_segments: int = 4
    #: Also compute MD5 and send it as Content-MD5. Off: storage already checks every segment
    #: against its SHA-256 (part of the signed request), and MD5 makes hashing ~2-3x slower.
    send_md5: bool = False
    #: Asked once, then used for files whose name the folder already holds.
    conflict_policy: ConflictPolicy = ConflictPolicy.KEEP_BOTH
    environment: str = "production"
    custom_api_base: str = ""
    custom_login_base: str = ""
    #: Finished uploads are kept in the history this many days.
    history_days: int = 30
    last_destination: dict[str, object] | None = None
    #: The Procore API ``last_destination`` belongs to: its ids mean nothing on another one.
    last_destination_api_base: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or config_dir() / "settings.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", path, exc)
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in raw.items() if k in known})
        try:
            settings.conflict_policy = ConflictPolicy(settings.conflict_policy)
        except ValueError:
            log.warning("conflict_policy %r in %s is unknown; using %s",
                        settings.conflict_policy, path, ConflictPolicy.KEEP_BOTH.value)
            settings.conflict_policy = ConflictPolicy.KEEP_BOTH
        if settings.segment_threshold_mib != settings.threshold_mib_clamped:
            log.warning("segment_threshold_mib %r in %s is out of range; using %d",
                        settings.segment_threshold_mib, path, settings.threshold_mib_clamped)
            settings.segment_threshold_mib = settings.threshold_mib_clamped
        return settings

    @property
    def threshold_mib_clamped(self) -> int:
        """The segment threshold kept between 1 MiB and 5 GiB: storage takes at most 5 GiB in
        one POST, so a larger file is always sent in segments."""
        try:
            value = int(self.segment_threshold_mib)
        except (TypeError, ValueError):
            return Settings.segment_threshold_mib
        return min(max(1, value), MAX_SINGLE_MIB)

    @property
    def segment_threshold_bytes(self) -> int:
        return self.threshold_mib_clamped * MiB

    def save(self, path: Path | None = None) -> None:
        from uploader_gui.fileutil import atomic_write_text

        path = path or config_dir() / "settings.json"
        saved = {**asdict(self), "conflict_policy": ConflictPolicy(self.conflict_policy).value}
        atomic_write_text(path, json.dumps(saved, indent=2))
