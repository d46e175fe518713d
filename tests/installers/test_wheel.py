"""The wheel (a non-editable ``pip install .``) carries the icons and .desktop entry from the
top-level resources/ folder, and the installed app finds them there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from site import getsitepackages

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built offline from this checkout, with the setuptools and wheel already installed."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=120)
    (built,) = out.glob("procore_uploader-*.whl")
    return built


def test_wheel_holds_every_resource_and_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = sorted(p.name for p in (ROOT / "resources").iterdir()
                       if p.suffix in (".png", ".svg", ".desktop"))
    assert "procore-uploader.svg" in resources and "procore-uploader-256.png" in resources
    missing = [n for n in resources if f"uploader_gui/resources/{n}" not in names]
    assert not missing, f"resources left out of the wheel: {missing}"
    # A package added to the source but not to pyproject's list would be silently left out.
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "uploader_gui").rglob("*.py")
                     if "__pycache__" not in p.parts)
    left_out = [m for m in modules if m not in names]
    assert not left_out, f"modules left out of the wheel (add their package to pyproject): " \
                         f"{left_out}"


def test_installed_wheel_finds_its_icon(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip install puts in site-packages
    probe = ("import uploader_gui.resource_files as r\n"
             "from PySide6.QtGui import QGuiApplication\n"
             "app = QGuiApplication([])\n"
             "from uploader_gui.gui.icons import app_icon\n"
             "print(r.resource_dir())\n"
             "print(app_icon().pixmap(64, 64).width())\n")
    env = dict(os.environ, PYTHONPATH=str(site), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == [str(site / "uploader_gui" / "resources"), "64"]


def test_editable_install_finds_the_top_level_resources(tmp_path: Path) -> None:
    """``pip install -e .`` maps the package to the checkout; resources/ is found beside it."""
    venv = tmp_path / "venv"
    # pip and setuptools come from the environment running the tests (pyproject's test extra
    # keeps its setuptools new enough for the SPDX licence string), not from the base
    # interpreter: --system-site-packages would give a venv made from another venv the base
    # interpreter's packages (Python 3.11 brings setuptools 65), so a .pth names ours instead.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    venv_site = subprocess.run([str(python), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True,
                               timeout=60).stdout.strip()
    (Path(venv_site) / "test_environment.pth").write_text(
        "".join(f"{d}\n" for d in getsitepackages()), encoding="utf-8")
    tools = subprocess.run([str(python), "-c", "import setuptools; print(setuptools.__file__)"],
                           check=True, capture_output=True, text=True, timeout=60).stdout
    assert Path(tools).parent.parent in {Path(d) for d in getsitepackages()}
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-index", "-e", str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import uploader_gui.resource_files as r; print(r.resource_dir())"
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout.strip()
    assert out == str(ROOT / "resources")
