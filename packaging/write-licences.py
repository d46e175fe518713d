"""Writes the list of bundled components and their licences, from installed package metadata:
the .deb's copyright file and the licence page of the Windows installer.

    python packaging/write-licences.py TARGET [--crlf]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This checkout's package, even when another copy is installed in the interpreter.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uploader_gui import APP_NAME, __version__  # noqa: E402
from uploader_gui.licences import components  # noqa: E402


def main(target: str, crlf: bool = False) -> int:
    lines = [f"{APP_NAME} {__version__}", "",
             ("Procore Uploader is released under the MIT licence. It includes these "
              "components, each under its own licence:"), "",
             ("Qt 6 (inside PySide6-Essentials): LGPL-3.0-only. Qt's source is available from "
              "the Qt Project; you may replace the Qt libraries in the program folder."), ""]
    lines += [f"{c.name} {c.version}: {c.licence}" for c in components()]
    newline = "\r\n" if crlf else "\n"
    # newline="": the text goes out as written (text mode on Windows would turn the "\n" of
    # "\r\n" into "\r\n" again, and the wizard shows CR CR LF as one run-on paragraph).
    Path(target).write_text(newline.join(lines) + newline, encoding="utf-8", newline="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], crlf="--crlf" in sys.argv[2:]))
