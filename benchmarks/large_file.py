"""One large file uploaded end to end, against the hash limit and the wire limit, in one run.

    python benchmarks/large_file.py --size-mib 1024 [--size-mib 4096] [--md5 both]

For each size (and with and without MD5):

- hash limit: read the file once and compute what the segmented flow needs (SHA-256, and MD5
  when it is sent, of every segment), on every core, nothing sent;
- wire limit: the same bytes sent by ``curl`` as presigned segment PUTs to the same sandbox
  storage, with the same parallelism, no hashing on the sending side;
- end to end: ``procore-uploader upload`` in a child process (hash, create, PUT, PATCH,
  associate), with its peak RSS.

Target: end to end / (hash limit + wire limit) at most 1.10. The file is read from the page
cache (it was just written), so the disk is not part of any figure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import BenchSandbox, MiB, bench_sandbox, cli_command, make_file, run_curl, settle_disk
from machine import describe, load

from uploader_gui.config import Settings
from uploader_gui.transfer.segments import plan, segment_size_for

READ = 4 * MiB


@dataclass
class Row:
    size_mib: int
    md5: bool
    hash_s: float
    wire_s: float
    e2e_s: float
    process_s: float
    peak_mb: float
    #: CPU seconds (user + system) of the hashing threads, of curl, and of the app's process.
    hash_cpu: float
    wire_cpu: float
    app_cpu: float

    @property
    def ratio(self) -> float:
        return self.e2e_s / (self.hash_s + self.wire_s)

    @property
    def process_ratio(self) -> float:
        return self.process_s / (self.hash_s + self.wire_s)

    @property
    def cpu_ratio(self) -> float:
        return self.app_cpu / (self.hash_cpu + self.wire_cpu)


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def hash_limit(path: Path, ranges: list[tuple[int, int]],
               with_md5: bool) -> tuple[float, list[tuple[str, str | None]]]:
    """Seconds to hash every segment on all cores (a plain reader, not the app's code)."""
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(ranges)):
        todo.put(i)
    out: list[tuple[str, str | None]] = [("", None)] * len(ranges)

    def worker() -> None:
        buffer = bytearray(READ)
        view = memoryview(buffer)
        fd = os.open(path, os.O_RDONLY)
        try:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                offset, size = ranges[i]
                sha = hashlib.sha256()
                md5 = hashlib.md5(usedforsecurity=False) if with_md5 else None
                done = 0
                while done < size:
                    n = os.preadv(fd, [view[:min(READ, size - done)]], offset + done)
                    sha.update(view[:n])
                    if md5 is not None:
                        md5.update(view[:n])
                    done += n
                out[i] = (sha.hexdigest(), md5.hexdigest() if md5 else None)
        finally:
            os.close(fd)

    threads = [threading.Thread(target=worker) for _ in range(os.cpu_count() or 1)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, out


def split_segments(path: Path, ranges: list[tuple[int, int]], workdir: Path) -> list[Path]:
    """Each segment as its own file, for ``curl -T`` (not timed)."""
    parts = []
    with open(path, "rb") as src:
        for i, (offset, size) in enumerate(ranges):
            part = workdir / f"segment-{i:05d}"
            with open(part, "wb") as dst:
                done = 0
                while done < size:
                    done += os.copy_file_range(src.fileno(), dst.fileno(), size - done,
                                               offset + done)
            parts.append(part)
    return parts


def wire_limit(bench: BenchSandbox, name: str, ranges: list[tuple[int, int]],
               hashes: list[tuple[str, str | None]], parts: list[Path], parallel: int,
               workdir: Path) -> float:
    """Seconds for curl to PUT every segment to links of a real upload (created untimed)."""
    total = sum(size for _, size in ranges)
    body = {"response_filename": name, "size": total,
            "segments": [{k: v for k, v in (("size", size), ("sha256", sha), ("md5", md5))
                          if v is not None}
                         for (_, size), (sha, md5) in zip(ranges, hashes, strict=True)]}
    with bench.client() as client:
        answer = client.create_upload(bench.scope(), body)
    requests = []
    for link, part in zip(answer["segments"], parts, strict=True):
        lines = [("url", link["url"]), ("upload-file", str(part)),
                 ("header", "Content-Type: application/octet-stream")]
        lines += [("header", f"{k}: {v}") for k, v in link["headers"].items()
                  if k.lower() != "content-length"]
        requests.append(lines)
    return run_curl(requests, parallel, workdir)


def end_to_end(bench: BenchSandbox, path: Path) -> tuple[float, float, float]:
    """(upload seconds, process seconds, peak RSS in MB) of ``procore-uploader upload``.

    The upload time runs from the file's "queued" line to the summary line of ``--json``
    (hash, create, PUT, PATCH, associate); the process time adds Python's start, imports,
    looking up the project and exiting.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        cli_command(["upload", str(path), "--project-id", str(bench.project_id),
                     "--api-base", bench.sandbox.api_url, "--json"]),
        env=bench.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    queued = finished = None
    peak_kb = 0
    for line in child.stdout:
        if queued is None and line.startswith('{"event": "queued"'):
            queued = time.perf_counter()
        elif line.startswith('{"event": "summary"'):
            finished = time.perf_counter()
        elif line.startswith("PEAK_KB"):
            peak_kb = int(line.split()[1])
    errors = child.stderr.read() if child.stderr else ""
    if child.wait() != 0 or queued is None or finished is None:
        raise SystemExit(f"upload failed: {errors[-2000:]}")
    return finished - queued, time.perf_counter() - started, peak_kb / 1024


def best_of(runs: list[Row]) -> Row:
    """Each figure's best (least) over the runs; the peak RSS is the highest."""
    def least(name: str) -> float:
        return min(float(getattr(r, name)) for r in runs)

    return Row(runs[0].size_mib, runs[0].md5, least("hash_s"), least("wire_s"), least("e2e_s"),
               least("process_s"), max(r.peak_mb for r in runs), least("hash_cpu"),
               least("wire_cpu"), least("app_cpu"))


def measure(size_mib: int, md5_modes: list[bool], settings: Settings, workdir: Path,
            repeat: int) -> list[Row]:
    """One row per MD5 mode, each figure the best of ``repeat`` runs (taken in turn, so load
    from elsewhere on the machine hits the three alike; it can only make a run slower)."""
    src = workdir / f"large-{size_mib}.bin"
    make_file(src, size_mib * MiB)
    size = size_mib * MiB
    ranges = plan(size, segment_size_for(size, settings.segment_size_mib * MiB))
    seg_dir = workdir / "segments"
    seg_dir.mkdir(exist_ok=True)
    rows = []
    try:
        for with_md5 in md5_modes:
            runs: list[Row] = []
            parts: list[Path] = []
            for turn in range(repeat):
                settle_disk()
                before = cpu(resource.RUSAGE_SELF)
                hash_s, hashes = hash_limit(src, ranges, with_md5)
                hash_cpu = cpu(resource.RUSAGE_SELF) - before
                parts = parts or split_segments(src, ranges, seg_dir)
                with bench_sandbox(workdir, f"{size_mib}-{with_md5}-{turn}", stores=2 * size,
                                   rate_limit_hourly=1_000_000) as bench:
                    where = bench.where
                    bench.write_settings(segment_size_mib=settings.segment_size_mib,
                                         segment_threshold_mib=settings.segment_threshold_mib,
                                         parallel_segments=settings.parallel_segments,
                                         send_md5=with_md5)
                    # Turns alternate which goes first, so neither always follows the other.
                    for step in (("wire", "app") if turn % 2 == 0 else ("app", "wire")):
                        settle_disk()
                        before = cpu(resource.RUSAGE_CHILDREN)
                        if step == "wire":
                            wire_s = wire_limit(bench, src.name, ranges, hashes, parts,
                                                settings.parallel_segments, workdir)
                            wire_cpu = cpu(resource.RUSAGE_CHILDREN) - before
                        else:
                            e2e_s, process_s, peak = end_to_end(bench, src)
                            app_cpu = cpu(resource.RUSAGE_CHILDREN) - before
                runs.append(Row(size_mib, with_md5, hash_s, wire_s, e2e_s, process_s, peak,
                                hash_cpu, wire_cpu, app_cpu))
            for part in parts:
                part.unlink()
            rows.append(best_of(runs))
            print(f"  {size_mib} MiB md5={'on' if with_md5 else 'off'} done, sandbox storage in "
                  f"{where} ({load()})",
                  flush=True)
    finally:
        src.unlink(missing_ok=True)
    return rows


def rate(size_mib: int, seconds: float) -> str:
    return f"{seconds:6.2f} s {size_mib / seconds:5.0f} MiB/s"


def main() -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, action="append",
                        help="file size in MiB (repeat for several; default 1024)")
    parser.add_argument("--segment-size-mib", type=int, default=defaults.segment_size_mib)
    parser.add_argument("--parallel", type=int, default=defaults.parallel_segments,
                        help="segments sent at once (the app's setting and curl's)")
    parser.add_argument("--md5", choices=("on", "off", "both"),
                        default="on" if defaults.send_md5 else "off")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each measurement; the best is shown (default 1)")
    parser.add_argument("--workdir", type=Path, help="where the test file goes (default: temp)")
    args = parser.parse_args()
    settings = Settings(segment_size_mib=args.segment_size_mib,
                        segment_threshold_mib=min(defaults.segment_threshold_mib,
                                                  args.segment_size_mib),
                        parallel_segments=args.parallel)
    md5_modes = {"on": [True], "off": [False], "both": [True, False]}[args.md5]
    print(f"machine: {describe()}")
    print(f"segments of {args.segment_size_mib} MiB, {args.parallel} at once; best of "
          f"{args.repeat} run(s); peak RSS is the highest")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        rows = [row for size in (args.size_mib or [1024])
                for row in measure(size, md5_modes, settings, Path(tmp), args.repeat)]
    print(f"{'file':>9} {'md5':>4} {'hash limit':>17} {'wire limit':>17} {'end to end':>17} "
          f"{'ratio':>6} {'process':>8} {'ratio':>6} {'peak RSS':>9}")
    for r in rows:
        print(f"{r.size_mib:5} MiB {'on' if r.md5 else 'off':>4} {rate(r.size_mib, r.hash_s)} "
              f"{rate(r.size_mib, r.wire_s)} {rate(r.size_mib, r.e2e_s)} {r.ratio:6.2f} "
              f"{r.process_s:6.2f} s {r.process_ratio:6.2f} {r.peak_mb:6.1f} MB")
    print(f"{'file':>9} {'md5':>4} {'CPU: hashing':>13} {'curl':>8} {'app':>8} {'CPU ratio':>10}")
    for r in rows:
        print(f"{r.size_mib:5} MiB {'on' if r.md5 else 'off':>4} {r.hash_cpu:11.2f} s "
              f"{r.wire_cpu:6.2f} s {r.app_cpu:6.2f} s {r.cpu_ratio:10.2f}")
    print("ratio = end to end / (hash limit + wire limit), target <= 1.10; end to end is from "
          "the file queued to the upload's summary,")
    print("process is the whole command (start, sign-in, project look-up, exit); CPU ratio = "
          "the app's CPU time / (hashing + curl)")
    print(f"(after: {load()})")


if __name__ == "__main__":
    main()
