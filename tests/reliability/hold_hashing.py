"""Runs the real ``procore-uploader`` command, holding it in the middle of hashing a file.

Hashing is local work with no request to the sandbox, so no sandbox fault can stop it at a known
instant. This launcher is the crash test's hook for that point: it wraps the function that hashes
one segment so that the first segment is hashed for real and every later one is hashed and then
held (the file ``HOLD_HASHING_MARKER`` names is written when the first one is held). Everything
else is the unchanged command line; the test kills the process while it is held.
"""

import os
import sys
import threading
from pathlib import Path
from typing import Any

from uploader_gui import cli
from uploader_gui.transfer import segments

_real_hash_range = segments.hash_range
_marker = Path(os.environ["HOLD_HASHING_MARKER"])
_forever = threading.Event()


def _held_hash_range(path: Path, offset: int, size: int, *args: Any, **kwargs: Any) -> Any:
    result = _real_hash_range(path, offset, size, *args, **kwargs)
    if offset > 0:
        _marker.write_text(f"holding after hashing the segment at {offset}\n")
        _forever.wait()
    return result


segments.hash_range = _held_hash_range

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
