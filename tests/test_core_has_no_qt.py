"""The core (everything but uploader_gui.gui) must run where Qt cannot even be imported."""

import subprocess
import sys

CORE_MODULES = [
    "uploader_gui.cli",
    "uploader_gui.procore.client",
    "uploader_gui.procore.storage",
    "uploader_gui.transfer.engine",
    "uploader_gui.journal.store",
    "uploader_gui.sandbox",
    "uploader_gui.auth",
]

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


def test_blocker_really_blocks_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKER % (["uploader_gui.gui.app"],)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Qt is blocked" in result.stderr
