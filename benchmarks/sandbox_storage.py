"""The sandbox's storage on its own: is it fast enough that the large-file benchmark measures
the client and not the sandbox?

    python benchmarks/sandbox_storage.py --size-mib 1024 [--parallel 4]

``curl`` PUTs the segments of one file (presigned links of a real upload, checked as S3 would:
signature, SHA-256 of every byte, Content-MD5 when sent) to the sandbox's storage, and the same
requests to a bare HTTP sink on loopback that reads the bytes and throws them away. The sink is
the ceiling of curl plus loopback on this machine; the sandbox's CPU time per GiB is what its
checks cost (on a 2-core machine that CPU is shared with the sender).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import socket
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MiB, bench_sandbox, make_file, run_curl, settle_disk
from large_file import hash_limit, split_segments, wire_limit
from machine import describe, load

from uploader_gui.config import Settings
from uploader_gui.transfer.segments import plan


class HttpSink:
    """Answers every request 200 with an ETag after reading its Content-Length bytes."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _serve(conn: socket.socket) -> None:
        buffer = memoryview(bytearray(MiB))
        pending = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, _, pending = pending.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                remaining = length - len(pending)
                pending = pending[length:] if remaining < 0 else b""
                while remaining > 0:
                    n = conn.recv_into(buffer[:min(MiB, remaining)])
                    if not n:
                        return
                    remaining -= n
                conn.sendall(b'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 0\r\n\r\n')

    def close(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        self._accepting.join()
        for thread in self._threads:
            thread.join()


def checks_cpu(size: int) -> float:
    """CPU seconds of what S3's checks need for ``size`` bytes: SHA-256 and MD5, one thread."""
    block = memoryview(bytearray(os.urandom(MiB)))
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    before = cpu_seconds()
    for _ in range(size // MiB):
        sha.update(block)
        md5.update(block)
    return cpu_seconds() - before


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--segment-size-mib", type=int, default=defaults.segment_size_mib)
    parser.add_argument("--parallel", type=int, default=defaults.parallel_segments)
    args = parser.parse_args()
    size = args.size_mib * MiB
    ranges = plan(size, args.segment_size_mib * MiB)
    print(f"machine: {describe()}")
    print(f"{args.size_mib} MiB in segments of {args.segment_size_mib} MiB, "
          f"{args.parallel} at once")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "storage.bin"
        make_file(src, size)
        parts = split_segments(src, ranges, work)
        sink = HttpSink()
        try:
            requests = [[("url", f"{sink.url}/bucket/part-{i}"), ("upload-file", str(p))]
                        for i, p in enumerate(parts)]
            settle_disk()
            before = cpu_seconds()
            seconds = run_curl(requests, args.parallel, work)
            rows.append(("bare HTTP sink", seconds, cpu_seconds() - before))
        finally:
            sink.close()
        for with_md5 in (True, False):
            _, hashes = hash_limit(src, ranges, with_md5)
            with bench_sandbox(work, f"storage-{with_md5}", stores=size,
                               rate_limit_hourly=1_000_000) as b:
                where = b.where
                settle_disk()
                before = cpu_seconds()
                seconds = wire_limit(b, src.name, ranges, hashes, parts, args.parallel, work)
                label = "sandbox storage, " + ("Content-MD5 sent" if with_md5 else "no MD5")
                print(f"  {label}: stored in {where}")
                rows.append((label, seconds, cpu_seconds() - before))
    gib = size / 1024**3
    checks = checks_cpu(size)
    print(f"{'receiver':<34} {'time':>8} {'throughput':>12} {'receiver CPU':>16}")
    for label, seconds, cpu in rows:
        print(f"{label:<34} {seconds:6.2f} s {args.size_mib / seconds:7.0f} MiB/s "
              f"{cpu / gib:8.2f} s/GiB")
    print(f"{'SHA-256 + MD5 alone, no I/O':<34} {'':>8} {'':>12} {checks / gib:8.2f} s/GiB")
    print(f"(after: {load()})")


if __name__ == "__main__":
    main()
