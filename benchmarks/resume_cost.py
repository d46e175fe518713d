"""Resume cost: bytes sent again after the upload is killed half way.

    python benchmarks/resume_cost.py --size-mib 1024 [--kill-at 0.5]

``procore-uploader upload`` runs in a child process; once the sandbox's storage has confirmed
half of the file's bytes the child gets SIGKILL (no chance to tidy up), then
``procore-uploader resume`` finishes the upload. Every body byte the storage server read is
counted from its request log: what it read beyond the file's size was sent twice. Target: at
most the segments in flight (parallel segments x segment size). The stored document is checked
against the file's SHA-256, and must exist exactly once.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import BenchSandbox, MiB, bench_sandbox, cli_command, make_file, run_cli
from machine import describe, load

from uploader_gui.config import Settings


def confirmed_bytes(bench: BenchSandbox) -> int:
    """Bytes of segment PUTs the storage has answered 200."""
    return sum(r.bytes_received for r in bench.sandbox.request_log
               if r.server == "storage" and r.method == "PUT" and r.status == 200)


def kill_when_half_stored(bench: BenchSandbox, args: list[str], target: int) -> float:
    """Run the upload and SIGKILL it once ``target`` bytes are confirmed; seconds it ran."""
    started = time.perf_counter()
    child = subprocess.Popen(cli_command(args), env=bench.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        while confirmed_bytes(bench) < target:
            if child.poll() is not None:
                raise SystemExit("the upload ended before it could be killed; use a larger "
                                 "file or an earlier --kill-at")
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    return time.perf_counter() - started


def settle(bench: BenchSandbox) -> int:
    """Storage bytes read, once the connections the kill cut have been logged."""
    last = -1
    while (now := bench.storage_bytes()) != last:
        last = now
        time.sleep(0.3)
    return now


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 * MiB):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction stored at the kill")
    parser.add_argument("--segment-size-mib", type=int, default=defaults.segment_size_mib)
    parser.add_argument("--parallel", type=int, default=defaults.parallel_segments)
    parser.add_argument("--faults", metavar="SPEC", default=None,
                        help="sandbox faults, e.g. 'storage_put:stall=0.3*inf/after=2' to slow "
                             "the parts after the kill point (a small file then cannot finish "
                             "before the kill)")
    args = parser.parse_args()
    size = args.size_mib * MiB
    in_flight = args.parallel * args.segment_size_mib * MiB
    print(f"machine: {describe()}")
    print(f"{args.size_mib} MiB file, segments of {args.segment_size_mib} MiB, "
          f"{args.parallel} at once")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "resume.bin"
        make_file(src, size)
        expected = sha256_of(src)
        with bench_sandbox(work, "resume", stores=2 * size, rate_limit_hourly=1_000_000,
                           faults=args.faults) as bench:
            bench.write_settings(segment_size_mib=args.segment_size_mib,
                                 segment_threshold_mib=min(defaults.segment_threshold_mib,
                                                           args.segment_size_mib),
                                 parallel_segments=args.parallel)
            upload = ["upload", str(src), "--project-id", str(bench.project_id),
                      "--api-base", bench.sandbox.api_url]
            ran = kill_when_half_stored(bench, upload, int(size * args.kill_at))
            at_kill = settle(bench)
            stored_at_kill = confirmed_bytes(bench)
            resumed = run_cli(["resume", "--api-base", bench.sandbox.api_url], bench.env)
            total = bench.storage_bytes()
            where = bench.where
            docs = [d for d in bench.sandbox.documents(project_id=bench.project_id)
                    if d["name"] == src.name]
    if len(docs) != 1 or docs[0]["versions"][-1]["sha256"] != expected:
        raise SystemExit(f"the stored document is wrong: {docs}")
    resent = total - size
    print(f"sandbox storage in {where}")
    print(f"killed after {ran:.2f} s with {stored_at_kill / MiB:.0f} MiB confirmed "
          f"and {at_kill / MiB:.0f} MiB read by storage")
    print(f"resume took {resumed.seconds:.2f} s (peak RSS {resumed.peak_mb:.1f} MB); "
          "one document, bytes identical to the file")
    print(f"storage read {total / MiB:.1f} MiB for a {args.size_mib} MiB file: "
          f"{resent / MiB:.1f} MiB sent twice")
    verdict = "met" if resent <= in_flight else "NOT met"
    print(f"target: at most the segments in flight, {in_flight / MiB:.0f} MiB ({verdict}) "
          f"(after: {load()})")


if __name__ == "__main__":
    main()
