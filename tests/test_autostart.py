"""Start with the computer: the XDG autostart entry is written and removed for real; the
Windows Run value and the macOS LaunchAgent are checked on their generated content only
(no registry or launchd here)."""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from uploader_gui import autostart


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_linux_entry_appears_when_ticked_and_goes_when_unticked(config_home: Path) -> None:
    path = config_home / "autostart" / "procore-uploader.desktop"
    assert not autostart.is_enabled("linux")
    autostart.set_enabled(True, ["/opt/procore-uploader/procore-uploader"], platform="linux")
    assert path.is_file() and autostart.is_enabled("linux")
    entry = _entry(path)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Procore Uploader"
    assert entry["Exec"] == "/opt/procore-uploader/procore-uploader"
    assert entry["Terminal"] == "false"
    autostart.set_enabled(False, platform="linux")
    assert not path.exists() and not autostart.is_enabled("linux")
    autostart.set_enabled(False, platform="linux")  # already off: nothing to do, no error


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed")
def test_linux_entry_is_valid_even_for_an_awkward_path(config_home: Path) -> None:
    argv = ["/home/dana/My Apps/$work/procore\\uploader", "-m", "100%"]
    autostart.set_enabled(True, argv, platform="linux")
    path = config_home / "autostart" / "procore-uploader.desktop"
    checked = subprocess.run(["desktop-file-validate", str(path)], capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0 and "error" not in checked.stdout.lower(), checked.stdout
    # Undo the two escapes (string value, then Exec quoting) as a launcher does.
    exec_line = _entry(path)["Exec"].replace("\\\\", "\\")
    assert _split_exec(exec_line) == argv


def _split_exec(line: str) -> list[str]:
    """The arguments of an Exec value, by the Desktop Entry specification's quoting rules."""
    args: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(line):
        c = line[i]
        if quoted and c == "\\" and i + 1 < len(line) and line[i + 1] in '"`$\\':
            current, i = current + line[i + 1], i + 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == " " and not quoted:
            args.append(current)
            current = ""
        else:
            current += c
        i += 1
    args.append(current)
    return [a.replace("%%", "%") for a in args]


def test_the_command_is_the_installed_apps(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    program = tmp_path / "bin" / "procore-uploader"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))
    assert autostart.launch_command() == [str(program)]
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert autostart.launch_command() == [sys.executable, "-m", "uploader_gui"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert autostart.launch_command() == [sys.executable]


def test_windows_run_value_is_one_quoted_command_line() -> None:
    value = autostart.windows_run_value([r"C:\Program Files\Procore Uploader\procore-uploader.exe"])
    assert value == r'"C:\Program Files\Procore Uploader\procore-uploader.exe"'
    assert autostart.RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"


def test_macos_launch_agent_runs_the_app_at_login() -> None:
    argv = ["/Applications/Procore Uploader.app/Contents/MacOS/Procore Uploader"]
    agent = plistlib.loads(autostart.launch_agent(argv))
    assert agent == {"Label": "com.procoreuploader.ProcoreUploader", "ProgramArguments": argv,
                     "RunAtLoad": True, "ProcessType": "Interactive"}
    assert autostart.launch_agent_path().name == "com.procoreuploader.ProcoreUploader.plist"
    assert autostart.launch_agent_path().parent.parts[-2:] == ("Library", "LaunchAgents")
