"""Fault injection for the sandbox: which requests fail, how, and how often.

A ``Fault`` names a ``kind`` of failure and the ``target`` requests it applies to. ``after`` skips
the first N matching requests, ``times`` bounds how many times it fires (``None`` = no bound) and
``probability`` makes it fire at random from the plan's seeded generator, so a run is repeatable
for a given seed and request order.

Targets: ``create``, ``show``, ``patch`` (upload routes), ``associate`` (files, file versions,
images), ``folders``, ``api`` (any /rest call), ``storage_post``, ``storage_put``, ``token``.

Kinds and their parameters:

- ``status``: answer ``status`` (default 503) with a proper error body. 429 and 503 carry
  ``Retry-After: retry_after`` (default 1); ``retry_after=None`` leaves it out, and a 429 then
  only says when to come back through ``X-Rate-Limit-Reset`` (``reset`` seconds ahead, default 2).
  On the ``token`` target the access token is refused (401).
- ``reset``: drop the connection without an answer; storage targets first read about half the body.
- ``stall``: wait ``seconds`` (default 30) before doing anything, so a client timeout fires.
- ``drip``: answer 200 (``{}`` on API targets), but one byte every ``seconds`` (default 5), so
  no single read times out while the answer never seems to end.
- ``delay_after_commit``: do the work and record it, then wait ``seconds`` (default 30) before
  answering (a client that gives up must find the work already done).
- ``expire_links_after``: storage links signed while it fires expire ``seconds`` after signing
  instead of after an hour (targets ``create``, ``show``, ``storage_put``, ``storage_post``).
- ``gone``: a PATCH answers 410 Gone.
- ``slow``: storage takes the body at ``rate`` bytes a second (default 1 MiB/s), like a slow
  office uplink (target ``storage_put``).
- ``token_expire_after_calls``: an access token dies after ``calls`` API calls (default 3).
- ``malformed``: ``variant`` ``json`` (200 with broken JSON), ``html`` (502 HTML error page),
  ``huge`` (500 with a ``size``-byte body, default 8 MiB), ``nested`` (200 with JSON arrays
  ``depth`` deep, default 100,000) or ``body`` (exactly ``body``, bytes or text, with
  ``status``, default 200, and ``content_type``, default application/json: for tests that
  generate answers).

Spec strings (``procore-uploader sandbox --faults SPEC``) are comma-separated items::

    seed=7,create:status=503*2,storage_put:reset*1,patch:gone,storage_put:stall=30@p0.1

Each fault item is ``TARGET:KIND[=VALUE][*TIMES][@pPROB][/NAME=VALUE...]``. ``VALUE`` is the kind's
main parameter (status: ``status``; stall, delay_after_commit, expire_links_after: ``seconds``;
token_expire_after_calls: ``calls``; malformed: ``variant``). ``*TIMES`` is a count or ``inf``;
without it a fault fires once, or without bound when it has a probability. ``/after=N``,
``/times=N``, ``/p=X`` and any kind parameter (``/retry_after=none``) may follow.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

TARGETS = frozenset({"create", "show", "patch", "associate", "folders", "api",
                     "storage_post", "storage_put", "token"})
KINDS = frozenset({"status", "reset", "stall", "delay_after_commit", "expire_links_after",
                   "gone", "token_expire_after_calls", "malformed", "slow", "drip"})

#: The parameter a spec's ``KIND=VALUE`` sets, per kind.
MAIN_PARAM = {
    "status": "status",
    "stall": "seconds",
    "drip": "seconds",
    "delay_after_commit": "seconds",
    "expire_links_after": "seconds",
    "token_expire_after_calls": "calls",
    "malformed": "variant",
    "slow": "rate",
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "status": {"status": 503, "retry_after": 1, "reset": 2},
    "stall": {"seconds": 30.0},
    "drip": {"seconds": 5.0},
    "delay_after_commit": {"seconds": 30.0},
    "expire_links_after": {"seconds": 60.0},
    "token_expire_after_calls": {"calls": 3},
    "malformed": {"variant": "json", "size": 8 * 1024 * 1024, "depth": 100_000},
    "slow": {"rate": 1024 * 1024},
}
MALFORMED_VARIANTS = frozenset({"json", "html", "huge", "nested", "body"})
#: Parameters that are numbers (``retry_after`` may also be None: no Retry-After header).
NUMERIC_PARAMS = frozenset({"status", "retry_after", "reset", "seconds", "calls", "size",
                            "rate", "depth"})


class FaultSpecError(ValueError):
    """A fault spec string or a Fault's arguments could not be understood."""


class Fault:
    """One planned failure; counters are updated by the FaultPlan under its lock."""

    def __init__(self, kind: str, target: str, times: int | None = 1, after: int = 0,
                 probability: float | None = None, **params: Any) -> None:
        if kind not in KINDS:
            raise FaultSpecError(f"Unknown fault kind {kind!r}; known kinds: "
                                 f"{', '.join(sorted(KINDS))}")
        if target not in TARGETS:
            raise FaultSpecError(
                f"Unknown fault target {target!r}; known targets: {', '.join(sorted(TARGETS))}")
        if times is not None and times < 0:
            raise FaultSpecError("times must be 0 or more")
        if after < 0:
            raise FaultSpecError("after must be 0 or more")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise FaultSpecError("probability must be between 0 and 1")
        merged = dict(DEFAULTS.get(kind, {}))
        merged.update(params)
        for name in NUMERIC_PARAMS & merged.keys():
            value = merged[name]
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float))):
                raise FaultSpecError(f"{name} must be a number, not {value!r}")
        if kind == "malformed" and merged["variant"] not in MALFORMED_VARIANTS:
            raise FaultSpecError(f"malformed variant must be one of {sorted(MALFORMED_VARIANTS)}")
        if kind == "malformed" and merged["variant"] == "body":
            merged.setdefault("body", b"")
            merged.setdefault("status", 200)
            merged.setdefault("content_type", "application/json")
            if not 200 <= int(merged["status"]) <= 599:
                raise FaultSpecError("a malformed body needs a status from 200 to 599")
        if kind == "status" and not 400 <= int(merged["status"]) <= 599:
            raise FaultSpecError("status faults need a 4xx or 5xx status")
        self.kind = kind
        self.target = target
        self.times = times
        self.after = after
        self.probability = probability
        self.params: dict[str, Any] = merged
        #: Matching requests seen so far, and how many times the fault fired.
        self.seen = 0
        self.fired = 0

    def __repr__(self) -> str:
        return (f"Fault({self.kind!r}, {self.target!r}, times={self.times}, after={self.after}, "
                f"probability={self.probability}, params={self.params})")

    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultPlan:
    """An ordered, thread-safe list of faults with a seeded random generator."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults)
        self.seed = seed
        self._rng = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def reseed(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def pick(self, kinds: Iterable[str], targets: Iterable[str]) -> Fault | None:
        """The first fault of one of ``kinds`` aimed at one of ``targets`` that fires now.

        Every matching fault counts the request, so ``after`` means "skip the first N requests
        of this kind" regardless of other faults.
        """
        kind_set = set(kinds)
        target_set = set(targets)
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kind_set or fault.target not in target_set:
                    continue
                fault.seen += 1
                if chosen is not None or fault.seen <= fault.after or fault.exhausted():
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                chosen = fault
        if chosen is not None:
            logger.info("Injecting fault %r", chosen)
        return chosen


def custom_answer(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a ``malformed`` fault of variant ``body``."""
    body = fault.params["body"]
    data = body.encode() if isinstance(body, str) else bytes(body)
    return int(fault.params["status"]), {"Content-Type": str(fault.params["content_type"])}, data


_ITEM = re.compile(
    r"^(?P<target>[a-z_]+):(?P<kind>[a-z_]+)(?:=(?P<value>[^*@/]+))?"
    r"(?:\*(?P<times>\d+|inf))?(?:@p(?P<prob>[0-9.]+))?(?P<rest>(?:/[a-z_]+=[^/]*)*)$")


def _convert(text: str) -> Any:
    """Spec values are numbers when they look like one; ``none`` is None."""
    if text.lower() in {"none", "null"}:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_fault_spec(spec: str) -> FaultPlan:
    """Build a FaultPlan from a spec string (see the module docstring for the grammar)."""
    seed = 0
    faults: list[Fault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("seed="):
            try:
                seed = int(item[5:])
            except ValueError:
                raise FaultSpecError(f"The seed must be a whole number, not {item[5:]!r}") from None
            continue
        match = _ITEM.match(item)
        if match is None:
            raise FaultSpecError(
                f"Cannot understand the fault {item!r}; expected "
                "TARGET:KIND[=VALUE][*TIMES][@pPROB][/NAME=VALUE], for example create:status=503*2")
        kind, target = match["kind"], match["target"]
        params: dict[str, Any] = {}
        if match["value"] is not None:
            if kind not in MAIN_PARAM:
                raise FaultSpecError(f"The fault kind {kind!r} takes no value (in {item!r})")
            params[MAIN_PARAM[kind]] = _convert(match["value"])
        probability = float(match["prob"]) if match["prob"] else None
        times: int | None = 1 if probability is None else None
        if match["times"]:
            times = None if match["times"] == "inf" else int(match["times"])
        after = 0
        for option in filter(None, match["rest"].split("/")):
            name, _, value = option.partition("=")
            if name == "after":
                after = int(value)
            elif name == "times":
                times = None if value == "inf" else int(value)
            elif name == "p":
                probability = float(value)
            else:
                params[name] = _convert(value)
        try:
            faults.append(Fault(kind, target, times=times, after=after, probability=probability,
                                **params))
        except (FaultSpecError, ValueError, TypeError) as exc:
            raise FaultSpecError(f"In the fault {item!r}: {exc}") from None
    return FaultPlan(faults, seed=seed)
