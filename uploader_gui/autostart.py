"""Start with the computer: the app opens when the person signs in to their computer.

- Linux and other freedesktop systems: an XDG autostart entry,
  ``$XDG_CONFIG_HOME/autostart/procore-uploader.desktop``.
- Windows: a value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/com.procoreuploader.ProcoreUploader.plist``.

The command is the one the installed app starts with: the bundled program when frozen
(PyInstaller), else the ``procore-uploader`` command (as the .desktop entry's ``Exec``), else
``python -m uploader_gui``. Every call here touches the disk or the registry: not on a GUI
thread.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from uploader_gui import APP_NAME
from uploader_gui.fileutil import atomic_write_text

#: Where the setting is kept in Settings.extra (off unless the person ticks it).
SETTING_KEY = "start_with_computer"
COMMAND = "procore-uploader"
DESKTOP_FILE = f"{COMMAND}.desktop"
#: The macOS bundle identifier (packaging/macos/Info.plist), the LaunchAgent's label.
MAC_LABEL = "com.procoreuploader.ProcoreUploader"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = APP_NAME


def launch_command() -> list[str]:
    """The program and arguments that open the window, as the installed app does."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    found = shutil.which(COMMAND)
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "uploader_gui"]


# -- what is written ----------------------------------------------------------------------------

def _exec_quote(arg: str) -> str:
    """One argument of a Desktop Entry ``Exec`` key, quoted as the specification says."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`='):
        return arg.replace("%", "%%")
    inner = "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%")
    return f'"{inner}"'


def desktop_entry(argv: Sequence[str]) -> str:
    """The XDG autostart entry that runs ``argv``."""
    # A string value escapes backslashes once more (Desktop Entry spec, "Value types").
    exec_line = " ".join(_exec_quote(a) for a in argv).replace("\\", "\\\\")
    return ("[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={APP_NAME}\n"
            "Comment=Upload files and folders to Procore\n"
            f"Exec={exec_line}\n"
            f"Icon={COMMAND}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n")


def windows_run_value(argv: Sequence[str]) -> str:
    """The command line stored in the Run key (quoted as Windows parses it)."""
    return subprocess.list2cmdline(list(argv))


def launch_agent(argv: Sequence[str]) -> bytes:
    """The macOS LaunchAgent that runs ``argv`` when the person logs in."""
    return plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": list(argv),
                           "RunAtLoad": True, "ProcessType": "Interactive"})


# -- where it is written ------------------------------------------------------------------------

def desktop_entry_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    # The spec: a relative XDG_CONFIG_HOME is invalid and is ignored.
    config = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return config / "autostart" / DESKTOP_FILE


def launch_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"


def set_enabled(enabled: bool, argv: Sequence[str] | None = None,
                platform: str = sys.platform) -> None:
    """Add (or remove) the entry that starts the app with the computer. Raises OSError."""
    argv = list(argv or launch_command())
    if platform == "win32":
        _set_windows(enabled, argv)
    elif platform == "darwin":
        _write_or_remove(launch_agent_path(), launch_agent(argv).decode() if enabled else None)
    else:
        _write_or_remove(desktop_entry_path(), desktop_entry(argv) if enabled else None)


def is_enabled(platform: str = sys.platform) -> bool:
    if platform == "win32":
        return _windows_value() is not None
    if platform == "darwin":
        return launch_agent_path().is_file()
    return desktop_entry_path().is_file()


def _write_or_remove(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write_text(path, text)


def _set_windows(enabled: bool, argv: Sequence[str]) -> None:
    if sys.platform != "win32":
        raise OSError("the Windows registry is on Windows only")
    import winreg

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
        if enabled:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, windows_run_value(argv))
        else:
            try:
                winreg.DeleteValue(key, RUN_VALUE)
            except FileNotFoundError:
                pass


def _windows_value() -> str | None:
    if sys.platform != "win32":
        raise OSError("the Windows registry is on Windows only")
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _kind = winreg.QueryValueEx(key, RUN_VALUE)
    except FileNotFoundError:
        return None
    return str(value)
