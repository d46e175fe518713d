"""The window's line while Procore's request limit holds uploads back: the client's sentence,
the clock time the hold ends, and how many files wait for it."""

from __future__ import annotations

import time

from uploader_gui.procore.pace_notice import Paced, pace_notice


def pace_line(pacer: Paced | None, waiting: int, now: float | None = None) -> str:
    """"" when nothing is held back."""
    notice = pace_notice(pacer)
    if notice is None or pacer is None:
        return ""
    text = notice.text
    if notice.kind == "holding":
        until = (now if now is not None else time.time()) + pacer.holding_for
        clock = time.strftime('%H:%M', time.localtime(until))
        if clock not in text:  # the hourly limit's sentence already says until when
            text += f" (at {clock})"
    if waiting:
        text += f" {waiting} file{'s wait' if waiting != 1 else ' waits'} for it"
        text += "." if "nothing needs" in notice.text else "; nothing needs doing."
    return text
