"""Peak memory (RSS) of the command-line upload of one large file to the local sandbox.

    python benchmarks/upload_memory.py --size-mib 1024 [--size-mib 4096]

Target: under 150 MB, and flat in file size. The sandbox runs in this process; the upload runs
in a child process whose peak RSS the kernel reports when it ends.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from uploader_gui.sandbox import Sandbox  # noqa: E402

MiB = 1024 * 1024


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as handle:
        for i in range(size // MiB):
            # Vary each block a little so segments differ, without paying for urandom per MiB.
            handle.write(i.to_bytes(8, "little") + block[8:])
        handle.write(os.urandom(size % MiB))


def measure(size_mib: int, workdir: Path) -> tuple[float, float]:
    src = workdir / f"file-{size_mib}.bin"
    make_file(src, size_mib * MiB)
    with Sandbox(data_dir=workdir / f"sandbox-{size_mib}") as sb:
        demo = sb.seed_demo()
        env = {**os.environ, "PROCORE_ACCESS_TOKEN": sb.issue_token(demo.user_id),
               "PROCORE_UPLOADER_HOME": str(workdir / f"home-{size_mib}")}
        script = (
            "import resource, sys\n"
            "from uploader_gui.cli import main\n"
            "code = main(sys.argv[1:])\n"
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
            "raise SystemExit(code)\n")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", script, "upload", str(src), "--project-id",
             str(demo.project_ids[0]), "--api-base", sb.api_url],
            env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"upload failed: {result.stderr}")
        peak_kb = int(result.stdout.split("PEAK_KB")[-1].split()[0])
    src.unlink()
    return peak_kb / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
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
    print("target: peak RSS under 150 MB, flat in file size")


if __name__ == "__main__":
    main()
