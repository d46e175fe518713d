"""Logging to a per-user log file (readable by the user only), with secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import os

from uploader_gui.config import log_dir

LOG_FILE_NAME = "procore-uploader.log"
_configured = False


def configure(verbose: bool = False) -> None:
    """Send our log records to the log file (and to stderr when ``verbose``), once."""
    global _configured
    if _configured:
        return
    _configured = True
    from uploader_gui.procore.redact import RedactingFilter

    path = log_dir() / LOG_FILE_NAME
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3,
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
