"""Which names are system files a dropped folder leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from uploader_gui.transfer.scan import scan
from uploader_gui.transfer.system_files import is_system_file


@pytest.mark.parametrize("name", ["Thumbs.db", "THUMBS.DB", "desktop.ini", "Desktop.ini",
                                  ".DS_Store", "~$Report.docx", "~$ans.xlsx",
                                  ".~lock.Schedule.ods#", "upload.tmp", "X.TMP", "._photo.jpg",
                                  "ehthumbs.db"])
def test_system_names(name: str) -> None:
    assert is_system_file(name)


@pytest.mark.parametrize("name", ["Report.docx", "thumbs.db.pdf", "desktop.ini.txt",
                                  "A~$B.docx", "tmp.pdf", ".~lock.Schedule.ods", "Rev C.dwg",
                                  "template.tmpl"])
def test_documents_are_not_system_files(name: str) -> None:
    assert not is_system_file(name)


def test_a_folder_leaves_them_out_and_a_single_drop_keeps_them(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "Thumbs.db").write_bytes(b"x")
    (tmp_path / "job" / "plan.pdf").write_bytes(b"x")
    result = scan([tmp_path / "job"])
    assert [f.name for f in result.files] == ["plan.pdf"]
    assert result.left_out == [tmp_path / "job" / "Thumbs.db"]
    alone = scan([tmp_path / "job" / "Thumbs.db"])
    assert [f.name for f in alone.files] == ["Thumbs.db"] and alone.left_out == []
