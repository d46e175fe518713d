"""Bodies stream through the storage server: memory stays flat however large the file."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path
from typing import BinaryIO

from uploader_gui.sandbox import Sandbox

from .raw_client import Api

SIZE = 48 * 1024 * 1024


class FormBody:
    """A multipart body read from disk piece by piece, with a known length (no chunking)."""

    def __init__(self, head: bytes, path: Path, tail: bytes, length: int) -> None:
        self._pieces: list[BinaryIO] = [io.BytesIO(head), path.open("rb"), io.BytesIO(tail)]
        self._length = length

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        while self._pieces:
            block = self._pieces[0].read(size if size > 0 else 1024 * 1024)
            if block:
                return block
            self._pieces.pop(0).close()
        return b""


def _big_file(path: Path) -> None:
    with path.open("wb") as handle:
        for _ in range(SIZE // (1024 * 1024)):
            handle.write(os.urandom(1024 * 1024))


def test_part_put_keeps_memory_flat(api: Api, sandbox: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    _big_file(source)
    data_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    data_md5 = hashlib.md5(source.read_bytes()).hexdigest()
    created = api.create_upload({"response_filename": "big.bin", "segments": [
        {"size": SIZE, "sha256": data_sha, "md5": data_md5}]}).json()
    segment = created["segments"][0]
    tracemalloc.start()
    try:
        with source.open("rb") as handle:
            answer = api.storage.put(segment["url"], data=handle, timeout=30,
                                     headers=dict(segment["headers"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200, answer.text
    # Client and server together: a few 1 MiB buffers, never the 48 MiB body.
    assert peak < 8 * 1024 * 1024
    done = api.complete(created["uuid"], [answer.headers["ETag"]], created["segments"])
    assert done.status_code == 200
    file_id = api.create_file(created["uuid"], "big.bin").json()["id"]
    assert hashlib.sha256(sandbox.document_path(file_id).read_bytes()).hexdigest() == data_sha


def test_form_post_keeps_memory_flat(api: Api, sandbox: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    _big_file(source)
    upload = api.create_upload().json()
    boundary = "streamingboundary7"
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in upload["fields"].items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n')
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head.encode()) + SIZE + len(tail)
    body = FormBody(head.encode(), source, tail, length)
    tracemalloc.start()
    try:
        answer = api.storage.post(upload["url"], data=body, timeout=30, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 204, answer.text
    assert peak < 8 * 1024 * 1024
    file_id = api.create_file(upload["uuid"], "big.bin").json()["id"]
    assert sandbox.document_path(file_id).read_bytes() == source.read_bytes()
