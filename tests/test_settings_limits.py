"""Settings read from settings.json are kept within what storage accepts."""

import json
from pathlib import Path

import pytest

from uploader_gui.config import Settings
from uploader_gui.domain import ConflictPolicy


@pytest.mark.parametrize("given, used", [(999_999, 5120), (5120, 5120), (16, 16), (0, 1),
                                         (-4, 1), ("lots", 16)])
def test_segment_threshold_is_clamped_to_5_gib(tmp_path: Path, given: object,
                                               used: int) -> None:
    """A file above 5 GiB is never sent as one POST, whatever settings.json says."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"segment_threshold_mib": given}))
    settings = Settings.load(path)
    assert settings.segment_threshold_mib == used
    assert settings.segment_threshold_bytes == used * 1024 * 1024
    assert Settings(segment_threshold_mib=given).segment_threshold_bytes <= 5 * 1024 ** 3  # type: ignore[arg-type]


def test_the_conflict_policy_is_an_enum_on_disk_and_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    Settings(conflict_policy=ConflictPolicy.NEW_VERSION).save(path)
    assert json.loads(path.read_text())["conflict_policy"] == "new-version"
    assert Settings.load(path).conflict_policy is ConflictPolicy.NEW_VERSION
    path.write_text(json.dumps({"conflict_policy": "overwrite-everything"}))
    assert Settings.load(path).conflict_policy is ConflictPolicy.KEEP_BOTH
