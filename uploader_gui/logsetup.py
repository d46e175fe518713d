"""Logging to a per-user log file (readable by the user only), with secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

from uploader_gui.config import Settings, log_dir

LOG_FILE_NAME = "procore-uploader.log"
_configured = False


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is readable by the user only.

    The standard handler opens a new file after each rollover with the default permissions
    (usually readable by everyone on the machine).
    """

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # also a file left readable by an earlier version
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def chosen_folder() -> Path | None:
    """The log folder chosen in Settings (``extra.log_folder``), if any and usable."""
    chosen = str(Settings.load().extra.get("log_folder") or "").strip()
    if not chosen:
        return None
    folder = Path(chosen).expanduser()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def configure(verbose: bool = False, folder: Path | None = None) -> None:
    """Send our log records to the log file (and to stderr when ``verbose``), once.

    The file goes to ``folder``, else the folder chosen in Settings, else the per-user log dir.
    """
    global _configured
    if _configured:
        return
    _configured = True
    from uploader_gui.procore.redact import RedactingFilter

    path = (folder or chosen_folder() or log_dir()) / LOG_FILE_NAME
    handler = PrivateRotatingFileHandler(path, maxBytes=5_000_000, backupCount=3,
                                         encoding="utf-8")
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console.addFilter(RedactingFilter())
        root.addHandler(console)
    # urllib3 logs full URLs at DEBUG only; keep it quiet at INFO anyway.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
