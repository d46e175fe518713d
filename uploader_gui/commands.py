"""What the command-line sub-commands do: upload, resume, status, sandbox."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from uploader_gui.config import Environment, Settings, resolve_environment
from uploader_gui.domain import (ConflictPolicy, Destination, DestinationKind, Phase,
                                 ProgressEvent, UploadItem, UploadState)
from uploader_gui.journal.claims import UploadClaims
from uploader_gui.journal.store import Journal, JournalCorrupt
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import ProcoreError
from uploader_gui.procore.pace_notice import pace_notice
from uploader_gui.terminal_text import for_terminal
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.environments import api_key, waiting_elsewhere
from uploader_gui.transfer.queue import ItemChanged, Notice, QueueEvent, UploadService
from uploader_gui.transfer.scan import procore_name, renamed_note

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A problem with what was asked on the command line; the message says how to fix it."""


def run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = {
        "upload": upload, "resume": resume, "status": status, "sandbox": sandbox,
    }.get(args.command) or _auth_command
    try:
        return handler(args)
    except UsageError as exc:
        print(f"procore-uploader: {for_terminal(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ProcoreError as exc:
        print(f"procore-uploader: {for_terminal(exc.message)}", file=sys.stderr)
        return EXIT_FAILED
    except JournalCorrupt as exc:
        print(f"procore-uploader: {for_terminal(exc)}", file=sys.stderr)
        return EXIT_FAILED


def _auth_command(args: argparse.Namespace) -> int:
    func = getattr(args, "func", None)
    if func is None:
        raise UsageError(f"unknown command {args.command!r}")
    return int(func(args))


# ------------------------------------------------------------------ set-up
def environment(args: argparse.Namespace) -> Environment:
    try:
        return resolve_environment(getattr(args, "environment", None),
                                   getattr(args, "api_base", None),
                                   getattr(args, "login_base", None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def token_provider(env: Environment) -> Any:
    """Tokens from the sign-in (keyring), or PROCORE_ACCESS_TOKEN."""
    try:
        from uploader_gui.auth.session import token_provider_for
    except ImportError:
        from uploader_gui.procore.tokens import StaticTokenProvider

        return StaticTokenProvider.from_environment()
    return token_provider_for(env, interactive=False)


def open_journal() -> Journal:
    """The journal; when a damaged one had to be moved aside, the person is told on stderr."""
    journal = Journal.open()
    notice = journal.recovery_notice()
    if notice:
        print(f"procore-uploader: {for_terminal(notice)}", file=sys.stderr)
    return journal


def make_engine(args: argparse.Namespace, settings: Settings) -> UploadEngine:
    env = environment(args)
    client = ProcoreClient(env.api_base, token_provider(env))
    return UploadEngine(client, open_journal(), settings, web_base=env.web_base)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.load()
    if getattr(args, "segment_size", None) is not None:
        if args.segment_size < 5:
            raise UsageError("--segment-size must be at least 5 (MiB): storage refuses "
                             "smaller segments.")
        settings.segment_size_mib = args.segment_size
    if getattr(args, "jobs", None) is not None:
        if args.jobs < 1:
            raise UsageError("--jobs must be 1 or more.")
        settings.parallel_files = args.jobs
    if getattr(args, "on_conflict", None):
        settings.conflict_policy = ConflictPolicy(args.on_conflict)
    return settings


def find_company(client: ProcoreClient, project_id: int) -> int:
    for company in client.companies():
        # Inactive projects too: "upload to project P" names it, whatever its status.
        for project in client.projects(int(company["id"]), inactive=True):
            if int(project["id"]) == project_id:
                return int(company["id"])
    raise UsageError(f"Project {project_id} was not found in any company you can see. "
                     "Check the number, or give --company-id.")


def destination_from(args: argparse.Namespace, engine: UploadEngine) -> Destination:
    client = engine.client
    folder_parts = [cleaned for _, cleaned in folder_path(args.folder)]
    if args.company_documents:
        if args.company_id is None:
            raise UsageError("--company-documents needs --company-id.")
        if args.photos:
            raise UsageError("--photos and --company-documents cannot be used together.")
        scope = Scope(args.company_id)
        folder_id = engine.folders.resolve(scope, None, folder_parts, create=args.create_folders)
        return Destination(DestinationKind.COMPANY_FOLDER, args.company_id, folder_id=folder_id,
                           label="Company Documents" + "".join(f" / {p}" for p in folder_parts))
    if args.project_id is None:
        raise UsageError("Say where to upload: --project-id P (or --company-documents "
                         "--company-id C).")
    company_id = args.company_id or find_company(client, args.project_id)
    scope = Scope(company_id, args.project_id)
    if args.photos:
        if folder_parts:
            raise UsageError("--folder cannot be used with --photos; use --album NAME.")
        album_id = None
        if args.album:
            albums = client.albums(scope)
            match = [a for a in albums if str(a.get("name", "")).casefold()
                     == args.album.casefold()]
            if not match:
                names = ", ".join(f'"{a.get("name")}"' for a in albums) or "none"
                raise UsageError(f'There is no photo album named "{args.album}" in project '
                                 f"{args.project_id}. Albums: {names}.")
            album_id = int(match[0]["id"])
        return Destination(DestinationKind.PHOTO_ALBUM, company_id, args.project_id,
                           album_id=album_id, label=f"Project {args.project_id} / Photos"
                           + (f" / {args.album}" if args.album else ""))
    folder_id = engine.folders.resolve(scope, None, folder_parts, create=args.create_folders)
    return Destination(DestinationKind.PROJECT_FOLDER, company_id, args.project_id,
                       folder_id=folder_id, label=f"Project {args.project_id} / Documents"
                       + "".join(f" / {p}" for p in folder_parts))


def folder_path(text: str) -> list[tuple[str, str]]:
    """The ``--folder`` parts as (given, Procore name): cleaned by the rules file names follow."""
    parts = []
    for given in text.replace("\\", "/").split("/"):
        if not given.strip():
            continue
        if not given.strip(" ."):
            raise UsageError(f'--folder cannot contain "{given.strip()}": give the names of the '
                             'folders from the Documents root, e.g. "Drawings/Level 2".')
        parts.append((given, procore_name(given)))
    return parts


# ---------------------------------------------------------------- commands
def upload(args: argparse.Namespace) -> int:
    settings = _settings(args)
    out = JsonReporter(sys.stdout) if args.json else TerminalReporter(sys.stdout)
    engine = make_engine(args, settings)
    try:
        destination = destination_from(args, engine)
        for given, cleaned in folder_path(args.folder):
            if given != cleaned:
                out.message(f'folder "{given}" goes into Procore {renamed_note(given, cleaned)}')
        conflict = settings.conflict_policy
        added = engine.add(args.paths, destination, conflict)
        for rejected in added.rejected:
            out.rejected(rejected.path, rejected.reason)
        for folder in added.folders:
            out.message(f"empty folder  {' / '.join(folder)}  created in "
                        f"{destination.label or 'Procore'}")
        to_run = list(added.items)
        for twin in added.duplicates:
            if twin.state.finished:
                out.note(twin, "already uploaded; not sent again")
            elif all(twin.id != i.id for i in to_run):
                to_run.append(twin)
            else:
                out.note(twin, "given more than once; uploaded once")
        results = run_items(engine, to_run, settings, out)
    finally:
        engine.close()
    if results is None:
        return EXIT_INTERRUPTED
    failed = [i for i in results if i.state not in (UploadState.DONE, UploadState.SKIPPED)]
    out.summary(results, len(added.rejected))
    return EXIT_OK if not failed and not added.rejected else EXIT_FAILED


def resume(args: argparse.Namespace) -> int:
    settings = _settings(args)
    out = JsonReporter(sys.stdout) if args.json else TerminalReporter(sys.stdout)
    engine = make_engine(args, settings)
    try:
        if getattr(args, "adopt_older", False):
            adopted = engine.adopt_older()
            out.message(f"{adopted} upload{'s' if adopted != 1 else ''} queued by an earlier "
                        f"version {'are' if adopted != 1 else 'is'} now for {engine.api_base}.")
        items = [i for i in engine.unfinished()]
        elsewhere = waiting_elsewhere(engine.elsewhere())
        if elsewhere:
            print(f"procore-uploader: {for_terminal(elsewhere)}", file=sys.stderr)
        if not items:
            out.message("Nothing to resume here: every upload for this Procore is finished.")
            # A journal that lost uploads (until acknowledged): not a clean success.
            return EXIT_OK if engine.journal.loss is None else EXIT_FAILED
        results = run_items(engine, items, settings, out)
    finally:
        engine.close()
    if results is None:
        return EXIT_INTERRUPTED
    out.summary(results, 0)
    return EXIT_OK if all(i.state in (UploadState.DONE, UploadState.SKIPPED)
                          for i in results) else EXIT_FAILED


def status(args: argparse.Namespace) -> int:
    here = api_key(environment(args).api_base)
    journal = open_journal()
    if getattr(args, "acknowledge_lost", False) and journal.loss is not None:
        journal.acknowledge_loss()
        print("Noted: the report of lost uploads will not be repeated.", file=sys.stderr)
    recovered = journal.loss is not None
    claims = UploadClaims(journal.path)
    try:
        kept_days = Settings.load().history_days
        journal.prune(kept_days)
        journal.prune_history(kept_days)
        # This Procore's uploads; those kept for another one are counted, not listed.
        everything = journal.items()
        items = [i for i in everything if i.api_base == here]
        elsewhere: dict[str, int] = {}
        for other in everything:
            if other.api_base != here and not other.state.finished:
                elsewhere[other.api_base] = elsewhere.get(other.api_base, 0) + 1
        for item in items:
            if not item.state.finished:
                # Progress is journalled per stored segment, not per byte: count what storage
                # confirmed. An upload another window or command is sending says so.
                item.bytes_done = max(item.bytes_done, _confirmed_bytes(journal, item))
                if claims.held_elsewhere(item.id):
                    item.state, item.error = UploadState.UPLOADING, SENT_ELSEWHERE
    finally:
        claims.close()
        journal.close()
    code = EXIT_FAILED if recovered else EXIT_OK
    said = waiting_elsewhere(elsewhere)
    if said:
        print(f"procore-uploader: {for_terminal(said)}", file=sys.stderr)
    if args.json:
        for item in items:
            print(json.dumps(_item_json(item)))
        return code
    if not items:
        print("No uploads yet.")
        return code
    for item in items:
        pct = 100 * item.bytes_done // item.size if item.size else 100
        line = f"{item.id:>5}  {str(item.state):<12} {pct:>3}%  {item.name}  →  {item.where}"
        if item.error:
            line += f"  ({item.error})"
        print(for_terminal(line))
    return code


#: What ``status`` says of an upload another process is sending at that moment.
SENT_ELSEWHERE = "being sent by another Procore Uploader window or command"


def _confirmed_bytes(journal: Journal, item: UploadItem) -> int:
    rec = journal.transfer(item.id)
    if rec.phase in (Phase.STORED, Phase.ASSOCIATING, Phase.ASSOCIATED):
        return item.size
    return sum(s.size for s in rec.segments if s.etag)


def sandbox(args: argparse.Namespace) -> int:
    from uploader_gui.sandbox import run_forever

    run_forever(port=args.port, data_dir=args.data_dir, faults_spec=args.faults)
    return EXIT_OK


# ------------------------------------------------------------------ running
def run_items(engine: UploadEngine, items: list[UploadItem], settings: Settings,
              out: Reporter) -> list[UploadItem] | None:
    """Upload the items, ``settings.parallel_files`` at a time, through the same queue service
    the window uses. None when interrupted with Ctrl-C."""
    service = UploadService(engine, settings)
    service.adopt(items)
    notices: list[Notice] = []

    def listen(event: QueueEvent) -> None:
        if isinstance(event, ItemChanged) and event.progress is not None:
            out.event(event.progress)
        elif isinstance(event, Notice):
            notices.append(event)

    service.subscribe(listen)
    for item in items:
        out.queued(item)
    pacer = getattr(engine.client, "pacer", None)
    said: str | None = None  # the kind of rate-limit notice printed last
    try:
        service.start([item.id for item in items])
        while not service.wait_idle(0.2):
            out.tick()
            # Procore's rate limit holding the uploads back: say so once, not every tick.
            notice = pace_notice(pacer)
            if notice is not None and notice.kind != said:
                out.message(notice.text)
            said = notice.kind if notice is not None else None
    except KeyboardInterrupt:
        service.close()
        out.message("Stopped. Run 'procore-uploader resume' to continue where it left off.")
        return None
    service.close()  # after it, every notice has been given
    results = [service.item(item.id) for item in items]
    for item in results:
        out.finished(item)
    for said_after in notices:
        out.message(f"{said_after.text} Run 'procore-uploader resume' once the connection is "
                    "back: they continue from where they stopped.")
    return results


class Reporter:
    """How progress reaches the person: a terminal line, or JSON lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.items: dict[int, UploadItem] = {}
        self.latest: dict[int, ProgressEvent] = {}

    def queued(self, item: UploadItem) -> None:
        self.items[item.id] = item

    def event(self, event: ProgressEvent) -> None:
        with self.lock:
            self.latest[event.upload_id] = event

    def tick(self) -> None: ...

    def rejected(self, path: Path, reason: str) -> None: ...

    def note(self, item: UploadItem, text: str) -> None: ...

    def finished(self, item: UploadItem) -> None: ...

    def message(self, text: str) -> None: ...

    def summary(self, items: list[UploadItem], rejected: int) -> None: ...


class JsonReporter(Reporter):
    """One JSON object per line: queued, progress, state, finished, rejected, summary."""

    def _write(self, obj: dict[str, Any]) -> None:
        with self.lock:
            self.stream.write(json.dumps(obj) + "\n")
            self.stream.flush()

    def queued(self, item: UploadItem) -> None:
        super().queued(item)
        self._write({"event": "queued", **_item_json(item)})

    def event(self, event: ProgressEvent) -> None:
        self._write({"event": "progress", "id": event.upload_id, "state": event.state.value,
                     "bytes_done": event.bytes_done, "total": event.total,
                     "speed": round(event.speed, 1),
                     "eta": None if event.eta is None else round(event.eta, 1),
                     "error": event.error})

    def rejected(self, path: Path, reason: str) -> None:
        self._write({"event": "rejected", "path": str(path), "reason": reason})

    def note(self, item: UploadItem, text: str) -> None:
        self._write({"event": "note", **_item_json(item), "note": text})

    def finished(self, item: UploadItem) -> None:
        self._write({"event": "finished", **_item_json(item), "note": _renamed(item)})

    def message(self, text: str) -> None:
        self._write({"event": "message", "text": text})

    def summary(self, items: list[UploadItem], rejected: int) -> None:
        counts: dict[str, int] = {}
        for item in items:
            counts[item.state.value] = counts.get(item.state.value, 0) + 1
        self._write({"event": "summary", "counts": counts, "rejected": rejected})


class TerminalReporter(Reporter):
    """A progress line on a terminal; a line per finished file; reasons for failures on stderr."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.tty = stream.isatty()
        self._last_draw = 0.0

    def tick(self) -> None:
        if not self.tty or time.monotonic() - self._last_draw < 0.25:
            return
        self._last_draw = time.monotonic()
        with self.lock:
            events = list(self.latest.values())
        total = sum(i.size for i in self.items.values()) or 1
        done = sum(e.bytes_done for e in events)
        speed = sum(e.speed for e in events if not e.state.finished)
        finished = sum(1 for e in events if e.state.finished)
        width = max(10, min(40, shutil.get_terminal_size().columns - 50))
        filled = width * done // total
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {100 * done // total:>3}%  "
                f"{finished}/{len(self.items)} files  {_human(speed)}/s")
        self.stream.write("\r" + line[: shutil.get_terminal_size().columns - 1])
        self.stream.flush()

    def _line(self, text: str, err: bool = False) -> None:
        with self.lock:
            if self.tty:
                self.stream.write("\r\033[K")
            # Names and server messages are shown, never obeyed (ESC sequences, newlines).
            print(for_terminal(text), file=sys.stderr if err else self.stream, flush=True)

    def rejected(self, path: Path, reason: str) -> None:
        self._line(f"NOT UPLOADED {path}: {reason}", err=True)

    def note(self, item: UploadItem, text: str) -> None:
        self._line(f"{item.path}: {text}")

    def finished(self, item: UploadItem) -> None:
        if item.state is UploadState.DONE:
            notes = "".join(f"  {n}" for n in (_renamed(item), item.error) if n)
            self._line(f"uploaded  {item.path}  →  {item.where}{notes}")
        elif item.state is UploadState.SKIPPED:
            self._line(f"skipped   {item.path}  (a file named {item.name} is already there)")
        elif not item.state.finished:
            self._line(f"NOT FINISHED {item.path}: {item.error or item.state}", err=True)
        else:
            self._line(f"FAILED {item.path}: {item.error or str(item.state)}", err=True)

    def message(self, text: str) -> None:
        self._line(text)

    def summary(self, items: list[UploadItem], rejected: int) -> None:
        done = sum(1 for i in items if i.state is UploadState.DONE)
        skipped = sum(1 for i in items if i.state is UploadState.SKIPPED)
        failed = len(items) - done - skipped + rejected
        self._line(f"{done} uploaded, {skipped} skipped, {failed} not uploaded.")


def _item_json(item: UploadItem) -> dict[str, Any]:
    return {"id": item.id, "path": str(item.path), "name": item.name, "size": item.size,
            "state": item.state.value, "bytes_done": item.bytes_done, "where": item.where,
            "error": item.error, "procore_id": item.procore_id, "web_url": item.web_url,
            "api_base": item.api_base}


def _renamed(item: UploadItem) -> str | None:
    return renamed_note(item.path.name, item.name) if item.state is UploadState.DONE else None


def _human(rate: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if rate < 1000:
            return f"{rate:.0f} {unit}" if unit == "B" else f"{rate:.1f} {unit}"
        rate /= 1000
    return f"{rate:.1f} TB"
