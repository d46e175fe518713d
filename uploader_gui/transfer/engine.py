"""The upload engine: queues files in the journal and carries each one into Procore.

Thread-safe and Qt-free. The caller decides how many files run at once (a thread pool in the
command line, QThread workers in the window); the engine sends one file's segments in parallel
from its own bounded pool and stops every thread it started in :meth:`UploadEngine.close`.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from uploader_gui.config import MiB, Settings
from uploader_gui.domain import (ConflictPolicy, Destination, DestinationKind, Phase,
                                 ProgressEvent, Rejected, UploadItem, UploadState)
from uploader_gui.journal.claims import UploadClaims
from uploader_gui.journal.store import ItemChanges, Journal
from uploader_gui.procore.abort import watching
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import Cancelled, NetworkError, ProcoreError, SignInRequired
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import StorageClient
from uploader_gui.transfer import association, environments, preflight, storage_flows
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.folders import FOLDERS, FolderResolver
from uploader_gui.transfer.progress import ProgressMeter
from uploader_gui.transfer.scan import scan
from uploader_gui.transfer.segments import FileChanged
from uploader_gui.transfer.step_retry import STEP_RETRY

log = logging.getLogger(__name__)

#: Progress events for one file are sent at most this often (state changes always go out).
EVENT_INTERVAL = 0.1
#: A file that keeps changing while it is read is given up after this many fresh starts.
MAX_RESTARTS = 2
#: Added to a network failure's words when the upload waits for the connection.
CONTINUES_LATER = "The upload continues from where it stopped once Procore can be reached."
BUSY_ELSEWHERE = ("Another Procore Uploader (a window or a command) is uploading this file right "
                  "now, so it is not sent a second time here.")


@dataclass
class AddResult:
    """What :meth:`UploadEngine.add` did with the dropped paths."""

    items: list[UploadItem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: Items already queued (or already uploaded, unchanged) for the same place.
    duplicates: list[UploadItem] = field(default_factory=list)
    #: Empty folders of the drop, created in Procore (paths relative to the destination).
    folders: list[tuple[str, ...]] = field(default_factory=list)
    #: System files (Thumbs.db, ~$ lock files...) found in dropped folders and left out.
    left_out: list[Path] = field(default_factory=list)


def _segment_threads(settings: Settings) -> int:
    """Segment threads enough for every file running at once to send all its lanes."""
    return max(1, settings.parallel_segments) * max(1, settings.parallel_files)


class UploadEngine:
    def __init__(self, client: ProcoreClient, journal: Journal, settings: Settings,
                 storage: StorageClient | None = None, *, identity: str | None = None,
                 web_base: str | None = None,
                 step_retry: RetryPolicy = STEP_RETRY) -> None:
        self.client = client
        self.journal = journal
        self.settings = settings
        self.storage = storage or StorageClient()
        if str(getattr(client, "api_base", "")).startswith("https:"):
            # Outside a local sandbox the bytes go to https storage links only.
            self.storage.https_only = True
        self.folders = FolderResolver(client)
        self._identity = identity
        self._identity_lock = threading.Lock()
        self._web_base = (web_base or "").rstrip("/")
        #: The Procore this engine sends to: it queues, lists and runs only that one's items.
        self.api_base = environments.api_key(str(getattr(client, "api_base", "")))
        #: How a step Procore failed for a moment is tried again (step_retry.py).
        self.step_retry = step_retry
        self._segment_threads = _segment_threads(settings)
        self._segment_pool = ThreadPoolExecutor(self._segment_threads,
                                                thread_name_prefix="segment")
        #: Smaller pools replaced by apply_settings; uploads that began with them finish there.
        self._retired_pools: list[ThreadPoolExecutor] = []
        self._hash_pool = ThreadPoolExecutor(max(2, os.cpu_count() or 2),
                                             thread_name_prefix="hash")
        #: The files running in this engine (their owner, the queue service, holds the same
        #: controls): one run per file at a time, and :meth:`close` stops them all.
        self._controls: dict[int, TransferControl] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._claims = UploadClaims(journal.path)

    # --------------------------------------------------------------- the queue
    def add(self, paths: Iterable[Path], destination: Destination,
            conflict: ConflictPolicy | None = None) -> AddResult:
        """Scan dropped paths and queue every file found (disk I/O: not on a GUI thread)."""
        conflict = conflict or ConflictPolicy(self.settings.conflict_policy)
        found = scan(paths)
        result = AddResult(rejected=list(found.rejected), left_out=list(found.left_out))
        new: list[UploadItem] = []
        for f in found.files:
            subfolders = f.subfolders
            if destination.kind is DestinationKind.PHOTO_ALBUM:
                if not _is_image(f.name):
                    result.rejected.append(Rejected(
                        f.path, "Only photos can go into a photo album; choose a Documents "
                                "folder for this file."))
                    continue
                subfolders = ()  # albums hold no folders
            new.append(UploadItem(id=0, path=f.path, size=f.size, mtime_ns=f.mtime_ns,
                                  destination=destination, subfolders=subfolders, name=f.name,
                                  conflict=conflict, api_base=self.api_base))
        # Twins (queued before, by another process meanwhile, or twice in this drop) are found
        # inside the write itself.
        result.items, twins = self.journal.add_new_items(new, _queued_already)
        result.duplicates.extend(twins)
        if destination.kind is not DestinationKind.PHOTO_ALBUM:  # albums hold no folders
            self._create_empty_folders(found.empty_folders, destination, result)
        return result

    def _create_empty_folders(self, folders: list[tuple[str, ...]], destination: Destination,
                              result: AddResult) -> None:
        """Empty folders are created, as a file manager's copy does (network: not on a GUI
        thread)."""
        scope = _scope(destination)
        for folder in folders:
            try:
                self.folders.resolve(scope, destination.folder_id, folder, create=True)
            except ProcoreError as exc:
                result.rejected.append(Rejected(
                    Path(*folder), f"This empty folder could not be created in Procore: "
                                   f"{exc.message}"))
            else:
                result.folders.append(folder)

    def items(self) -> list[UploadItem]:
        """This Procore's items (another's wait for it: see :meth:`elsewhere`)."""
        return [i for i in self.journal.items() if i.api_base == self.api_base]

    def get(self, upload_id: int) -> UploadItem:
        return self.journal.get(upload_id)

    def unfinished(self) -> list[UploadItem]:
        """Items to continue; a failed one whose bytes are all in storage is queued again
        (it continues from attaching them, sending no byte twice)."""
        for item in self.journal.failed_with_bytes_stored():
            if item.api_base == self.api_base:
                self.journal.update(item.id, state=UploadState.QUEUED, error=None)
        return [i for i in self.journal.unfinished() if i.api_base == self.api_base]

    def elsewhere(self) -> dict[str, int]:
        """Unfinished uploads queued for another Procore, counted by its API address
        ("" for those queued by a version that did not record it)."""
        counts: dict[str, int] = {}
        for item in self.journal.unfinished():
            if item.api_base != self.api_base:
                counts[item.api_base] = counts.get(item.api_base, 0) + 1
        return counts

    def adopt_older(self) -> int:
        """Give the unfinished uploads that do not say which Procore they are for to this one."""
        older = [i for i in self.journal.unfinished() if i.api_base == ""]
        for item in older:
            self.journal.update(item.id, api_base=self.api_base)
        return len(older)

    def retry(self, upload_id: int) -> UploadItem:
        """Queue a failed or cancelled file again; it continues from what is in storage."""
        item = self.journal.get(upload_id)
        if item.state.requeueable:
            self.journal.update(upload_id, state=UploadState.QUEUED, error=None)
        return self.journal.get(upload_id)

    def apply_settings(self, settings: Settings) -> None:
        """Use ``settings`` from the next file on: segment size, threshold, parallel segments,
        MD5 (a file already running keeps its plan; its segments are in the journal)."""
        threads = _segment_threads(settings)
        with self._lock:
            self.settings = settings
            if threads > self._segment_threads and not self._closed:
                self._retired_pools.append(self._segment_pool)
                self._segment_pool = ThreadPoolExecutor(threads, thread_name_prefix="segment")
                self._segment_threads = threads

    def close(self) -> None:
        """Stop running uploads at their next chunk and stop the engine's threads."""
        with self._lock:
            self._closed = True
            controls = list(self._controls.values())
        for control in controls:
            control.pause()
        for pool in [*self._retired_pools, self._segment_pool, self._hash_pool]:
            pool.shutdown(wait=True, cancel_futures=True)
        self._claims.close()

    # ---------------------------------------------------------------- one file
    def run(self, upload_id: int, control: TransferControl | None = None,
            on_event: Callable[[ProgressEvent], None] | None = None) -> UploadItem:
        """Upload one file to the end. Blocking; failures come back as a FAILED item."""
        control = control or TransferControl()
        item = self.journal.get(upload_id)
        if item.state.finished and item.state is not UploadState.FAILED \
                and item.state is not UploadState.CANCELLED:
            return item
        if item.api_base != self.api_base:
            # Queued for another Procore: its ids mean nothing here. Left as it is.
            item.error = environments.elsewhere_note(item.api_base)
            return item
        with self._lock:
            if self._closed:
                raise RuntimeError("engine closed")
            if upload_id in self._controls:
                raise RuntimeError(f"upload {upload_id} is already running")
            self._controls[upload_id] = control
        try:
            if not self._claims.claim(upload_id):
                # Another process on this journal is sending it: leave it (and its journal
                # entry) to that process; run it again later to see how it ended.
                item.state, item.error = UploadState.PAUSED, BUSY_ELSEWHERE
                return item
            try:
                return self._run_claimed(upload_id, control, on_event)
            finally:
                self._claims.release(upload_id)
        finally:
            with self._lock:
                self._controls.pop(upload_id, None)

    def _run_claimed(self, upload_id: int, control: TransferControl,
                     on_event: Callable[[ProgressEvent], None] | None) -> UploadItem:
        item = self.journal.get(upload_id)  # again: another process may have just finished it
        if item.state in (UploadState.DONE, UploadState.SKIPPED):
            return item
        reporter = _Reporter(item, on_event)
        final_state, error = self._run(item, control, reporter)
        done = reporter.meter.done if final_state is not UploadState.DONE else item.size
        changes: ItemChanges = {"state": final_state, "error": error, "bytes_done": done}
        if final_state in (UploadState.DONE, UploadState.SKIPPED):
            changes["procore_id"], changes["web_url"] = item.procore_id, item.web_url
            changes["file_url"] = item.file_url
            changes["procore_name"] = item.procore_name
        if final_state is UploadState.DONE:
            # The association's outcome and the end state in one commit (see associate()).
            changes["phase"] = Phase.ASSOCIATED
        self.journal.update(upload_id, **changes)
        reporter.emit(final_state, error=error, force=True)
        return self.journal.get(upload_id)

    def _run(self, item: UploadItem, control: TransferControl,
             reporter: _Reporter) -> tuple[UploadState, str | None]:
        restarts = 0
        step_tries = 0  # tries again after a passing failure of create / complete / attach
        note: str | None = None  # why the file was started again, told with the outcome
        while True:
            try:
                # Requests of this thread stuck in the network are cut off when told to stop.
                with watching(control):
                    state = self._transfer(item, control, reporter)
                told = " ".join(filter(None, [note, *reporter.notes]))
                return state, told or None
            except Cancelled:
                return (UploadState.CANCELLED if control.cancelled else UploadState.PAUSED), None
            except SignInRequired as exc:
                return UploadState.WAITING_SIGN_IN, exc.message
            except NetworkError as exc:
                if not exc.retryable:  # e.g. a certificate that cannot be verified
                    return UploadState.FAILED, exc.message
                # Retries are used up but nothing is wrong with the file: the network is down
                # or the laptop slept. The journal keeps every step; it goes on from there.
                return UploadState.WAITING_NETWORK, f"{exc.message} {CONTINUES_LATER}"
            except storage_flows.UploadExpired as exc:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    return UploadState.FAILED, exc.message
                log.info("upload of %s expired in Procore; sending the file again", item.path)
                self.journal.restart_transfer(item.id, keep_hashes=True)
                note = exc.message
            except FileChanged as exc:
                restarts += 1
                if not _file_still_there(item):
                    return UploadState.FAILED, ("The file was moved, renamed or deleted before "
                                                "it finished uploading.")
                if restarts > MAX_RESTARTS:
                    return UploadState.FAILED, (f"{exc} It keeps changing; upload it again "
                                                "once it is saved and closed.")
                log.info("file %s changed (%s); starting it again", item.path, exc)
                note = f"{exc} Its latest saved version was uploaded, from the start."
                self._restart_changed(item)
            except ProcoreError as exc:
                if not exc.retryable or step_tries + 1 >= self.step_retry.attempts:
                    return UploadState.FAILED, exc.message
                # A brief outage (5xx, 429): wait, then go on from the step the journal holds.
                wait = self.step_retry.backoff(step_tries)
                step_tries += 1
                log.info("upload %s: %s; trying again in %.1f s", item.id, exc.message, wait)
                try:
                    control.wait(wait)
                except Cancelled:
                    return (UploadState.CANCELLED if control.cancelled
                            else UploadState.PAUSED), None
            except OSError as exc:
                return UploadState.FAILED, f"The file could not be read: {exc.strerror or exc}."
            except Exception as exc:  # never let one file take the worker down
                log.exception("unexpected failure uploading %s", item.path)
                return UploadState.FAILED, f"Unexpected problem: {exc}"

    def _transfer(self, item: UploadItem, control: TransferControl,
                  reporter: _Reporter) -> UploadState:
        control.check()
        dest = item.destination
        scope = _scope(dest)
        rec = self.journal.transfer(item.id)
        if rec.phase == Phase.ASSOCIATED:
            item.web_url = item.web_url or self._web_url(item, item.procore_id)
            return UploadState.DONE
        if rec.phase in (Phase.CREATED, Phase.STORED) \
                and storage_flows.upload_expired(rec, time.time()):
            # Not attached within a week: Procore has deleted it. (An upload whose attaching
            # was in flight is looked for first by the association step; a 410 there also
            # lands in UploadExpired.)
            raise storage_flows.UploadExpired(storage_flows.UPLOAD_EXPIRED)
        # Once every byte is in storage (checked against the hashes) the stored copy is
        # complete and consistent; a later change to the local file cannot mix into it.
        if rec.phase in (Phase.NEW, Phase.CREATED) and _file_changed_since_queued(item):
            raise FileChanged("The file changed since it was added.")
        reporter.emit(UploadState.UPLOADING if rec.phase != Phase.NEW else UploadState.HASHING,
                      force=True)

        new_folder: int | None = None  # written with the upload's creation (one commit fewer)
        if dest.kind is not DestinationKind.PHOTO_ALBUM:
            folder_id = self.folders.resolve(scope, dest.folder_id, item.subfolders)
            if folder_id != rec.folder_id:
                if rec.phase == Phase.NEW:
                    new_folder = folder_id
                else:
                    self.journal.update(item.id, folder_id=folder_id)
            if rec.phase == Phase.NEW and rec.version_of is None \
                    and item.conflict is not ConflictPolicy.KEEP_BOTH:
                existing = self.folders.find_file(scope, folder_id, item.name)
                if existing is not None:
                    if item.conflict is ConflictPolicy.SKIP:
                        item.procore_id = int(existing["id"])  # written with the end state
                        item.file_url = association.file_link(existing)
                        item.web_url = self._web_url(item, item.procore_id, folder_id)
                        return UploadState.SKIPPED
                    me = self._current_identity()
                    existing = preflight.checked_twice(
                        lambda doc: preflight.check_not_checked_out(doc, me), existing,
                        lambda: self.folders.find_file(scope, folder_id, item.name, fresh=True))
                    self.journal.update(item.id, version_of=int(existing["id"]))
            if rec.phase == Phase.NEW:  # before any byte is sent
                preflight.checked_twice(
                    lambda listing: preflight.check_folder_writable(listing, dest.label),
                    self.folders.listing(scope, folder_id, view=FOLDERS),
                    lambda: self.folders.listing(scope, folder_id, fresh=True, view=FOLDERS))
        control.check()

        with self._lock:  # one consistent view while apply_settings may be swapping them
            settings, segment_pool = self.settings, self._segment_pool
        ctx = storage_flows.FlowContext(
            item=item, scope=scope, client=self.client, storage=self.storage,
            journal=self.journal, control=control, meter=reporter.meter,
            set_state=lambda s: reporter.emit(s, force=True), identity=self._current_identity(),
            segment_threshold=settings.segment_threshold_bytes,
            segment_size=max(1, settings.segment_size_mib) * MiB,
            parallel_segments=max(1, settings.parallel_segments),
            send_md5=settings.send_md5, segment_pool=segment_pool,
            hash_pool=self._hash_pool, folder_id=new_folder,
            on_part_stored=lambda: reporter.emit(reporter.state, force=True))
        try:
            storage_flows.store(ctx)
        finally:
            reporter.notes.extend(n for n in ctx.notes if n not in reporter.notes)
        control.check()
        reporter.emit(UploadState.FINISHING, force=True)
        outcome = association.associate(item, scope, self.client, self.journal, self.folders)
        # Written with the end state in one commit (the id is in the journal already).
        item.procore_id = outcome.procore_id
        item.file_url = outcome.file_url
        item.web_url = self._web_url(item, outcome.procore_id)
        if outcome.name and outcome.name != item.name:
            item.procore_name = outcome.name
            reporter.notes.append(association.renamed_by_procore(item.name, outcome.name))
        return outcome.state

    def _restart_changed(self, item: UploadItem) -> None:
        info = os.stat(item.path)
        item.size, item.mtime_ns = info.st_size, info.st_mtime_ns
        self.journal.update(item.id, size=item.size, mtime_ns=item.mtime_ns)
        self.journal.restart_transfer(item.id, keep_hashes=False)

    def _current_identity(self) -> str | None:
        """Who is signed in now: uploads belong to the user who created them.

        Asked on every run, so an upload resumed after a sign-in as someone else starts again.
        """
        tokens = getattr(self.client, "tokens", None)
        ident = tokens.identity() if tokens is not None else None
        if ident:
            return str(ident)
        with self._identity_lock:
            if self._identity is None:
                self._identity = str(self.client.me().get("id"))
            return self._identity

    def set_identity(self, identity: str | None) -> None:
        """After a new sign-in: uploads created by someone else will be started again."""
        with self._identity_lock:
            self._identity = identity

    def _web_url(self, item: UploadItem, procore_id: int | None,
                 folder: int | None = None) -> str | None:
        if not self._web_base:
            return None
        dest = item.destination
        if dest.kind is DestinationKind.PHOTO_ALBUM:
            return f"{self._web_base}/{dest.project_id}/project/photos"
        if folder is None:
            folder = self.journal.transfer(item.id).folder_id
        query = f"?folder_id={folder}" if folder else ""
        if dest.kind is DestinationKind.COMPANY_FOLDER:
            return f"{self._web_base}/{dest.company_id}/company/documents{query}"
        return f"{self._web_base}/{dest.project_id}/project/documents{query}"


class _Reporter:
    """Turns meter readings into ProgressEvents, at most one every EVENT_INTERVAL seconds."""

    def __init__(self, item: UploadItem, sink: Callable[[ProgressEvent], None] | None) -> None:
        self.item = item
        self.sink = sink
        #: What the flows asked to tell the person with the outcome.
        self.notes: list[str] = []
        self.meter = ProgressMeter(item.size)
        self.state = item.state
        self._last = 0.0
        self._lock = threading.Lock()
        if sink is not None:
            original = self.meter.add

            def add(part: int, n: int) -> None:
                original(part, n)
                self.emit(self.state)

            self.meter.add = add  # type: ignore[method-assign]

    def emit(self, state: UploadState, error: str | None = None, force: bool = False) -> None:
        self.state = state
        if self.sink is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < EVENT_INTERVAL:
                return
            self._last = now
        done = self.item.size if state is UploadState.DONE else self.meter.done
        self.sink(ProgressEvent(upload_id=self.item.id, state=state, bytes_done=done,
                                total=self.item.size, speed=self.meter.speed(),
                                eta=self.meter.eta(), error=error))


def _scope(dest: Destination) -> Scope:
    return Scope(company_id=dest.company_id,
                 project_id=None if dest.kind is DestinationKind.COMPANY_FOLDER
                 else dest.project_id)


def _queued_already(twin: UploadItem, item: UploadItem) -> bool:
    """The same file for the same place is queued already (or went up in this version)."""
    return not twin.state.finished or (twin.size == item.size and
                                       twin.mtime_ns == item.mtime_ns)


def _file_changed_since_queued(item: UploadItem) -> bool:
    try:
        info = os.stat(item.path)
    except OSError:
        return True
    return info.st_size != item.size or info.st_mtime_ns != item.mtime_ns


def _file_still_there(item: UploadItem) -> bool:
    return os.path.isfile(item.path) and os.access(item.path, os.R_OK)


def _is_image(name: str) -> bool:
    kind = mimetypes.guess_type(name)[0] or ""
    return kind.startswith("image/") or name.lower().endswith((".heic", ".heif"))
