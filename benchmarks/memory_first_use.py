"""What this machine charges for using memory it has not used lately.

    python benchmarks/memory_first_use.py [--gib 1] [--hold 0 1 2 4]

The sandbox keeps what it stores in memory (or the page cache), so storing 1 GiB needs 1 GiB
of memory. This script touches 1 GiB of fresh memory, one write per 4 KiB page, while holding
0, 1, 2, 4 GiB already touched, twice each. On a physical machine every line reads about the
same. On a virtual machine whose host backs guest memory only when it is first used, the first
touch beyond what was in use recently costs several times more kernel time: the same cost the
sandbox pays, on some turns, for storing a large file. It is printed beside the sandbox's own
figures in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import mmap
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, load

GiB = 1024**3
PAGE = 4096


def kernel_seconds() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def touch(region: mmap.mmap) -> None:
    for offset in range(0, len(region), PAGE):
        region[offset] = 1


def touch_fresh(size: int) -> tuple[float, float]:
    """(kernel CPU seconds, wall seconds) to touch ``size`` bytes of new memory."""
    region = mmap.mmap(-1, size)
    before, started = kernel_seconds(), time.perf_counter()
    touch(region)
    spent = kernel_seconds() - before, time.perf_counter() - started
    region.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=1.0, help="memory touched each time")
    parser.add_argument("--hold", type=float, nargs="+", default=[0, 1, 2, 4],
                        help="GiB held (touched) while measuring, in rising order")
    args = parser.parse_args()
    size = int(args.gib * GiB)
    print(f"machine: {describe()}")
    print(f"touching {args.gib:g} GiB of new memory, one write per 4 KiB page, twice per line")
    print(f"{'held':>8} {'first: kernel CPU':>18} {'wall':>8} "
          f"{'again: kernel CPU':>18} {'wall':>8}")
    held: list[mmap.mmap] = []
    held_bytes = 0
    for hold in sorted(args.hold):
        while held_bytes < int(hold * GiB):
            block = mmap.mmap(-1, min(GiB, int(hold * GiB) - held_bytes))
            touch(block)
            held.append(block)
            held_bytes += len(block)
        (cpu1, wall1), (cpu2, wall2) = touch_fresh(size), touch_fresh(size)
        print(f"{hold:6g} GiB {cpu1 / args.gib:13.2f} s/GiB {wall1:6.2f} s "
              f"{cpu2 / args.gib:13.2f} s/GiB {wall2:6.2f} s")
    for block in held:
        block.close()
    print(f"(after: {load()})")


if __name__ == "__main__":
    main()
