"""The core (everything but uploader_gui.gui) must run where Qt cannot even be imported."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "uploader_gui"


def _core_modules() -> list[str]:
    """Every module of the package except the window's (and ``__main__``, which runs it)."""
    names = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("uploader_gui", *path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1 and parts[1] in {"gui", "__main__"}:
            continue
        names.append(".".join(parts))
    return names


CORE_MODULES = _core_modules()

BLOCKER = """
import sys, importlib.abc
class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'PySide6', 'shiboken6', 'PyQt5', 'PyQt6'}:
            raise ImportError('Qt is blocked: ' + name)
sys.meta_path.insert(0, NoQt())
import importlib
for m in %r:
    importlib.import_module(m)
print('ok')
"""


def test_core_imports_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKER % (CORE_MODULES,)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_every_module_but_the_window_is_checked() -> None:
    for name in ("uploader_gui.commands", "uploader_gui.demo", "uploader_gui.config",
                 "uploader_gui.domain", "uploader_gui.transfer.queue", "uploader_gui.cli"):
        assert name in CORE_MODULES
    assert not [m for m in CORE_MODULES if m.startswith("uploader_gui.gui")]
    assert len(CORE_MODULES) > 70


def test_blocker_really_blocks_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKER % (["uploader_gui.gui.app"],)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Qt is blocked" in result.stderr
