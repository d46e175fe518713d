"""Dropped paths become files to upload; what cannot be uploaded is refused with a reason."""

import os
from pathlib import Path

from uploader_gui.transfer.scan import procore_name, scan


def test_folder_keeps_its_structure(tmp_path: Path) -> None:
    root = tmp_path / "Site Photos"
    (root / "Week 1" / "Monday").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "Week 1" / "b.txt").write_text("bb")
    (root / "Week 1" / "Monday" / "c.txt").write_text("ccc")
    result = scan([root])
    got = sorted((f.subfolders, f.name, f.size) for f in result.files)
    assert got == [(("Site Photos",), "a.txt", 1),
                   (("Site Photos", "Week 1"), "b.txt", 2),
                   (("Site Photos", "Week 1", "Monday"), "c.txt", 3)]
    assert result.rejected == []


def test_single_file_has_no_subfolders(tmp_path: Path) -> None:
    f = tmp_path / "plan.pdf"
    f.write_bytes(b"")
    [found] = scan([f]).files
    assert found.subfolders == () and found.size == 0


def test_refuses_what_cannot_be_uploaded(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    broken = tmp_path / "broken"
    broken.symlink_to(tmp_path / "missing")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    empty = tmp_path / "empty"
    empty.mkdir()
    gone = tmp_path / "gone.txt"
    result = scan([fifo, broken, loop, empty, gone, Path("/dev/null")])
    reasons = {r.path.name: r.reason for r in result.rejected}
    assert result.files == []
    assert "named pipe" in reasons["pipe"]
    assert "no longer exists" in reasons["broken"]
    assert "loop" in reasons["loop"]
    assert "empty" not in reasons and result.empty_folders == [("empty",)]  # created, not refused
    assert "no longer exists" in reasons["gone.txt"]
    assert "device" in reasons["null"]


def test_symlinked_folder_loop_is_walked_once(tmp_path: Path) -> None:
    root = tmp_path / "Job"
    root.mkdir()
    (root / "x.txt").write_text("x")
    (root / "again").symlink_to(root)
    result = scan([root])
    assert [f.name for f in result.files] == ["x.txt"]
    assert any("contains itself" in r.reason for r in result.rejected)


def test_names_are_made_acceptable() -> None:
    assert procore_name('a:b*c?"d<e>f|g.pdf') == "a-b-c--d-e-f-g.pdf"
    assert procore_name("CON.txt") == "_CON.txt"
    assert procore_name("trailing. ") == "trailing"
    long = "x" * 300 + ".pdf"
    assert len(procore_name(long)) == 255 and procore_name(long).endswith(".pdf")
    assert procore_name("Plan – Élévation 1.pdf") == "Plan – Élévation 1.pdf"


def test_ten_thousand_files_in_one_drop(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(10_000):
        (root / f"{i:05}.txt").write_bytes(b"")
    result = scan([root])
    assert len(result.files) == 10_000 and result.rejected == []


def test_shortcuts_leading_out_of_a_dropped_folder_are_not_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY")
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "sub" / "a.txt").write_text("a")
    (proj / "x").symlink_to(home / ".ssh" / "id_rsa")
    (proj / "specs").symlink_to(home / ".ssh")
    (proj / "sub" / "up").symlink_to("../../home/.ssh/id_rsa")  # relative, still outside
    (proj / "same-sub").symlink_to("sub")  # stays inside: followed

    result = scan([proj])

    assert sorted((f.subfolders, f.name) for f in result.files) == [
        (("proj", "same-sub"), "a.txt"), (("proj", "sub"), "a.txt")]
    left_out = {r.path.name: r.reason for r in result.rejected}
    assert set(left_out) == {"x", "specs", "up"}
    assert "leads out of the dropped folder" in left_out["x"]
    assert str(home / ".ssh") in left_out["specs"]
    assert not any("PRIVATE" in f.path.read_text() for f in result.files)


def test_a_shortcut_dropped_on_its_own_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "plan.pdf").write_text("plan")
    (tmp_path / "link.pdf").symlink_to(tmp_path / "real" / "plan.pdf")
    (tmp_path / "folder-link").symlink_to(tmp_path / "real")
    result = scan([tmp_path / "link.pdf", tmp_path / "folder-link"])
    assert sorted((f.subfolders, f.name) for f in result.files) == [
        ((), "link.pdf"), (("folder-link",), "plan.pdf")]
    assert result.rejected == []
