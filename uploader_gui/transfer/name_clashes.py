"""Different local names that become one Procore name in one folder are kept apart.

"report.", "report " and "report" all become ``report`` in Procore (which also compares names
without regard to case). Uploaded as they are, they would be skipped as "already there" or
merged into versions of one document. The first keeps the name; the others get " (2)", " (3)"...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def numbered(name: str, n: int) -> str:
    """``name`` with `` (n)`` before its extension: "report.pdf" -> "report (2).pdf"."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16 and " " not in ext:
        return f"{stem} ({n}).{ext}"
    return f"{name} ({n})"


def distinct(names: Sequence[tuple[str, str, str]]) -> list[str]:
    """For (key, local name, cleaned name) of things in one folder, names no two keys share.

    Equal keys (the same file given twice) keep equal names. Of the keys whose names clean to
    one name, the one whose local name already is that name (else the first) keeps it.
    """
    taken = {cleaned.casefold() for _, _, cleaned in names}
    owner: dict[str, str] = {}  # cleaned name (casefolded) -> the key that keeps it
    for key, _local, cleaned in sorted(names, key=lambda n: (n[1] != n[2], n[0])):
        owner.setdefault(cleaned.casefold(), key)
    given: dict[str, str] = {}
    out = []
    for key, _, cleaned in names:
        if key not in given:
            if owner[cleaned.casefold()] == key:
                given[key] = cleaned
            else:
                n = 2
                while numbered(cleaned, n).casefold() in taken:
                    n += 1
                given[key] = numbered(cleaned, n)
                taken.add(given[key].casefold())
        out.append(given[key])
    return out


def keep_files_apart(files: list[T], folder_of: Callable[[T], tuple[str, ...]],
                     original_of: Callable[[T], Path], name_field: str = "name") -> list[T]:
    """``files`` with names made distinct within each Procore folder (folders compared by case)."""
    by_folder: dict[tuple[str, ...], list[int]] = {}
    for index, f in enumerate(files):
        by_folder.setdefault(tuple(p.casefold() for p in folder_of(f)), []).append(index)
    out = list(files)
    for indexes in by_folder.values():
        triples = [(str(original_of(files[i])), original_of(files[i]).name,
                    getattr(files[i], name_field)) for i in indexes]
        for i, name in zip(indexes, distinct(triples), strict=True):
            if name != getattr(files[i], name_field):
                changes = {name_field: name}
                out[i] = dataclasses.replace(files[i], **changes)  # type: ignore[type-var]
    return out


def unique_folder_names(entries: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Sibling folders' (local name, cleaned name) -> the name each gets in Procore."""
    pairs = list(entries)
    return dict(zip([o for o, _ in pairs], distinct([(o, o, c) for o, c in pairs]),
                    strict=True))
