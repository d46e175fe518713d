"""Many small files into one folder: files per second, and Procore API calls per file.

    python benchmarks/small_files.py --count 1000 [--size-kib 100] [--jobs N]

``procore-uploader upload`` sends the files (given by name, into the demo project's
"Drawings" folder) in a child process; the calls are counted from the sandbox's request log.
Target: 2 API calls per file (create the upload, create the document), folder lookups cached.
Baseline in the same run: ``curl`` alone sends the same number of storage POSTs (form fields
from uploads created beforehand, not timed) with the same parallelism.

The sandbox's hourly rate limit is raised for this run: real Procore allows 3,600 calls an hour,
so 1,000 files take at least 2,000 of them there.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import BenchSandbox, bench_sandbox, run_cli, run_curl
from machine import describe, load

from uploader_gui.config import Settings

FOLDER = "Drawings"


def make_files(where: Path, count: int, size: int) -> list[Path]:
    where.mkdir()
    block = os.urandom(size)
    paths = []
    for i in range(count):
        path = where / f"sheet-{i:05d}.pdf"
        path.write_bytes(i.to_bytes(8, "little") + block[8:])
        paths.append(path)
    return paths


def kind_of(method: str, path: str) -> str:
    """A request's kind, with ids left out (``POST /rest/v1.1/projects/ID/uploads``)."""
    words = ["ID" if w.isdigit() or len(w) == 26 else w for w in path.split("/")]
    return f"{method} {'/'.join(words)}"


def curl_posts(bench: BenchSandbox, paths: list[Path], jobs: int, workdir: Path) -> float:
    """Seconds for curl to POST every file to storage with the forms of fresh uploads."""
    requests = []
    with bench.client() as client:
        for path in paths:
            answer = client.create_upload(bench.scope(), {"response_filename": path.name,
                                                          "size": path.stat().st_size})
            lines = [("url", answer["url"])]
            lines += [("form-string", f"{k}={v}") for k, v in answer["fields"].items()]
            lines.append(("form", f"file=@{path};type=application/octet-stream"))
            requests.append(lines)
    return run_curl(requests, jobs, workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=Settings().parallel_files,
                        help="files at once (the app's setting and curl's parallelism)")
    args = parser.parse_args()
    print(f"machine: {describe()}")
    print(f"{args.count} files of {args.size_kib} KiB, {args.jobs} at once")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = make_files(work / "files", args.count, args.size_kib * 1024)
        with bench_sandbox(work, "small", rate_limit_hourly=1_000_000) as bench:
            bench.write_settings(parallel_files=args.jobs)
            run = run_cli(["upload", *map(str, paths), "--project-id", str(bench.project_id),
                           "--folder", FOLDER, "--api-base", bench.sandbox.api_url], bench.env)
            log = bench.sandbox.request_log
            api = Counter(kind_of(r.method, r.path) for r in log if r.server == "api")
            stored = [r for r in log if r.server == "storage"]
            documents = bench.sandbox.documents(project_id=bench.project_id)
            in_folder = sum(1 for d in documents if d.get("parent_id") ==
                            bench.demo.folder_ids[FOLDER])
            bench.sandbox.clear_request_log()
            curl_s = curl_posts(bench, paths, args.jobs, work)
    calls = sum(api.values())
    print(f"{'':<36} {'time':>8} {'files/s':>9}")
    print(f"{'procore-uploader upload (end to end)':<36} {run.seconds:6.2f} s "
          f"{args.count / run.seconds:9.1f}")
    print(f"{'curl, storage POSTs only':<36} {curl_s:6.2f} s {args.count / curl_s:9.1f}")
    print(f"documents created in the folder: {in_folder} of {args.count}; "
          f"storage requests: {len(stored)}")
    print(f"Procore API calls: {calls} in all, {calls / args.count:.3f} per file "
          f"(target: 2 per file, plus a few per run)")
    for kind, n in api.most_common():
        print(f"  {n:6}  {kind}")
    print(f"peak RSS of the upload: {run.peak_mb:.1f} MB (after: {load()})")


if __name__ == "__main__":
    main()
