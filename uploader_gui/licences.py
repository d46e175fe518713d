"""The components the app is built from and their licences, read from installed package metadata.

The About dialog shows this list; the PyInstaller build copies the same packages' metadata into
the bundle so the installed app reads the same list. Qt-free.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution

APP_DISTRIBUTION = "procore-uploader"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_CLASSIFIER = re.compile(r"^License :: (?:OSI Approved :: )?(.+)$")
#: Packages whose licence choice the app makes (they are offered under several).
CHOSEN = {"pyside6-essentials": "LGPL-3.0-only", "pyside6": "LGPL-3.0-only",
          "shiboken6": "LGPL-3.0-only"}


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_of(name: str) -> str:
    """The licence a distribution declares: its SPDX expression, short licence field or
    classifier; "see its documentation" when it declares none."""
    meta = distribution(name).metadata
    expression = str((meta.get_all("License-Expression") or [""])[0]).strip()
    if expression:
        return expression
    field = str((meta.get_all("License") or [""])[0]).strip()
    if field and "\n" not in field and len(field) <= 80:
        return field
    for classifier in meta.get_all("Classifier") or []:
        found = _CLASSIFIER.match(classifier)
        if found:
            return found.group(1)
    return "see its documentation"


def runtime_distributions(root: str = APP_DISTRIBUTION) -> list[str]:
    """``root`` and every installed package it needs at run time (extras left out), by name."""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:  # only needed elsewhere (pywin32-ctypes off Windows)
            continue
        key = _canonical(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist.metadata["Name"]
        for requirement in dist.requires or []:
            if "extra ==" in requirement.replace("extra==", "extra =="):
                continue
            match = _NAME.match(requirement)
            if match:
                todo.append(match.group(1))
    return sorted(seen.values(), key=str.lower)


def components() -> list[Component]:
    """The app, Python, then every bundled package with its version and licence."""
    found = [Component("Python", platform.python_version(), "PSF-2.0")]
    names = runtime_distributions()
    names.sort(key=lambda n: _canonical(n) != APP_DISTRIBUTION)  # stable: the app first
    for name in names:
        dist = distribution(name)
        offered = licence_of(name)
        chosen = CHOSEN.get(_canonical(name))
        licence = f"{chosen} (offered as {offered})" if chosen and chosen != offered else offered
        found.append(Component(name, dist.version, licence))
    found.insert(0, found.pop(1))  # the app before Python
    return found
