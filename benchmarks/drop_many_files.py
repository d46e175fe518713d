"""How long a drop of many files takes to become queued uploads: the folder walk (scan) and
the whole ``UploadEngine.add`` (walk, duplicate check, one journal transaction), then the same
drop again (every file found already queued).

    python benchmarks/drop_many_files.py [--files 10000] [--folders 20]

Files are spread over ``--folders`` subfolders and hold a few bytes each; nothing is uploaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from uploader_gui.config import Settings  # noqa: E402
from uploader_gui.journal.store import Journal  # noqa: E402
from uploader_gui.procore.client import ProcoreClient  # noqa: E402
from uploader_gui.procore.tokens import StaticTokenProvider  # noqa: E402
from uploader_gui.sandbox import Sandbox  # noqa: E402
from uploader_gui.transfer.engine import UploadEngine  # noqa: E402
from uploader_gui.transfer.model import Destination, DestinationKind  # noqa: E402
from uploader_gui.transfer.scan import scan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--folders", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {describe()}")
    with tempfile.TemporaryDirectory() as tmp, Sandbox(data_dir=Path(tmp) / "sandbox") as sb:
        drop = Path(tmp) / "Site photos"
        for i in range(args.files):
            folder = drop / f"Week {i % args.folders:02}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"IMG_{i:05}.jpg").write_bytes(b"jpeg" * (i % 7))
        demo = sb.seed_demo()
        client = ProcoreClient(sb.api_url, StaticTokenProvider(sb.issue_token(demo.user_id)))
        journal = Journal.open(Path(tmp) / "journal.sqlite3")
        engine = UploadEngine(client, journal, Settings())
        dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])
        try:
            started = time.perf_counter()
            found = scan([drop])
            scanned = time.perf_counter() - started
            started = time.perf_counter()
            added = engine.add([drop], dest)
            queued = time.perf_counter() - started
            started = time.perf_counter()
            again = engine.add([drop], dest)
            repeated = time.perf_counter() - started
        finally:
            engine.close()
            journal.close()
            client.close()
    assert len(found.files) == args.files and len(added.items) == args.files
    assert len(again.duplicates) == args.files and not again.items
    print(f"files: {args.files} in {args.folders} folders")
    print(f"scan only: {scanned:.2f} s ({args.files / scanned:,.0f} files/s)")
    print(f"add (scan + duplicate check + journal): {queued:.2f} s, {len(added.items)} queued")
    print(f"same drop again: {repeated:.2f} s, {len(again.duplicates)} found already queued")


if __name__ == "__main__":
    main()
