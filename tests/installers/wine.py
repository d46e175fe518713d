"""Running Windows programs under Wine for the installer test: a prefix of the test's own,
the registry, the installed app's window on Xvfb.

Wine 8 gives a Windows program an invalid handle when a standard stream is a regular file, so
every program here reads /dev/null and writes into a pipe.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEW_PREFIX = ROOT / "packaging" / "windows" / "wine" / "new-prefix.sh"
#: What the build and the test run; Debian packages in brackets.
TOOLS = {"wine": "wine wine64 wine32:i386", "wineserver": "wine", "unzip": "unzip",
         "x86_64-w64-mingw32-gcc": "gcc-mingw-w64-x86-64-win32", "npm": "nodejs npm",
         "Xvfb": "xvfb", "xdotool": "xdotool"}


def missing_tools() -> list[str]:
    """The Debian packages to install for what is not on PATH."""
    return sorted({pkg for tool, pkgs in TOOLS.items() if shutil.which(tool) is None
                   for pkg in pkgs.split()})


def windows_path(path: Path) -> str:
    """The Windows name of a Linux path (Wine's Z: drive is /)."""
    return "Z:" + str(path).replace("/", "\\")


class Prefix:
    """A Wine prefix (a Windows installation in a folder) on one X display."""

    def __init__(self, folder: Path, display: str) -> None:
        subprocess.run([str(NEW_PREFIX), str(folder)], check=True, timeout=300,
                       stdin=subprocess.DEVNULL, capture_output=True)
        self.folder = folder
        self.env = {**os.environ, "WINEPREFIX": str(folder), "WINEARCH": "win64",
                    "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml=",
                    "DISPLAY": display}
        for key in [k for k in self.env if k.startswith("PROCORE_")]:
            del self.env[key]
        users = [p for p in (folder / "drive_c" / "users").iterdir()
                 if p.name != "Public" and p.is_dir()]
        assert len(users) == 1, users
        self.user = users[0]

    # -- places --------------------------------------------------------------------------
    def drive_c(self, windows: str) -> Path:
        """The Linux path of C:\\...."""
        assert windows[:3].upper() == "C:\\", windows
        return self.folder / "drive_c" / windows[3:].replace("\\", "/")

    @property
    def temp(self) -> Path:
        """%TEMP% (Wine 8: C:\\users\\NAME\\Temp)."""
        return self.user / "Temp"

    @property
    def roaming(self) -> Path:
        return self.user / "AppData" / "Roaming"

    @property
    def local(self) -> Path:
        return self.user / "AppData" / "Local"

    # -- programs ------------------------------------------------------------------------
    def popen(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Starts ``wine ARGS``; what it prints goes to ``log`` (through a pipe)."""
        command = " ".join(_quote(a) for a in ["wine", *args])
        script = f"{command} </dev/null 2>&1 | cat >{_quote(str(log))}; exit ${{PIPESTATUS[0]}}"
        return subprocess.Popen(["bash", "-c", script], env=self.env)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["wine", *args], env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, check=False)

    def wait_idle(self, timeout: float = 120) -> None:
        """Until every Windows process of the prefix has ended (an uninstaller runs a copy of
        itself from %TEMP% and the first process returns at once)."""
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=timeout, check=True)

    def remove(self) -> None:
        """Ends every process of the prefix and deletes it (a few hundred MB)."""
        subprocess.run(["wineserver", "-k"], env=self.env, timeout=60, check=False)
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=60, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def registry(self, key: str) -> dict[str, str] | None:
        """The values of a registry key (64-bit view), or None when it does not exist."""
        out = self.run("reg", "query", key, "/reg:64", timeout=60)
        if out.returncode != 0:
            return None
        values = {}
        for line in out.stdout.splitlines():
            match = re.match(r"^\s{4}(.*?)\s{4}(REG_\w+)\s{4}(.*)$", line.rstrip("\r"))
            if match:
                values[match.group(1)] = match.group(3)
            elif re.match(r"^\s{4}(.*?)\s{4}(REG_\w+)$", line.rstrip("\r")):
                values[line.split("    ")[1]] = ""
        return values


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def visible_windows(display: str, name: str) -> list[str]:
    return subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name],
                          env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=20, check=False).stdout.split()


def close_with_alt_f4(display: str, window: str) -> None:
    """Alt+F4 on the window, as the person would press it."""
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, timeout=20,
                   capture_output=True, check=False)
    subprocess.run(["xdotool", "key", "--window", window, "alt+F4"], env=env, timeout=20,
                   capture_output=True, check=False)


def screenshot(display: str, window: str, target: Path) -> None:
    """A PNG of the window, taken by Qt from the X server (no window manager on Xvfb)."""
    script = ("import sys\n"
              "from PySide6.QtGui import QGuiApplication\n"
              "app = QGuiApplication([])\n"
              "image = app.primaryScreen().grabWindow(int(sys.argv[1]))\n"
              "sys.exit(0 if not image.isNull() and image.save(sys.argv[2]) else 1)\n")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run([sys.executable, "-c", script, window, str(target)], env=env, timeout=60,
                   check=True, capture_output=True)


def wait_gone(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not path.exists():
            return True
        time.sleep(0.1)
    return not path.exists()
