"""Text made safe for a terminal: control characters are shown as escapes, never obeyed.

File names and server messages can hold ESC sequences (which recolour or rewrite the terminal),
newlines (which forge whole lines) or bidi overrides (which reorder what is shown). Every
human-readable line the command line prints goes through :func:`for_terminal`; the ``--json``
lines are escaped by ``json.dumps`` already.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, zero-width and bidi controls, the byte order mark, and lone
# surrogates (a name that is not valid UTF-8 carries its raw bytes as U+DC80..U+DCFF).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                     "\ud800-\udfff]")


def for_terminal(text: object) -> str:
    """``text`` with every control character written as ``\\xNN`` / ``\\uNNNN``."""
    return _UNSAFE.sub(_escape, str(text))


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
