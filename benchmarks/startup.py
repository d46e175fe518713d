"""Start-up: time from launching the app to its window shown, and the command line's ``--help``.

    python benchmarks/startup.py [--runs 5] [--xvfb]

The app is launched as ``procore-uploader`` is (a new Python process), signed in with a token
against a local sandbox, with a fresh settings/journal folder. It prints "window shown" once
the window is up (``PROCORE_UPLOADER_QUIT_WHEN_SHOWN=1``) and quits. The display is Qt's
offscreen platform, or a real X server (Xvfb) with ``--xvfb``. Targets: window under 1.5 s,
``--help`` under 0.3 s (it must not import Qt, requests or the sign-in code).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import bench_sandbox
from machine import describe, load

#: What the installed ``procore-uploader`` script runs.
ENTRY = "import sys; from uploader_gui.cli import main; sys.exit(main())"
HEAVY = ("PySide6", "requests", "urllib3", "keyring", "uploader_gui.auth.session")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def heavy_modules_after_help(env: dict[str, str]) -> list[str]:
    probe = ("import contextlib, io, sys\n"
             "from uploader_gui.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['--help'])\n"
             f"print(' '.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))\n")
    out = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                         capture_output=True, text=True).stdout
    return sorted({m.split(".")[0] for m in out.split()})


def window_shown(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    app = subprocess.Popen([sys.executable, "-c", ENTRY, *args], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert app.stderr is not None
    shown = None
    said = []
    for line in app.stderr:
        if line.strip() == "window shown":
            shown = time.perf_counter() - started
            break
        said.append(line)
    rest = "".join(said) + app.stderr.read()
    if app.wait(timeout=60) != 0 or shown is None:
        raise SystemExit(f"the app did not show its window: {rest[-2000:]}")
    return shown


@contextmanager
def display(xvfb: bool) -> Iterator[dict[str, str]]:
    if not xvfb:
        yield {"QT_QPA_PLATFORM": "offscreen"}
        return
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        yield {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def summary(values: list[float]) -> str:
    return f"best {min(values):.3f} s, median {statistics.median(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--xvfb", action="store_true", help="show the window on Xvfb")
    args = parser.parse_args()
    print(f"machine: {describe()}")
    env = dict(os.environ)
    interpreter = [timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs)]
    helps = [timed([sys.executable, "-c", ENTRY, "--help"], env) for _ in range(args.runs)]
    heavy = heavy_modules_after_help(env)
    with tempfile.TemporaryDirectory() as tmp, display(args.xvfb) as screen, \
            bench_sandbox(Path(tmp), "startup") as bench:
        app_env = {**bench.env, **screen, "PROCORE_UPLOADER_QUIT_WHEN_SHOWN": "1"}
        app_args = ["--api-base", bench.sandbox.api_url]
        windows = [window_shown(app_args, app_env) for _ in range(args.runs)]
    where = "Xvfb" if args.xvfb else "offscreen"
    print(f"{'python -c pass (interpreter alone)':<40} {summary(interpreter)}")
    print(f"{'procore-uploader --help':<40} {summary(helps)}   target < 0.3 s")
    print(f"{'  heavy modules imported by --help':<40} {', '.join(heavy) or 'none'}")
    print(f"{f'launch to window shown ({where})':<40} {summary(windows)}   target < 1.5 s")
    print(f"{args.runs} runs each (after: {load()})")


if __name__ == "__main__":
    main()
