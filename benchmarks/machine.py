"""What machine a benchmark ran on, printed with its figures."""

from __future__ import annotations

import os
import platform
import sys


def describe() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages / 1024**3:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
            f"{os.cpu_count()} cores{mem}, Python {sys.version.split()[0]}, {load()}")


def load() -> str:
    """The 1-minute load average: other work on the machine makes the figures noisier."""
    try:
        return f"load {os.getloadavg()[0]:.2f}"
    except (OSError, AttributeError):
        return "load unknown"
