"""One small, lock-protected wrapper around ``keyring`` for the sign-in tokens.

When the computer has no usable password store (keyring's "fail" backend, a locked or erroring
one), the tokens are kept in memory for this run only and :attr:`KeyringStore.notice` says so
in plain words. They are written to a plain file only when the person chose that
(``plaintext_file``).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors

from uploader_gui.fileutil import atomic_write_text

log = logging.getLogger(__name__)

SERVICE_PREFIX = "procore-uploader:"

NO_KEYRING = ("This computer has no password store the app can use, so your Procore sign-in "
              "is kept only until you close the app; you will be asked to sign in next time.")
KEYRING_FAILED = ("The computer's password store could not be used ({reason}), so your Procore "
                  "sign-in is kept only until you close the app; you will be asked to sign in "
                  "next time.")

# Tokens kept for this run when there is no password store: shared by every store of the
# process, so signing in once is enough until the app closes.
_memory: dict[tuple[str, str], str] = {}
_memory_services: set[str] = set()
_memory_lock = threading.Lock()


class KeyringUnavailable(Exception):
    """The password store failed; the message is safe to show."""


def service_name(api_base: str) -> str:
    """The keyring service for one Procore environment: ``procore-uploader:<api host>``."""
    host = api_base.split("://", 1)[-1].split("/", 1)[0]
    return SERVICE_PREFIX + host


def forget_memory() -> None:
    """Drop every token kept in memory (for tests, and at sign-out of every environment)."""
    with _memory_lock:
        _memory.clear()
        _memory_services.clear()


class KeyringStore:
    """Secrets of one service. Thread-safe; looks the backend up on first use."""

    def __init__(self, service: str, *, backend: keyring.backend.KeyringBackend | None = None,
                 plaintext_file: Path | None = None) -> None:
        self.service = service
        self._backend = backend
        self._plaintext_file = plaintext_file
        self._lock = threading.RLock()
        self._resolved = False
        self.notice: str | None = None

    # -- where the secrets go --------------------------------------------------------------

    @property
    def in_memory(self) -> bool:
        """True when secrets live only in this process (no usable password store)."""
        with self._lock:
            self._resolve()
            with _memory_lock:
                return self.service in _memory_services and self._plaintext_file is None

    @property
    def backend_name(self) -> str:
        with self._lock:
            self._resolve()
            if self._plaintext_file is not None and self._uses_memory():
                return f"plain file {self._plaintext_file}"
            if self._uses_memory():
                return "memory (this run only)"
            return type(self._backend).__name__

    def _resolve(self) -> None:
        if self._resolved:
            return
        self._resolved = True
        if self._backend is None:
            try:
                self._backend = keyring.get_keyring()
            except Exception as exc:  # noqa: BLE001 - a broken keyring setup must not stop sign-in
                self._fall_back(KEYRING_FAILED.format(reason=type(exc).__name__))
                return
        if isinstance(self._backend, keyring.backends.fail.Keyring):
            self._fall_back(NO_KEYRING)

    def _uses_memory(self) -> bool:
        with _memory_lock:
            return self.service in _memory_services

    def _fall_back(self, message: str) -> None:
        with _memory_lock:
            _memory_services.add(self.service)
        if self._plaintext_file is not None:
            self.notice = ("The computer's password store cannot be used, so your sign-in is "
                           f"saved in {self._plaintext_file} as you chose.")
        else:
            self.notice = message
        log.warning("Password store unusable for %s; %s", self.service,
                    "using the chosen plain file" if self._plaintext_file else
                    "keeping tokens in memory for this run")

    # -- reading and writing ---------------------------------------------------------------

    def get(self, key: str) -> str | None:
        with self._lock:
            self._resolve()
            if not self._uses_memory():
                try:
                    assert self._backend is not None
                    return self._backend.get_password(self.service, key)
                except Exception as exc:  # noqa: BLE001 - locked, D-Bus gone, access denied
                    self._fall_back(KEYRING_FAILED.format(reason=_reason(exc)))
            return self._fallback_get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._resolve()
            if not self._uses_memory():
                try:
                    assert self._backend is not None
                    self._backend.set_password(self.service, key, value)
                    return
                except Exception as exc:  # noqa: BLE001 - any backend failure: fall back
                    self._fall_back(KEYRING_FAILED.format(reason=_reason(exc)))
            self._fallback_set(key, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._resolve()
            if not self._uses_memory():
                try:
                    assert self._backend is not None
                    self._backend.delete_password(self.service, key)
                except keyring.errors.PasswordDeleteError:
                    pass  # nothing stored: already gone
                except Exception as exc:  # noqa: BLE001 - any backend failure: fall back
                    self._fall_back(KEYRING_FAILED.format(reason=_reason(exc)))
            self._fallback_delete(key)

    # -- memory, or the plain file the person chose -----------------------------------------

    def _fallback_get(self, key: str) -> str | None:
        if self._plaintext_file is not None:
            return self._read_file().get(self.service, {}).get(key)
        with _memory_lock:
            return _memory.get((self.service, key))

    def _fallback_set(self, key: str, value: str) -> None:
        if self._plaintext_file is not None:
            everything = self._read_file()
            everything.setdefault(self.service, {})[key] = value
            atomic_write_text(self._plaintext_file, json.dumps(everything))
            return
        with _memory_lock:
            _memory[(self.service, key)] = value

    def _fallback_delete(self, key: str) -> None:
        if self._plaintext_file is not None:
            everything = self._read_file()
            if everything.get(self.service, {}).pop(key, None) is not None:
                atomic_write_text(self._plaintext_file, json.dumps(everything))
        with _memory_lock:
            _memory.pop((self.service, key), None)

    def _read_file(self) -> dict[str, dict[str, str]]:
        """Every service's entries in the chosen plain file."""
        assert self._plaintext_file is not None
        try:
            raw = json.loads(self._plaintext_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("Token file %s unreadable; starting empty", self._plaintext_file)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(service): {str(k): str(v) for k, v in entries.items()}
                for service, entries in raw.items() if isinstance(entries, dict)}


def _reason(exc: Exception) -> str:
    """A short reason without the exception's text (which could echo what was stored)."""
    if isinstance(exc, keyring.errors.KeyringLocked):
        return "it is locked"
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "none is installed"
    return f"error {type(exc).__name__}"
