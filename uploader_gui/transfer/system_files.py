"""Files the operating system or an office program makes by itself inside folders.

Thumbs.db, desktop.ini, .DS_Store, Office's ``~$`` owner files, LibreOffice's ``.~lock...#`` and
``*.tmp`` files are nobody's documents: a dropped folder leaves them out (the person is told how
many); dropped one by one, they are uploaded like any file.
"""

from __future__ import annotations

#: Exact names, compared without regard to case.
SYSTEM_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini",
                          ".ds_store", ".localized", "icon\r", ".directory"})
#: Name beginnings: Office lock ("owner") files, macOS resource forks.
SYSTEM_PREFIXES = ("~$", "._")
#: Name endings, compared without regard to case.
SYSTEM_SUFFIXES = (".tmp",)


def is_system_file(name: str) -> bool:
    """True for a file the system or an office program made by itself (not a document)."""
    low = name.casefold()
    if low in SYSTEM_NAMES or low.startswith(SYSTEM_PREFIXES) or low.endswith(SYSTEM_SUFFIXES):
        return True
    return low.startswith(".~lock.") and low.endswith("#")  # LibreOffice's lock file
