"""The Windows installer, end to end under Wine: built from this checkout with
packaging/windows/build-under-wine.sh, installed silently per user and for all users, the
installed app started in demo mode on Xvfb and handed a file through its Send To entry, closed
with Alt+F4, upgraded with a newer setup and uninstalled.

Needs Debian's wine, wine64, wine32:i386, gcc-mingw-w64-x86-64-win32, unzip, nodejs, npm, Xvfb
and xdotool, and PyPI and npm (the first build downloads a Windows CPython, PyInstaller, the
project's dependencies and Inno Setup into ~/.cache/procore-uploader/windows-build). Skips,
saying what is missing, elsewhere; fails instead when PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST=1
(.ci/run sets it). The screenshot lands in build/test-artefacts/windows/.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.demo_process import wait_for, wait_until_uploaded
from tests.installers.wine import (
    ROOT, Prefix, close_with_alt_f4, missing_tools, screenshot, visible_windows, wait_gone,
    windows_path)
from uploader_gui import APP_NAME, __version__
from uploader_gui.config import Settings

BUILD = ROOT / "packaging" / "windows" / "build-under-wine.sh"
ARTEFACTS = ROOT / "build" / "test-artefacts" / "windows"
REQUIRED = os.environ.get("PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST") == "1"
GUID = "{6F1C2A57-3E0B-4D55-9B1F-52A7C1D0E8B4}"
UNINSTALL_KEY = rf"Software\Microsoft\Windows\CurrentVersion\Uninstall\{GUID}_is1"
ACTIVE_SETUP_KEY = rf"HKLM\Software\Microsoft\Active Setup\Installed Components\{GUID}"
#: The newer setup of the upgrade: the same build under the next version number.
NEWER = ".".join([*__version__.split(".")[:-1], str(int(__version__.split(".")[-1]) + 1)])
SETUP_FLAGS = ("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")

# The first test also builds (about 3 minutes on 2 shared cores, more under load).
pytestmark = [pytest.mark.windows, pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def setups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The setup of this version and a newer one, built once for the module."""
    missing = missing_tools()
    if missing:
        reason = ("the Windows installer test needs Wine and its build tools; install the "
                  f"Debian packages {' '.join(missing)} (after dpkg --add-architecture i386)")
        if REQUIRED:
            pytest.fail(reason + " (PROCORE_UPLOADER_REQUIRE_WINDOWS_TEST=1 forbids skipping)")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("windows-setup")
    started = time.monotonic()
    built = subprocess.run([str(BUILD), "--out", str(out), "--version", __version__,
                            "--version", NEWER], capture_output=True, text=True, timeout=1800,
                           stdin=subprocess.DEVNULL, check=False)
    assert built.returncode == 0, built.stderr[-6000:]
    print(f"built under Wine in {time.monotonic() - started:.0f} s")
    old, new = (Path(line) for line in built.stdout.splitlines())
    print(f"{old.name}: {old.stat().st_size / 1e6:.1f} MB")
    return old, new


def _install(wine: Prefix, setup: Path, scope: str, logs: Path) -> subprocess.CompletedProcess:
    logs.mkdir(exist_ok=True)
    log = logs / f"setup-{len(list(logs.iterdir()))}.log"
    # setup.exe waits for the installer it unpacks, so this returns when setup has ended.
    done = wine.run(windows_path(setup), *SETUP_FLAGS, scope, f"/LOG={windows_path(log)}")
    done.stdout += log.read_text(errors="replace")[-3000:] if log.exists() else ""
    return done


def _files(folder: Path) -> dict[str, int]:
    """Relative path -> size; the uninstaller's log (unins000.dat) grows with every setup run,
    so only its presence counts."""
    return {str(p.relative_to(folder)): 0 if p.name.startswith("unins000.") else p.stat().st_size
            for p in folder.rglob("*") if p.is_file()}


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _uninstall(wine: Prefix, app_dir: Path) -> None:
    wine.run(windows_path(app_dir / "unins000.exe"), *SETUP_FLAGS)
    # The uninstaller runs a copy of itself from %TEMP%: wait for every process to end.
    wine.wait_idle()


def test_per_user_install_send_to_upload_upgrade_and_uninstall(
        setups: tuple[Path, Path], tmp_path: Path, display: str) -> None:
    old, new = setups
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    wine = Prefix(tmp_path / "prefix", display)
    try:
        installed = _install(wine, old, "/CURRENTUSER", tmp_path / "logs")
        assert installed.returncode == 0, installed.stdout
        app_dir = wine.local / "Programs" / APP_NAME
        exe = app_dir / "procore-uploader.exe"
        assert exe.is_file(), f"not installed per user into {app_dir}"
        assert not (wine.folder / "drive_c" / "Program Files" / APP_NAME).exists()
        start_menu = wine.roaming / "Microsoft/Windows/Start Menu/Programs" / f"{APP_NAME}.lnk"
        send_to = wine.roaming / "Microsoft/Windows/SendTo" / f"{APP_NAME}.lnk"
        assert start_menu.is_file(), "no Start Menu entry"
        assert send_to.is_file(), "no Send To entry"
        key = wine.registry(rf"HKCU\{UNINSTALL_KEY}")
        assert key is not None, "no uninstall entry for the user"
        assert key["DisplayVersion"] == __version__ and key["DisplayName"] == APP_NAME
        assert key["InstallLocation"].rstrip("\\").endswith(rf"AppData\Local\Programs\{APP_NAME}")
        assert wine.registry(rf"HKLM\{UNINSTALL_KEY}") is None
        bundled = _files(app_dir)
        size = sum(bundled.values())
        print(f"installed per user: {size / 1e6:.1f} MB, {len(bundled)} files")
        assert not [n for n in bundled if "opengl32sw" in n.lower()], "unused 20 MB DLL"

        # The person's own data, as a real (not demo) run leaves it: the journal the command
        # line opens, and settings changed from the defaults.
        status = wine.run(windows_path(exe), "status", timeout=120)
        assert status.returncode == 0, status.stdout
        data = wine.local / "ProcoreUploader"
        assert (data / "procore-uploader" / "journal.sqlite3").is_file(), _files(data)
        Settings(parallel_files=3, conflict_policy="new-version").save(
            data / "procore-uploader" / "settings.json")

        started = time.monotonic()
        app = wine.popen(windows_path(exe), "--demo", log=tmp_path / "app.log")
        try:
            window = wait_for(lambda: visible_windows(display, APP_NAME),
                              "the installed app's window", timeout=120, proc=app)[0]
            print(f"window shown {time.monotonic() - started:.1f} s after launch")
            doc = wine.user / "Documents" / "Level 2 punch list.pdf"
            doc.parent.mkdir(exist_ok=True)
            doc.write_bytes(os.urandom(300_000))
            # Send To starts the shortcut's target with the file's path; "--demo" sends it to
            # the demo's window rather than a real run's.
            handed = wine.run("start", "/wait", "/unix", str(send_to), "--demo",
                              rf"C:\users\{wine.user.name}\Documents\{doc.name}", timeout=120)
            assert handed.returncode == 0, handed.stdout
            demo_folder = wait_until_uploaded({"TMPDIR": str(wine.temp)}, doc, app, timeout=120)
            screenshot(display, window, ARTEFACTS / "installed-app.png")

            # A newer setup while the app runs: its files are in use, so setup stops. The
            # program must still be whole.
            busy = _install(wine, new, "/CURRENTUSER", tmp_path / "logs")
            assert busy.returncode != 0, "setup replaced files of a running app"
            assert _files(app_dir) == bundled, "a setup that stopped left the program broken"
            assert app.poll() is None, "the app died while setup ran"

            for _ in range(10):
                close_with_alt_f4(display, window)
                try:
                    app.wait(5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        finally:
            if app.poll() is None:
                app.kill()
        assert app.wait(30) == 0, (tmp_path / "app.log").read_text(errors="replace")
        assert wait_gone(demo_folder, 30), "the demo removes its folder when closed"

        # The upgrade, with the app closed. A file only the older version had goes; the
        # journal, settings and log stay as they are.
        user_data = _digests(data)
        assert {"procore-uploader/journal.sqlite3",
                "procore-uploader/settings.json"} <= set(user_data)
        stale = app_dir / "_internal" / "PySide6" / "plugins" / "imageformats" / "qold.dll"
        stale.write_bytes(b"from an older version")
        upgraded = _install(wine, new, "/CURRENTUSER", tmp_path / "logs")
        assert upgraded.returncode == 0, upgraded.stdout
        assert wine.registry(rf"HKCU\{UNINSTALL_KEY}")["DisplayVersion"] == NEWER
        assert not stale.exists(), "a file of the older version was left in the program"
        assert _files(app_dir) == bundled
        assert _digests(data) == user_data, "the upgrade changed the journal or settings"
        assert Settings.load(data / "procore-uploader" / "settings.json").parallel_files == 3

        _uninstall(wine, app_dir)
        assert not app_dir.exists(), _files(app_dir)
        assert not start_menu.exists() and not send_to.exists()
        assert wine.registry(rf"HKCU\{UNINSTALL_KEY}") is None
        assert _digests(data) == user_data, "uninstalling touched the person's data"
        assert doc.exists()
    finally:
        wine.remove()


def test_all_users_install_gives_every_user_send_to_and_uninstalls(
        setups: tuple[Path, Path], tmp_path: Path, display: str) -> None:
    old, _ = setups
    wine = Prefix(tmp_path / "prefix", display)
    try:
        installed = _install(wine, old, "/ALLUSERS", tmp_path / "logs")
        assert installed.returncode == 0, installed.stdout
        app_dir = wine.drive_c(rf"C:\Program Files\{APP_NAME}")
        assert (app_dir / "procore-uploader.exe").is_file()
        start_menu = wine.drive_c(
            rf"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\{APP_NAME}.lnk")
        assert start_menu.is_file(), "no Start Menu entry for all users"
        key = wine.registry(rf"HKLM\{UNINSTALL_KEY}")
        assert key is not None and key["DisplayVersion"] == __version__
        assert wine.registry(rf"HKCU\{UNINSTALL_KEY}") is None
        send_to = wine.roaming / "Microsoft/Windows/SendTo" / f"{APP_NAME}.lnk"
        assert send_to.is_file(), "the installing user has no Send To entry"

        # Another user has no Send To entry until Windows runs Active Setup's command for
        # them at sign-in. Played here by removing this user's entry and running the command.
        active = wine.registry(ACTIVE_SETUP_KEY)
        assert active is not None, "nothing gives the other users a Send To entry"
        assert active["Version"] == ",".join(__version__.split(".")[:4])
        send_to.unlink()
        stub = tmp_path / "active-setup.cmd"
        stub.write_text(active["StubPath"] + "\r\n", encoding="utf-8")
        ran = wine.run("cmd.exe", "/c", windows_path(stub), timeout=60)
        assert ran.returncode == 0, ran.stdout
        assert send_to.is_file(), f"Active Setup's command made no Send To entry: {ran.stdout}"
        assert send_to.read_bytes() == (app_dir / "sendto" / f"{APP_NAME}.lnk").read_bytes()

        _uninstall(wine, app_dir)
        assert not app_dir.exists(), _files(app_dir)
        assert not start_menu.exists()
        assert wine.registry(rf"HKLM\{UNINSTALL_KEY}") is None
        assert wine.registry(ACTIVE_SETUP_KEY) is None
    finally:
        wine.remove()


def test_licence_page_has_windows_line_ends_when_written_on_windows(
        setups: tuple[Path, Path], tmp_path: Path) -> None:
    """write-licences.py --crlf run by the build's Windows CPython: one CR LF a line (text mode
    on Windows once made it CR CR LF, a run-on paragraph in the wizard)."""
    cache = Path(os.environ.get("PROCORE_UPLOADER_WINDOWS_CACHE")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "procore-uploader" / "windows-build")
    env = {**os.environ, "WINEPREFIX": str(cache / "prefix"), "WINEDEBUG": "-all"}
    target = tmp_path / "licences.txt"
    done = subprocess.run(["wine", r"C:\py311\python.exe",
                           windows_path(ROOT / "packaging" / "write-licences.py"),
                           windows_path(target), "--crlf"], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout
    text = target.read_bytes()
    assert b"\r\r" not in text
    lines = text.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) > 5
    assert not [line for line in lines if b"\r" in line or b"\n" in line]
    assert b"PySide6" in text
