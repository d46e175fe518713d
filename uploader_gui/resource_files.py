"""Where the app's resource files (icons, the .desktop entry, a company's oauth.json) are.

The repository keeps them in the top-level ``resources/`` folder. An installed wheel and the
PyInstaller build put that folder inside the package as ``uploader_gui/resources``; a source
checkout (``pip install -e .`` or ``PYTHONPATH``) finds it beside the package. Qt-free.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import uploader_gui

log = logging.getLogger(__name__)

#: A file every copy of the resources has; it tells a real resources folder from a stray one.
MARKER = "procore-uploader.svg"


def candidates() -> list[Path]:
    """Where the resources may be, first found wins: inside the package, then beside it."""
    package = Path(uploader_gui.__file__).resolve().parent
    return [package / "resources", package.parent / "resources"]


@cache
def resource_dir() -> Path:
    """The resources folder; when none is found, the first place looked (callers cope with
    missing files: the app still runs, only without its icon)."""
    for folder in candidates():
        if (folder / MARKER).is_file():
            return folder
    log.warning("the app's resource files are missing (looked in %s)",
                ", ".join(str(p) for p in candidates()))
    return candidates()[0]


def resource(name: str) -> Path:
    """The path of one resource file (it may not exist, e.g. an optional oauth.json)."""
    return resource_dir() / name
