"""Which uploads this process is carrying, so two app processes never send the same file.

The window and the command line (or two commands) may open the same journal. Each upload being
sent is claimed with an exclusive lock on one byte of ``<journal>.claims`` (byte N for upload N).
The operating system drops a process's locks when it ends, however it ends, so a claim never
outlives a crash and needs no clean-up.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class UploadClaims:
    """Claims on uploads, shared by every thread of the process through one open file."""

    def __init__(self, journal_path: Path) -> None:
        self.path = Path(f"{journal_path}.claims")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()
        self._held: set[int] = set()

    def claim(self, upload_id: int) -> bool:
        """True when this process may send the upload; False while another process sends it."""
        with self._lock:
            if upload_id in self._held or not self._lock_byte(upload_id):
                return False
            self._held.add(upload_id)
            return True

    def held_elsewhere(self, upload_id: int) -> bool:
        """Whether another process is sending the upload now (this one claims nothing)."""
        with self._lock:
            if upload_id in self._held:
                return False
            if not self._lock_byte(upload_id):
                return True
            self._unlock_byte(upload_id)  # it was only a look
            return False

    def release(self, upload_id: int) -> None:
        with self._lock:
            if upload_id not in self._held:
                return
            self._held.discard(upload_id)
            self._unlock_byte(upload_id)

    def _lock_byte(self, upload_id: int) -> bool:
        """Take the upload's byte; False when another process holds it. Under ``_lock``."""
        try:
            _lock_byte(self._fd, upload_id)
        except OSError:
            return False
        return True

    def _unlock_byte(self, upload_id: int) -> None:
        """Give the upload's byte back. Under ``_lock``."""
        try:
            _unlock_byte(self._fd, upload_id)
        except OSError as exc:  # the lock ends with the process anyway
            log.warning("could not release the claim on upload %d: %s", upload_id, exc)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)  # drops every claim still held
                self._fd = -1
                self._held.clear()


def _lock_byte(fd: int, offset: int) -> None:
    if fcntl is not None:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
    else:
        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock_byte(fd: int, offset: int) -> None:
    if fcntl is not None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
    else:
        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
