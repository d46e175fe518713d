"""Claims on uploads: one process at a time sends an upload; a killed process drops its claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from uploader_gui.journal.claims import UploadClaims

HOLDER = r"""
import sys, threading
from pathlib import Path
from uploader_gui.journal.claims import UploadClaims
claims = UploadClaims(Path(sys.argv[1]))
assert claims.claim(5)
print("held", flush=True)
threading.Event().wait()
"""


def test_a_claim_excludes_other_processes_until_the_holder_dies(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(journal)],
                              stdout=subprocess.PIPE, text=True)
    claims = UploadClaims(journal)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert claims.held_elsewhere(5) and not claims.held_elsewhere(6)
        assert not claims.claim(5), "upload 5 is being sent by the other process"
        assert claims.claim(6) and claims.claim(4), "other uploads are free"
        assert not claims.held_elsewhere(6), "held here, not elsewhere"
        holder.kill()  # as a crash would: the system drops its locks
        holder.wait()
        assert not claims.held_elsewhere(5)
        assert claims.claim(5)
        assert not claims.claim(5), "not twice in one process either"
        claims.release(5)
        assert claims.claim(5)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        claims.close()
    assert oct(claims.path.stat().st_mode & 0o777) == "0o600"
