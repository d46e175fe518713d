"""Start-up time of the installed app: from launch to its window shown on an X server (Xvfb).

    python benchmarks/installed_startup.py [--launcher /usr/bin/procore-uploader] [--runs 5]
                                           [--deb build/deb/procore-uploader_*.deb]

Install the .deb first (packaging/linux/build-deb.sh, then dpkg -i). Each run gets a new
Xvfb, an empty data folder and temporary folder, and is stopped with SIGTERM once its window
is visible (found with xdotool). Prints the first (cold) run and the median of all, for the
demo (which also starts the built-in sandbox) and for a normal, signed-out start.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

WINDOW_TITLE = "Procore Uploader"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x900x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        return proc, ":" + pipe.readline().strip()


def window_visible(env: dict[str, str]) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", WINDOW_TITLE],
                           env=env, capture_output=True, text=True, timeout=20, check=False)
    return bool(found.stdout.split())


def one_start(launcher: str, args: list[str], timeout: float = 120) -> float:
    """Seconds from launch to a visible window."""
    xvfb, display = start_xvfb()
    try:
        with tempfile.TemporaryDirectory(prefix="startup-") as base:
            tmp = Path(base) / "tmp"
            tmp.mkdir()
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PROCORE_", "PYTHON", "QT_"))}
            env.update(DISPLAY=display, TMPDIR=str(tmp),
                       PROCORE_UPLOADER_HOME=str(Path(base) / "home"))
            output = Path(base) / "output.txt"
            started = time.perf_counter()
            with open(output, "wb") as out:
                app = subprocess.Popen([launcher, *args], env=env, stdout=out,
                                       stderr=subprocess.STDOUT)
            try:
                while not window_visible(env):
                    if app.poll() is not None:
                        if xvfb.poll() is not None:
                            raise RuntimeError(f"Xvfb {display} ended during the run "
                                               f"(exit {xvfb.returncode})")
                        raise RuntimeError(f"the app exited with {app.returncode}: "
                                           f"{output.read_text(errors='replace')[-3000:]}")
                    if time.perf_counter() - started > timeout:
                        raise RuntimeError("no window")
                    time.sleep(0.02)
                return time.perf_counter() - started
            finally:
                app.send_signal(signal.SIGTERM)
                app.wait(60)
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--launcher", default="/usr/bin/procore-uploader")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deb", type=Path, help="also print this .deb's size")
    args = parser.parse_args()
    print(f"machine: {describe()}")
    if hasattr(os, "getloadavg"):  # other work on the machine shows in the figures
        print("load average before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.deb:
        print(f"{args.deb.name}: {args.deb.stat().st_size / 1e6:.1f} MB")
    started = time.perf_counter()
    version = subprocess.run([args.launcher, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    print(f"{version}: --version answered in {time.perf_counter() - started:.2f} s")
    for label, extra in (("demo (window + built-in sandbox)", ["--demo"]),
                         ("normal start, signed out", [])):
        times: list[float] = []
        retried = 0
        while len(times) < args.runs:
            try:
                times.append(one_start(args.launcher, extra))
            except RuntimeError as exc:
                # Xvfb sometimes hands out a display another X server on the machine answers
                # for; that start says nothing about the app, so it is run again (and counted).
                if "could not connect to display" not in str(exc) or retried >= args.runs:
                    raise
                retried += 1
        print(f"{label}: first {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {len(times)} runs"
              + (f" ({retried} start(s) repeated: X server unreachable)" if retried else ""))
    if hasattr(os, "getloadavg"):
        print("load average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
