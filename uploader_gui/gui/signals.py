"""Emitting Qt signals from Python safely on every supported PySide6 and Python.

PySide6 6.12.0 on Python 3.11 returns ``True`` from ``SignalInstance.emit`` without counting the
reference it hands back, so every emit takes one reference from ``True``; after a few thousand
emits Python aborts with "deallocating True or False". :func:`emit` gives the reference back,
but only where a probe at import shows the fault (Python 3.12+ bools are immortal, and a fixed
PySide6 does not lose the reference), so it is a no-op elsewhere.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

log = logging.getLogger(__name__)

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def _emit_loses_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    probe.deleteLater()
    # Other code may touch True meanwhile; eight lost references in eight calls is the fault.
    return lost >= 8


EMIT_LOSES_REFERENCE = _emit_loses_a_reference()
if EMIT_LOSES_REFERENCE:
    log.info("this PySide6 loses a reference in Signal.emit; compensating")


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``, minus the binding's reference-count fault."""
    # The stubs declare emit() -> None; it returns True (see above), which is the point here.
    result = signal.emit(*args)  # type: ignore[func-returns-value]
    if EMIT_LOSES_REFERENCE and result is not None:
        _incref(result)
