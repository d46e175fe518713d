"""Running a child process that permission bits apply to, even when the suite runs as root.

Root reads a file with mode 000 and writes into a read-only folder, because it holds the
capabilities that override permission checks (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). ``setpriv``
(util-linux) starts one child without them, so the app meets the real permission errors an office
worker's account meets. As an ordinary user no prefix is needed.
"""

from __future__ import annotations

import os
import shutil

import pytest

_CAPS = "-dac_override,-dac_read_search"


def permission_checked() -> list[str]:
    """The command prefix under which permission bits apply; skips the test when impossible."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return [setpriv, f"--bounding-set={_CAPS}", f"--inh-caps={_CAPS}"]
