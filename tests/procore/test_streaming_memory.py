"""Big files stream from disk: memory stays flat whatever the file size."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from uploader_gui.procore.storage import StorageClient

from .conftest import Reply, ScriptedServer

MiB = 1024 * 1024
SIZE = 200 * MiB
TAIL = b"--end of the big file--"


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        handle.truncate(SIZE - len(TAIL))  # sparse: costs no disk, reads as zeros
        handle.seek(SIZE - len(TAIL))
        handle.write(TAIL)
    return path


def expected_sha256(path: Path, offset: int = 0, size: int = SIZE) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(offset)
        left = size
        while left:
            block = handle.read(min(left, 8 * MiB))
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


@pytest.mark.slow
def test_200_mb_upload_keeps_python_memory_small(big_file: Path,
                                                 server: ScriptedServer) -> None:
    server.keep_bodies = False
    server.route = lambda seen: Reply(200, b"", {"ETag": '"big"'})
    sent: list[int] = []
    with StorageClient() as storage:
        tracemalloc.start()
        try:
            storage.post_form(server.url, [("key", "k")], big_file, "big.bin", sent.append)
            etag = storage.put_segment(server.url, {"content-length": str(SIZE)}, big_file, 0,
                                       SIZE, sent.append)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    post, put = server.requests
    assert etag == "big"
    assert sum(sent) == 2 * SIZE
    assert not post.chunked and post.length > SIZE and post.tail.endswith(
        TAIL + b"\r\n--" + post.headers["content-type"].split("boundary=")[1].encode() + b"--\r\n")
    assert put.length == SIZE and put.sha256 == expected_sha256(big_file)
    # Both the client and this test's server run here; a body held in memory would be 200 MB.
    assert peak < 16 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"


CHILD = """
import json, resource, sys
from pathlib import Path
from uploader_gui.procore.storage import StorageClient
url, path, size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
with StorageClient() as storage:
    storage.put_segment(url, {}, path, 0, size)  # warm up imports and the connection
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    storage.put_segment(url, {}, path, 0, size)
    storage.post_form(url, [("key", "k")], path, path.name)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "after_kib": after}))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
def test_200_mb_upload_peak_rss_in_a_separate_process(big_file: Path,
                                                      server: ScriptedServer) -> None:
    server.keep_bodies = False
    server.route = lambda seen: Reply(200, b"", {"ETag": '"big"'})
    done = subprocess.run([sys.executable, "-c", CHILD, server.url, str(big_file), str(SIZE)],
                          capture_output=True, text=True, timeout=240, check=True)
    rss = json.loads(done.stdout)
    assert server.requests[1].length == SIZE
    growth_mib = (rss["after_kib"] - rss["before_kib"]) / 1024  # ru_maxrss is KiB on Linux
    assert growth_mib < 40, f"peak RSS grew {growth_mib:.1f} MiB while sending 400 MB"
