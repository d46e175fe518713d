"""Settings read from settings.json are kept within what storage accepts."""

import json
from pathlib import Path

import pytest

from uploader_gui.config import Settings


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
