"""Different local names never become one Procore file; folder names follow the same rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_cli import CLI, _companies, env  # noqa: F401  (a fixture)
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.name_clashes import numbered
from uploader_gui.transfer.scan import procore_name, renamed_note, scan


def _upload(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "upload", *args], env=environ, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("policy", ["skip", "new-version", "keep-both"])
def test_names_that_clean_to_one_name_stay_three_documents(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path, policy: str) -> None:  # noqa: F811
    drop = tmp_path / "drop"
    drop.mkdir()
    # Procore compares names without regard to case, so "REPORT" clashes too.
    contents = {"report": b"one", "report.": b"two", "report ": b"three", "REPORT": b"four"}
    for name, data in contents.items():
        (drop / name).write_bytes(data)
    project_id = _companies(sandbox)[0]["project_ids"][0]

    result = _upload(env, str(drop), "--project-id", str(project_id), "--on-conflict", policy)

    assert result.returncode == 0, result.stderr
    assert "4 uploaded, 0 skipped" in result.stdout
    docs = {d["name"]: d for d in sandbox.documents(project_id=project_id)}
    assert sorted(docs) == ["REPORT", "report (2)", "report (3)", "report (4)"]
    assert all(len(d["versions"]) == 1 for d in docs.values())
    stored = sorted(sandbox.document_bytes(d["id"]) for d in docs.values())
    assert stored == sorted(contents.values())  # every file's own bytes, none merged
    # A name already acceptable keeps it (the first in order when two are); the others say why.
    assert sandbox.document_bytes(docs["REPORT"]["id"]) == b"four"
    assert sandbox.document_bytes(docs["report (2)"]["id"]) == b"one"
    assert 'as "report (3)" (names cannot end with a dot or a space; another file in the same ' \
           'folder becomes "report" in Procore)' in result.stdout


def test_sibling_folders_that_clean_to_one_name_stay_apart(tmp_path: Path) -> None:
    drop = tmp_path / "Job"
    for folder in ("Drawings", "Drawings ", "drawings."):
        (drop / folder).mkdir(parents=True)
        (drop / folder / "plan.pdf").write_text(folder)
    found = scan([drop])
    assert sorted(f.subfolders for f in found.files) == [
        ("Job", "Drawings"), ("Job", "Drawings (2)"), ("Job", "drawings (3)")]


def test_bidi_and_zero_width_characters_are_removed_and_told() -> None:
    assert procore_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert procore_name("plan\u200b.pdf\ufeff") == "plan.pdf"
    note = renamed_note("invoice\u202efdp.exe", "invoicefdp.exe")
    assert note is not None and "invisible characters" in note and "U+202E" in note


def test_folder_option_and_new_folder_names_are_cleaned(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    f = tmp_path / "a.txt"
    f.write_text("a")
    project_id = _companies(sandbox)[0]["project_ids"][0]

    created = _upload(env, str(f), "--project-id", str(project_id), "--create-folders",
                      "--folder", " Drawings /a:b/\x1b[31mX\u202e/Rev. ")
    assert created.returncode == 0, created.stderr
    assert ("Drawings", "a-b", "-[31mX", "Rev") in sandbox.folder_paths(project_id)
    assert 'folder "a:b" goes into Procore as "a-b"' in created.stdout
    assert "\x1b" not in created.stdout

    for bad in ("../etc", "Drawings/./x", "Drawings/ .. "):
        refused = _upload(env, str(f), "--project-id", str(project_id), "--create-folders",
                          "--folder", bad)
        assert refused.returncode == 2 and "--folder cannot contain" in refused.stderr


def test_numbered_names_keep_the_extension() -> None:
    assert numbered("report.pdf", 2) == "report (2).pdf"
    assert numbered("report", 3) == "report (3)"
    assert numbered("archive.tar.gz", 2) == "archive.tar (2).gz"
