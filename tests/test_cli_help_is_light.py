"""``procore-uploader --help`` stays quick: it imports neither Qt nor requests nor sign-in code.

Checked by module names in a fresh interpreter, not by timing (benchmarks/startup.py times it).
"""

import subprocess
import sys

HEAVY = ("PySide6", "requests", "urllib3", "keyring", "uploader_gui.auth.session",
         "uploader_gui.procore.client", "uploader_gui.gui")

PROBE = f"""
import contextlib, io, sys
from uploader_gui.cli import main
for args in (["--help"], ["upload", "--help"], ["login", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            main(args)
        except SystemExit:
            pass
    assert "usage: procore-uploader" in out.getvalue(), args
print(" ".join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))
"""


def test_help_imports_no_heavy_module() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == []


def test_the_procore_package_still_offers_its_names() -> None:
    from uploader_gui import procore
    from uploader_gui.procore.client import ProcoreClient
    from uploader_gui.procore.storage import StorageClient

    assert procore.ProcoreClient is ProcoreClient and procore.StorageClient is StorageClient
    assert "Scope" in procore.__all__
