"""A running sandbox, a signed-in client and an engine over a journal in a temp folder."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.engine import UploadEngine

#: Steps tried three times, 0.05-0.1 s then 0.1-0.2 s apart.
FAST_STEPS = RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.2, jitter_floor=0.5)

MiB = 1024 * 1024


@pytest.fixture
def settings() -> Settings:
    # Small segments keep the files in these tests small: 5 MiB is storage's minimum.
    return Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_segments=4,
                    parallel_files=2)


@pytest.fixture
def make_engine(sandbox: Sandbox, demo: Any, settings: Settings,
                tmp_path: Path) -> Iterator[Any]:
    engines: list[UploadEngine] = []

    def make(user_id: int | None = None, journal_path: Path | None = None, *,
             timeout: tuple[float, float] = (10, 60), settings_: Settings | None = None,
             web_base: str = "https://app.example") -> UploadEngine:
        """An engine signed in as ``user_id`` (the demo user); ``timeout`` is the client's
        (connect, read) timeout, ``settings_`` replaces the fixture's settings."""
        uid = demo.user_id if user_id is None else user_id
        client = ProcoreClient(sandbox.api_url,
                               StaticTokenProvider(sandbox.issue_token(uid), identity=str(uid)),
                               timeout=timeout)
        journal = Journal.open(journal_path or tmp_path / "journal.sqlite3")
        engine = UploadEngine(client, journal, settings_ or settings, web_base=web_base,
                              step_retry=FAST_STEPS)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
        engine.journal.close()


@pytest.fixture
def engine(make_engine: Any) -> UploadEngine:
    return make_engine()
