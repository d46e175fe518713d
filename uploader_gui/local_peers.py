"""Local sockets only this user can reach: a private 0700 folder, and the peer's user id.

The single-instance socket hands file paths between launches. In a shared temporary folder,
another user could create that socket first (or connect to ours): so it lives in the user's
runtime folder, else in a folder of ours with mode 0700, and both ends check that the process
at the other end runs as the same user.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import struct
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)


def private_dir(folder: str) -> bool:
    """``folder`` is a real folder (not a link), owned by this user, closed to everyone else."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) & 0o077 == 0)


def socket_dir(environ: Mapping[str, str], max_length: int) -> str | None:
    """A folder for this user's sockets that nobody else can enter, made when needed.

    The runtime folder (``XDG_RUNTIME_DIR``, 0700 by specification) when it is private, else
    ``procore-uploader-u<uid>`` (0700) in the temporary folder. None when no such folder can be
    had within ``max_length`` characters (another user holds the name, say).
    """
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and len(runtime) <= max_length and private_dir(runtime):
        return runtime
    for tmp in (environ.get("TMPDIR"), "/tmp"):
        if not tmp or not os.path.isdir(tmp):
            continue
        folder = os.path.join(tmp, f"procore-uploader-u{os.getuid()}")
        if len(folder) > max_length:
            continue
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            log.warning("cannot make a private folder for the app's socket: %s", exc)
            continue
        if not private_dir(folder):
            try:  # ours but opened up (a restored backup, a umask tool): close it again
                if os.lstat(folder).st_uid == os.getuid() and stat.S_ISDIR(
                        os.lstat(folder).st_mode):
                    os.chmod(folder, 0o700)
            except OSError:
                pass
        if private_dir(folder):
            return folder
        log.warning("%s belongs to someone else or is open to others; not used", folder)
    return None


def peer_uid(fd: int) -> int | None:
    """The user id of the process at the other end of the Unix socket ``fd`` (None: unknown).

    The descriptor is duplicated, so the caller's socket is left as it was.
    """
    if sys.platform.startswith("linux") and hasattr(socket, "SO_PEERCRED"):
        try:
            with socket.socket(fileno=os.dup(fd)) as sock:
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                        struct.calcsize("3i"))
        except OSError:
            return None
        return int(struct.unpack("3i", creds)[1])
    if sys.platform == "darwin" or "bsd" in sys.platform:
        return _getpeereid(fd)
    return None


def _getpeereid(fd: int) -> int | None:
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        uid, gid = ctypes.c_uint32(), ctypes.c_uint32()
        if libc.getpeereid(fd, ctypes.byref(uid), ctypes.byref(gid)) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return int(uid.value)


def same_user(fd: int) -> bool:
    """The peer of ``fd`` runs as this user (always true where there are no user ids)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the named pipe is private to the session already
    uid = peer_uid(fd)
    return uid is not None and uid == os.getuid()
