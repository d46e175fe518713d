"""Turning dropped paths into files to upload, refusing what cannot be uploaded in plain words."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from uploader_gui.domain import Rejected
from uploader_gui.transfer.name_clashes import keep_files_apart, unique_folder_names
from uploader_gui.transfer.system_files import is_system_file

GiB = 1024 ** 3
#: Procore's per-file limit (as Procore Drive documents it).
MAX_FILE_SIZE = 50 * GiB

# Characters Windows (and so Procore's Documents tool) does not allow in a name.
_BAD_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# Invisible characters that reorder or hide part of a name ("invoice\u202efdp.exe" shows as
# "invoiceexe.pdf"): bidi controls, zero-width characters and the byte order mark.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_RESERVED_WINDOWS = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_LENGTH = 255
_NOT_TEXT = ("The name of this (or of a folder it is in) holds characters that are not valid text; "
             "it was probably made on a computer with another language setting. Rename it, "
             "then add it again.")
_LEADS_OUTSIDE = ("This shortcut leads out of the dropped folder (to {target}), so it was left "
                  "out. To upload what it points to, add that on its own.")
_TOO_LONG = ("The path of this is too long for the computer to open (more than 4,096 characters). "
             "Move it to a folder with a shorter path, then add it again.")


@dataclass(frozen=True)
class FoundFile:
    """A regular file to upload; ``subfolders`` is its folder path relative to the drop."""

    path: Path
    size: int
    mtime_ns: int
    subfolders: tuple[str, ...]
    name: str


@dataclass
class ScanResult:
    files: list[FoundFile] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: Folders with nothing in them, as paths relative to the drop: created, as a copy would.
    empty_folders: list[tuple[str, ...]] = field(default_factory=list)
    #: System files found inside dropped folders and left out (see system_files).
    left_out: list[Path] = field(default_factory=list)


def procore_name(name: str) -> str:
    """A name Procore and Windows accept: forbidden characters become "-" (as Procore Drive
    does)."""
    cleaned = _BAD_NAME_CHARS.sub("-", _INVISIBLE.sub("", name)).strip().rstrip(". ")
    stem = cleaned.split(".")[0].upper()
    if stem in _RESERVED_WINDOWS:
        cleaned = "_" + cleaned
    if len(cleaned) > MAX_NAME_LENGTH:
        base, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            cleaned = base[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_NAME_LENGTH]
    return cleaned or "unnamed"


def renamed_note(original: str, cleaned: str) -> str | None:
    """Why a file goes into Procore under another name than on disk (None when it does not)."""
    if original == cleaned:
        return None
    reasons = []
    bad = sorted(set(_BAD_NAME_CHARS.findall(original)))
    if bad:
        shown = " ".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in bad)
        reasons.append(f"names in Procore cannot contain {shown}")
    hidden = sorted(set(_INVISIBLE.findall(original)))
    if hidden:
        shown = " ".join(f"U+{ord(c):04X}" for c in hidden)
        reasons.append(f"invisible characters that can disguise a name were removed ({shown})")
    if original.rstrip(" .") != original:
        reasons.append("names cannot end with a dot or a space")
    if original.split(".")[0].strip().upper() in _RESERVED_WINDOWS:
        reasons.append(f"Windows reserves the name {original.split('.')[0].strip()}")
    if len(original) > MAX_NAME_LENGTH:
        reasons.append(f"names are limited to {MAX_NAME_LENGTH} characters")
    if procore_name(original) != cleaned:
        reasons.append(f'another file in the same folder becomes "{procore_name(original)}" '
                       "in Procore")
    why = "; ".join(reasons) or "the name is not allowed in Procore"
    return f'as "{cleaned}" ({why})'


def scan(paths: Iterable[Path]) -> ScanResult:
    """Walk the dropped paths. A dropped folder keeps its own name as the first subfolder."""
    result = ScanResult()
    for raw in paths:
        path = Path(os.path.abspath(raw))
        _scan_one(path, (), result, visited=set())
    # Names that clean to one Procore name in one folder are kept apart, never merged.
    result.files = keep_files_apart(result.files, lambda f: f.subfolders, lambda f: f.path)
    return result


def _is_text(path: Path) -> bool:
    """The path decodes as UTF-8 (undecodable bytes come as lone surrogates from the OS)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _left_out(entry: os.DirEntry[str], top: str, result: ScanResult) -> bool:
    if entry.is_symlink() and not _leads_inside(entry.path, top):
        result.rejected.append(Rejected(Path(entry.path), _LEADS_OUTSIDE.format(
            target=os.path.realpath(entry.path))))
        return True
    return False


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _leads_inside(link: str, top: str) -> bool:
    target = os.path.realpath(link)
    return target == top or target.startswith(top.rstrip(os.sep) + os.sep)


def _scan_one(path: Path, subfolders: tuple[str, ...], result: ScanResult,
              visited: set[tuple[int, int]], inside: str | None = None,
              folder_name: str | None = None) -> None:
    """``inside`` is the real path of the dropped folder ``path`` is in (None: dropped itself);
    ``folder_name`` the Procore name of ``path`` when it is a folder (kept apart from its
    siblings')."""
    if not _is_text(path):
        # Neither the journal nor Procore can hold it; refusing it alone keeps the rest.
        result.rejected.append(Rejected(path, _NOT_TEXT))
        return
    try:
        info = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        if os.path.islink(path):
            result.rejected.append(Rejected(path, "This shortcut points to something that no "
                                                  "longer exists."))
        else:
            result.rejected.append(Rejected(path, "This file no longer exists."))
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            result.rejected.append(Rejected(path, "This shortcut points to itself in a loop."))
        elif exc.errno in (errno.EACCES, errno.EPERM):
            result.rejected.append(Rejected(path, "You do not have permission to open this."))
        elif exc.errno == errno.ENAMETOOLONG:
            result.rejected.append(Rejected(path, _TOO_LONG))
        else:
            result.rejected.append(Rejected(path, f"This cannot be opened ({exc.strerror})."))
        return

    if stat.S_ISDIR(info.st_mode):
        key = (info.st_dev, info.st_ino)
        if key in visited:
            result.rejected.append(Rejected(path, "This folder contains itself through a "
                                                  "shortcut; it was uploaded only once."))
            return
        visited = visited | {key}
        folder = (*subfolders, folder_name or procore_name(path.name or str(path)))
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except PermissionError:
            result.rejected.append(Rejected(path, "You do not have permission to open this "
                                                  "folder."))
            return
        except OSError as exc:
            result.rejected.append(Rejected(path, _TOO_LONG if exc.errno == errno.ENAMETOOLONG
                                            else f"This folder cannot be opened "
                                                 f"({exc.strerror})."))
            return
        if not entries:
            result.empty_folders.append(folder)
        # Shortcuts in a dropped folder are followed only while they stay inside the folder
        # that was dropped (as cp -r and rsync do), so a folder copied from a share or an
        # archive cannot send ~/.ssh or /etc along with it.
        top = inside or os.path.realpath(path)
        entries = [e for e in entries if not _left_out(e, top, result)]
        folder_names = unique_folder_names((e.name, procore_name(e.name)) for e in entries
                                           if _is_folder(e))
        for entry in entries:
            if is_system_file(entry.name) and not entry.is_dir():
                result.left_out.append(Path(entry.path))
                continue
            _scan_one(Path(entry.path), folder, result, visited, top,
                      folder_names.get(entry.name))
        return

    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        result.rejected.append(Rejected(path, f"This is {kind}, not a file, so it cannot be "
                                              "uploaded."))
        return
    if info.st_size > MAX_FILE_SIZE:
        result.rejected.append(Rejected(path, f"This file is {info.st_size:,} bytes "
                                              f"({info.st_size / GiB:.2f} GB); Procore accepts "
                                              f"files up to 50 GB ({MAX_FILE_SIZE:,} bytes)."))
        return
    if not os.access(path, os.R_OK):
        result.rejected.append(Rejected(path, "You do not have permission to read this file."))
        return
    result.files.append(FoundFile(path=path, size=info.st_size, mtime_ns=info.st_mtime_ns,
                                  subfolders=subfolders, name=procore_name(path.name)))
