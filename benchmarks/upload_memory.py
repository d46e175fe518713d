"""Peak memory (RSS) of the command-line upload of one large file to the local sandbox.

    python benchmarks/upload_memory.py --size-mib 1024 [--size-mib 4096]

Target: under 150 MB, and flat in file size (the largest within 10% of the smallest). The
sandbox runs in this process; the upload runs in a child process whose peak RSS the kernel
reports when it ends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MiB, bench_sandbox, make_file, run_cli
from machine import describe, load


def measure(size_mib: int, workdir: Path) -> tuple[float, float]:
    src = workdir / f"file-{size_mib}.bin"
    make_file(src, size_mib * MiB)
    try:
        with bench_sandbox(workdir, f"memory-{size_mib}", stores=size_mib * MiB) as bench:
            run = run_cli(["upload", str(src), "--project-id", str(bench.project_id),
                           "--api-base", bench.sandbox.api_url], bench.env)
    finally:
        src.unlink()
    return run.peak_mb, run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, action="append",
                        help="file size in MiB (repeat for several)")
    args = parser.parse_args()
    sizes = args.size_mib or [1024]
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(size, *measure(size, Path(tmp))) for size in sizes]
    print(f"{'file':>10}  {'peak RSS':>10}  {'time':>8}  {'throughput':>12}")
    for size, peak, elapsed in rows:
        print(f"{size:>6} MiB  {peak:>7.1f} MB  {elapsed:>6.1f} s  {size / elapsed:>8.1f} MiB/s")
    peaks = [peak for _, peak, _ in rows]
    spread = max(peaks) / min(peaks) - 1
    print(f"largest peak {spread:+.1%} over the smallest; target: under 150 MB, within 10% "
          f"(after: {load()})")


if __name__ == "__main__":
    main()
