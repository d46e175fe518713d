"""Names and server messages printed on a terminal are shown, never obeyed."""

import os

from uploader_gui.terminal_text import for_terminal


def test_control_characters_are_written_as_escapes() -> None:
    assert for_terminal("a\x1b[31mred\nuploaded  x\r\t\x7f\x9b") == (
        "a\\x1b[31mred\\nuploaded  x\\r\\t\\x7f\\x9b")


def test_bidi_and_zero_width_controls_are_shown() -> None:
    assert for_terminal("invoice\u202efdp.exe\u200b") == "invoice\\u202efdp.exe\\u200b"


def test_bytes_that_are_not_utf8_are_shown_as_bytes() -> None:
    name = os.fsdecode(b"plan-\xe9.pdf")
    assert for_terminal(name) == "plan-\\xe9.pdf"
    for_terminal(name).encode("utf-8")  # printable on any UTF-8 terminal


def test_ordinary_text_is_unchanged() -> None:
    text = "Niveau 2 – plan (révisé) 北.pdf  →  Project 1 / Documents"
    assert for_terminal(text) == text
