"""The .deb, end to end: built here with PyInstaller and dpkg-deb, installed with dpkg -i, the
installed app started in demo mode under Xvfb, a file uploaded through it, then purged.

Needs root (or sudo without a password), dpkg-deb, fakeroot, Xvfb and xdotool; skips, saying
which is missing, otherwise. It changes the machine (installs and removes a package), so it
also skips when procore-uploader is already installed from elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo_process import demo_env, start, stop, wait_for, wait_until_uploaded
from uploader_gui import APP_NAME, __version__
from uploader_gui.gui.single_instance import server_name
from uploader_gui.licences import runtime_distributions

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "procore-uploader"
INSTALLED = Path("/opt/procore-uploader")
LAUNCHER = Path("/usr/bin/procore-uploader")
DESKTOP = Path("/usr/share/applications/procore-uploader.desktop")
ICONS = Path("/usr/share/icons/hicolor")
#: The issue's target for the download.
MAX_DEB_BYTES = 90 * 1000 * 1000


def _admin() -> list[str] | None:
    """The prefix that runs a command as root: none when root, sudo -n when allowed."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                               capture_output=True, check=False).returncode == 0:
        return ["sudo", "-n"]
    return None


def _missing_tools() -> list[str]:
    return [t for t in ("dpkg-deb", "fakeroot", "dpkg", "Xvfb", "xdotool")
            if shutil.which(t) is None]


def _installed() -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Status}", PACKAGE],
                         capture_output=True, text=True, check=False)
    return out.returncode == 0 and out.stdout.strip() not in ("", "not-installed")


ADMIN = _admin()
pytestmark = [
    pytest.mark.installer,
    pytest.mark.slow,
    pytest.mark.skipif(ADMIN is None, reason="installing a .deb needs root or sudo without a "
                                             "password; neither is available"),
    pytest.mark.skipif(bool(_missing_tools()),
                       reason=f"needs {', '.join(_missing_tools())} (Debian: apt-get install "
                              "dpkg-dev fakeroot xvfb xdotool)"),
    pytest.mark.skipif(shutil.which("dpkg-query") is not None and _installed(),
                       reason="procore-uploader is already installed on this machine; "
                              "the test would remove it"),
]


def _dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    assert ADMIN is not None
    return subprocess.run([*ADMIN, "dpkg", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def _package_files() -> list[Path]:
    listing = subprocess.run(["dpkg-query", "-L", PACKAGE], capture_output=True, text=True,
                             check=True).stdout
    return [Path(line) for line in listing.splitlines() if line.strip()]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _visible_windows(env: dict[str, str]) -> list[str]:
    return subprocess.run(["xdotool", "search", "--onlyvisible", "--name", APP_NAME], env=env,
                          capture_output=True, text=True, timeout=20, check=False).stdout.split()


def test_deb_installs_uploads_in_demo_and_purges_clean(tmp_path: Path, display: str) -> None:
    built = subprocess.run([str(ROOT / "packaging" / "linux" / "build-deb.sh"),
                            "--out", str(tmp_path / "out"), "--python", sys.executable],
                           capture_output=True, text=True, timeout=1200, check=False)
    assert built.returncode == 0, built.stderr[-4000:]
    deb = Path(built.stdout.strip().splitlines()[-1])
    size = deb.stat().st_size
    print(f"{deb.name}: {size / 1e6:.1f} MB")
    assert size < MAX_DEB_BYTES, f"the .deb is {size / 1e6:.1f} MB, over the 90 MB target"

    installed = _dpkg("-i", str(deb))
    assert installed.returncode == 0, installed.stderr
    try:
        files = _package_files()
        assert LAUNCHER.resolve() == INSTALLED / "procore-uploader"
        assert DESKTOP in files
        assert ICONS / "scalable/apps/procore-uploader.svg" in files
        assert ICONS / "256x256/apps/procore-uploader.png" in files
        # Only the Qt modules the app imports; no translations, QML or GTK.
        internal = INSTALLED / "_internal"
        modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
        assert modules == {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtNetwork"}
        unwanted = [p.name for p in internal.rglob("*") if p.suffix == ".qm"
                    or p.name.startswith(("libQt6Qml", "libQt6Quick", "libQt6Pdf", "libgtk-3"))]
        assert not unwanted, f"bundled but never used: {unwanted[:10]}"
        # Every bundled package's metadata is in, so Help > About lists its licence.
        bundled = {_canonical(p.name.removesuffix(".dist-info").removesuffix(".egg-info")
                              .split("-")[0])
                   for p in (INSTALLED / "_internal").iterdir()
                   if p.name.endswith((".dist-info", ".egg-info"))}
        missing = {_canonical(n) for n in runtime_distributions()} - bundled
        assert not missing, f"no metadata bundled for {missing}"
        entry = DESKTOP.read_text()
        assert "Exec=procore-uploader %F" in entry, "files dropped on the icon reach the app"
        if shutil.which("desktop-file-validate"):
            check = subprocess.run(["desktop-file-validate", str(DESKTOP)],
                                   capture_output=True, text=True, check=False)
            assert check.returncode == 0, check.stdout + check.stderr

        # The launcher on PATH, outside any Python environment: no PYTHONPATH, a bare PATH.
        env = demo_env(tmp_path / "user", DISPLAY=display, QT_QPA_PLATFORM="xcb",
                       PATH="/usr/local/bin:/usr/bin:/bin")
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        version = subprocess.run(["procore-uploader", "--version"], env=env,
                                 capture_output=True, text=True, timeout=60, check=False)
        assert version.stdout.strip() == f"{APP_NAME} {__version__}", version.stderr

        started = time.monotonic()
        app = start(["procore-uploader", "--demo"], env)
        try:
            wait_for(lambda: _visible_windows(env), "the installed app's window on Xvfb",
                     timeout=120, proc=app)
            print(f"window shown {time.monotonic() - started:.1f} s after launch")
            doc = tmp_path / "Level 2 punch list.txt"
            doc.write_bytes(b"uploaded through the installed app " * 100)
            # A second launch with a file, as a file manager or a drop on the icon starts it.
            handed = subprocess.run(["procore-uploader", "--demo", str(doc)], env=env,
                                    capture_output=True, text=True, timeout=120, check=False)
            assert handed.returncode == 0, handed.stdout + handed.stderr
            demo_folder = wait_until_uploaded(env, doc, app, timeout=120)
        finally:
            code = stop(app)
        assert code == 0
        assert not demo_folder.exists(), "the demo removes its folder at exit"
        assert not Path(server_name("demo", env)).exists(), "and its single-instance socket"
        user_data = sorted(p.relative_to(tmp_path) for p in (tmp_path / "user" / "home")
                           .rglob("*") if p.is_file())
        assert user_data, "the app wrote its log under the user's folder"
    finally:
        purged = _dpkg("--purge", PACKAGE)
    assert purged.returncode == 0, purged.stderr
    assert not _installed()
    left = [p for p in files if p.exists() and not p.is_dir()]
    assert not left, f"files left after purge: {left}"
    assert not INSTALLED.exists() and not LAUNCHER.exists() and not DESKTOP.exists()
    # What the person made stays: the log in their folder (and the files they uploaded).
    assert all((tmp_path / p).exists() for p in user_data)
    assert doc.exists()
