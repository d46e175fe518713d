"""Segment planning and hashing."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.segments import (MAX_SEGMENTS, MIN_SEGMENT, MiB, FileChanged,
                                            hash_segments, plan, segment_size_for)
from uploader_gui.procore.errors import Cancelled


def test_plan_covers_the_file_exactly() -> None:
    assert plan(10, 4) == [(0, 4), (4, 4), (8, 2)]
    assert plan(5 * MiB + 1, 5 * MiB) == [(0, 5 * MiB), (5 * MiB, 1)]
    assert plan(0, 5 * MiB) == [(0, 0)]


def test_segment_size_never_below_minimum_and_grows_for_huge_files() -> None:
    assert segment_size_for(100 * MiB, 1 * MiB) == MIN_SEGMENT
    assert segment_size_for(100 * MiB, 16 * MiB) == 16 * MiB
    huge = 200 * 1024 * MiB  # 200 GiB at 16 MiB would need 12,800 segments
    size = segment_size_for(huge, 16 * MiB)
    assert len(plan(huge, size)) <= MAX_SEGMENTS and size % MiB == 0


def test_hashes_match_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    with ThreadPoolExecutor(2) as pool:
        segs = hash_segments(f, len(data), MiB, True, pool, TransferControl())
    assert len(segs) == 4
    for s in segs:
        chunk = data[s.offset:s.offset + s.size]
        assert s.sha256 == hashlib.sha256(chunk).hexdigest()
        assert s.md5 == hashlib.md5(chunk).hexdigest()
    with ThreadPoolExecutor(2) as pool:
        no_md5 = hash_segments(f, len(data), MiB, False, pool, TransferControl())
    assert all(s.md5 is None for s in no_md5)


def test_truncated_file_is_detected(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * 100)
    with ThreadPoolExecutor(2) as pool, pytest.raises(FileChanged):
        hash_segments(f, 200, 64, True, pool, TransferControl())


def test_cancel_stops_hashing(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * (3 * MiB))
    control = TransferControl()
    control.cancel()
    with ThreadPoolExecutor(2) as pool, pytest.raises(Cancelled):
        hash_segments(f, 3 * MiB, MiB, True, pool, control)
