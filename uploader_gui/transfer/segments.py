"""Cutting a file into storage segments and hashing them (SHA-256 and MD5 in one read)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from uploader_gui.journal.store import SegmentRecord
from uploader_gui.transfer.control import TransferControl

MiB = 1024 * 1024
GiB = 1024 * MiB
#: S3's smallest part (all but the last); Procore's newer guide says "larger than 5 MiB".
MIN_SEGMENT = 5 * MiB
MAX_SEGMENT = 5 * GiB
MAX_SEGMENTS = 10_000
READ_CHUNK = 1 * MiB


class FileChanged(Exception):
    """The file on disk is not the one that was queued (changed, truncated, moved)."""


def segment_size_for(file_size: int, wanted: int) -> int:
    """The segment size to use: the wanted one, never under the minimum, grown to fit 10,000."""
    size = max(wanted, MIN_SEGMENT)
    needed = -(-file_size // MAX_SEGMENTS)  # ceiling division
    if needed > size:
        size = -(-needed // MiB) * MiB  # whole MiB
    if size > MAX_SEGMENT:
        raise ValueError("file too large for 10,000 segments of 5 GiB")
    return size


def plan(file_size: int, segment_size: int) -> list[tuple[int, int]]:
    """(offset, size) of each segment; the last one holds the remainder (it may be 1 byte)."""
    if file_size <= 0:
        return [(0, 0)]
    return [(off, min(segment_size, file_size - off))
            for off in range(0, file_size, segment_size)]


def hash_range(path: Path, offset: int, size: int, with_md5: bool,
               control: TransferControl | None = None,
               on_bytes: Callable[[int], None] | None = None) -> tuple[str, str | None]:
    """SHA-256 (and MD5) of ``size`` bytes at ``offset``, read once in large chunks."""
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False) if with_md5 else None
    remaining = size
    buffer = bytearray(READ_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        handle.seek(offset)
        while remaining:
            if control is not None:
                control.check()
            n = handle.readinto(view[: min(READ_CHUNK, remaining)])
            if not n:
                raise FileChanged("The file became shorter while it was being read.")
            chunk = view[:n]
            sha.update(chunk)
            if md5 is not None:
                md5.update(chunk)
            remaining -= n
            if on_bytes is not None:
                on_bytes(n)
    return sha.hexdigest(), md5.hexdigest() if md5 else None


def hash_segments(path: Path, file_size: int, segment_size: int, with_md5: bool,
                  executor: Executor, control: TransferControl,
                  on_bytes: Callable[[int], None] | None = None) -> list[SegmentRecord]:
    """Hash every segment, several at once (hashlib releases the GIL on large buffers)."""
    ranges = plan(file_size, segment_size)
    futures = [executor.submit(hash_range, path, off, size, with_md5, control, on_bytes)
               for off, size in ranges]
    try:
        results = [f.result() for f in futures]
    finally:
        for f in futures:
            f.cancel()
    if os.stat(path).st_size != file_size:
        raise FileChanged("The file changed size while it was being read.")
    return [SegmentRecord(index=i, offset=off, size=size, sha256=sha, md5=md5)
            for i, ((off, size), (sha, md5)) in enumerate(zip(ranges, results, strict=True))]
