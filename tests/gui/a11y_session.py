"""Run a program on its own accessibility bus with a listener registered, as a screen reader
would be, and print what the program announced (one JSON string a line).

Run inside ``dbus-run-session``:
``python3 a11y_session.py SECONDS UNTIL -- PROGRAM ARGS...``: the program runs until one
announcement contains UNTIL, or SECONDS pass.

Qt's AT-SPI bridge sends events only when a listener has asked for them (Orca does so when it
starts); here a small QtDBus client asks for every ``object:`` event and ``dbus-monitor`` keeps
the Announcement signals the program sends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

LAUNCHER_PLACES = ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher")
LISTENER = """
import sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtDBus import QDBusConnection, QDBusMessage
app = QCoreApplication([])
bus = QDBusConnection.connectToBus(sys.argv[1], "a11y")
call = QDBusMessage.createMethodCall("org.a11y.atspi.Registry", "/org/a11y/atspi/registry",
                                     "org.a11y.atspi.Registry", "RegisterEvent")
call.setArguments(["object:"])
reply = bus.call(call)
print("registered" if reply.type() == QDBusMessage.MessageType.ReplyMessage
      else "failed " + reply.errorMessage(), flush=True)
app.exec()
"""
_TEXT = re.compile(r'^\s*variant\s+string "(.*)"\s*$')


def launcher() -> str:
    for place in (shutil.which("at-spi-bus-launcher"), *LAUNCHER_PLACES):
        if place and os.access(place, os.X_OK):
            return place
    raise SystemExit("at-spi-bus-launcher is not installed")


def bus_address(deadline: float) -> str:
    while time.monotonic() < deadline:
        got = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.a11y.Bus",
                              "/org/a11y/bus", "org.a11y.Bus.GetAddress"],
                             capture_output=True, text=True, check=False)
        found = re.search(r'string "(.*)"', got.stdout)
        if got.returncode == 0 and found:
            return found.group(1)
        time.sleep(0.1)
    raise SystemExit("the accessibility bus did not start")


def announcements(log: Path) -> list[str]:
    """The texts of the Announcement signals dbus-monitor wrote."""
    texts: list[str] = []
    in_announcement = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("signal "):
            in_announcement = "member=Announcement" in line
        elif in_announcement:
            found = _TEXT.match(line)
            if found:
                texts.append(found.group(1))
                in_announcement = False
    return texts


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def main() -> int:
    seconds, until = float(sys.argv[1]), sys.argv[2]
    program = sys.argv[sys.argv.index("--") + 1:]
    deadline = time.monotonic() + seconds
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"a11y-monitor-{os.getpid()}.txt"
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(subprocess.Popen([launcher(), "--launch-immediately"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = bus_address(deadline)
        with log.open("wb") as out:
            started.append(subprocess.Popen(
                ["dbus-monitor", "--address", address,
                 "type='signal',interface='org.a11y.atspi.Event.Object',member='Announcement'"],
                stdout=out, stderr=subprocess.DEVNULL))
        listener = subprocess.Popen([sys.executable, "-c", LISTENER, address],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        started.append(listener)
        assert listener.stdout is not None
        answer = listener.stdout.readline().decode().strip()
        if answer != "registered":
            raise SystemExit(f"no listener could be registered: {answer}")
        env = dict(os.environ, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1", QT_QPA_PLATFORM="xcb")
        app = subprocess.Popen(program, env=env)
        started.append(app)
        while time.monotonic() < deadline and app.poll() is None:
            if any(until in text for text in announcements(log)):
                break
            time.sleep(0.2)
        time.sleep(0.3)  # dbus-monitor writes what it has
        for text in announcements(log):
            print(json.dumps(text), flush=True)
    finally:
        for proc in reversed(started):
            stop(proc)
        log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
