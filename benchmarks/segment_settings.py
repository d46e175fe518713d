"""End-to-end upload time of one large file for several segment sizes and parallelisms: what
the defaults (``Settings.segment_size_mib``, ``Settings.parallel_segments``) are chosen from.

    python benchmarks/segment_settings.py --size-mib 1024 [--segment-mib 8 16 32 64]
        [--parallel 2 4 8] [--md5 off] [--repeat 2]

Each run is ``procore-uploader upload`` in a child process against a fresh sandbox; the best of
``--repeat`` runs is shown (other load on the machine only ever makes a run slower).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import MiB, bench_sandbox, make_file, settle_disk
from large_file import end_to_end
from machine import describe, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--segment-mib", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--parallel", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--md5", choices=("on", "off"), default="off")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    print(f"{args.size_mib} MiB file, MD5 {args.md5}; best of {args.repeat}; "
          "seconds from queued to done (MiB/s)")
    results: dict[tuple[int, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "settings.bin"
        make_file(src, args.size_mib * MiB)
        grid = [(segment, parallel) for segment in args.segment_mib
                for parallel in args.parallel]
        for turn in range(args.repeat):
            # Every other turn runs the grid backwards: the first run of a turn tends to be
            # slower, and no setting should always be the one that pays for it.
            for segment, parallel in grid if turn % 2 == 0 else grid[::-1]:
                with bench_sandbox(work, f"{segment}-{parallel}", stores=src.stat().st_size,
                                   rate_limit_hourly=1_000_000) as bench:
                    bench.write_settings(segment_size_mib=segment,
                                         segment_threshold_mib=min(16, segment),
                                         parallel_segments=parallel,
                                         send_md5=args.md5 == "on")
                    settle_disk()
                    seconds, _, _ = end_to_end(bench, src)
                print(f"  {segment} MiB x {parallel}: {seconds:.2f} s", flush=True)
                key = (segment, parallel)
                results[key] = min(results.get(key, seconds), seconds)
    print(f"{'segment':>9} " + " ".join(f"{f'{p} at once':>18}" for p in args.parallel))
    for segment in args.segment_mib:
        cells = [results[(segment, p)] for p in args.parallel]
        print(f"{segment:>5} MiB " + " ".join(f"{s:7.2f} s ({args.size_mib / s:4.0f})"
                                               for s in cells))
    best = min(results, key=lambda k: results[k])
    print(f"fastest: segments of {best[0]} MiB, {best[1]} at once (after: {load()})")


if __name__ == "__main__":
    main()
