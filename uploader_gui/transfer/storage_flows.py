"""Getting one file's bytes into Procore's storage: the non-segmented and segmented flows.

Every step is written to the journal before and after it happens, so a kill at any instant
leaves a state from which :func:`store` continues: segments already in storage are not sent
again while their links are valid.
"""

from __future__ import annotations

import logging
import mimetypes
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from uploader_gui.journal.store import Journal, Phase, TransferRecord
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import (BadResponse, Gone, LinkExpired, NotFound,
                                         ProcoreError, SourceFileError, StorageError)
from uploader_gui.procore.storage import StorageClient
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.model import UploadItem, UploadState
from uploader_gui.transfer.progress import ProgressMeter
from uploader_gui.transfer.segments import FileChanged, hash_segments, segment_size_for
from uploader_gui.transfer.source_check import check_before_completing

log = logging.getLogger(__name__)

#: Presigned links live one hour; refresh them before that, leaving time for a slow segment.
LINK_LIFETIME = 3600.0
LINK_MARGIN = 300.0
#: S3 answers these when the bytes sent differ from the hashes given at creation.
LINKS_REFUSED = "Procore's storage kept refusing the upload links. Please try again."
UPLOAD_LOST = ("Procore kept saying the upload was gone when it was being finished, although "
               "every part had been sent. Please try again.")
_CHANGED_CODES = {"BadDigest", "XAmzContentSHA256Mismatch", "IncompleteBody"}


@dataclass
class FlowContext:
    """What one file's transfer needs; built by the engine for each run."""

    item: UploadItem
    scope: Scope
    client: ProcoreClient
    storage: StorageClient
    journal: Journal
    control: TransferControl
    meter: ProgressMeter
    set_state: Callable[[UploadState], None]
    identity: str | None
    segment_threshold: int
    segment_size: int
    parallel_segments: int
    send_md5: bool
    segment_pool: Executor
    hash_pool: Executor
    #: The Procore folder resolved for this run, when the journal does not hold it yet: it is
    #: written in the same commit as the upload's creation.
    folder_id: int | None = None
    storage_attempts: int = 6
    #: Called after each segment is confirmed and journalled (progress shown at once).
    on_part_stored: Callable[[], None] = lambda: None
    clock: Callable[[], float] = time.time


def store(ctx: FlowContext) -> None:
    """Bring the item to :data:`Phase.STORED` (all bytes in storage, upload complete)."""
    rec = ctx.journal.transfer(ctx.item.id)
    if rec.phase not in (Phase.NEW, Phase.CREATED):
        return
    if rec.phase == Phase.CREATED and rec.upload_owner != ctx.identity:
        # Only the user who created an upload may use it: start a new one as this user.
        log.info("upload %s belongs to another sign-in; starting again", ctx.item.id)
        ctx.journal.restart_transfer(ctx.item.id, keep_hashes=True)
    if ctx.item.size >= ctx.segment_threshold:
        _store_segmented(ctx)
    else:
        _store_single(ctx)


# ------------------------------------------------------------------ non-segmented
def _store_single(ctx: FlowContext) -> None:
    item = ctx.item
    for _attempt in range(3):
        rec = ctx.journal.transfer(item.id)
        if rec.phase == Phase.NEW:
            body: dict[str, Any] = {"response_filename": item.name, "size": item.size}
            content_type = mimetypes.guess_type(item.name)[0]
            if content_type:
                body["response_content_type"] = content_type
            answer = ctx.client.create_upload(ctx.scope, body)
            url, fields = _single_instructions(answer)
            ctx.journal.save_created(item.id, str(answer["uuid"]), ctx.identity, ctx.clock(),
                                     {"url": url, "fields": fields}, None,
                                     folder_id=ctx.folder_id)
            rec = ctx.journal.transfer(item.id)
        elif _links_stale(ctx, rec):
            rec = _refresh_links(ctx, rec)
            if rec.phase == Phase.NEW:
                continue
        assert rec.instructions is not None
        ctx.set_state(UploadState.UPLOADING)
        try:
            _with_retries(ctx, lambda: _post_once(ctx, rec))
        except LinkExpired:
            ctx.journal.restart_transfer(item.id, keep_hashes=True)
            continue
        except StorageError as exc:
            if exc.code in _CHANGED_CODES:
                raise FileChanged("The file changed while it was being uploaded.") from exc
            raise
        except SourceFileError:
            _check_unchanged(item)  # shorter because it changed: start again with the new one
            raise
        _check_unchanged(item)
        ctx.journal.set_phase(item.id, Phase.STORED, bytes_done=item.size)
        return
    raise ProcoreError(LINKS_REFUSED)


def _post_once(ctx: FlowContext, rec: TransferRecord) -> None:
    assert rec.instructions is not None
    ctx.meter.restart_part(0)
    fields = [(str(k), str(v)) for k, v in rec.instructions["fields"]]
    ctx.storage.post_form(rec.instructions["url"], fields, ctx.item.path, ctx.item.name,
                          lambda n: ctx.meter.add(0, n), ctx.control.should_stop,
                          stop_hooks=ctx.control)


def _single_instructions(answer: dict[str, Any]) -> tuple[str, list[list[str]]]:
    try:
        url = answer["url"]
        fields = answer["fields"]
        if not isinstance(url, str) or not isinstance(fields, dict) or not answer.get("uuid"):
            raise TypeError
    except (KeyError, TypeError):
        raise BadResponse("Procore's answer to the upload request was incomplete "
                          "(no storage link).") from None
    # JSON objects keep their order in Python: the fields go to storage exactly as given.
    return url, [[str(k), str(v)] for k, v in fields.items()]


# ----------------------------------------------------------------------- segmented
def _store_segmented(ctx: FlowContext) -> None:
    item = ctx.item
    why = LINKS_REFUSED
    for _attempt in range(3):
        rec = ctx.journal.transfer(item.id)
        if not rec.segments:
            ctx.set_state(UploadState.HASHING)
            size = segment_size_for(item.size, ctx.segment_size)
            segments = hash_segments(item.path, item.size, size, ctx.send_md5, ctx.hash_pool,
                                     ctx.control)
            _check_unchanged(item)
            ctx.journal.save_hashes(item.id, size, segments)
            rec = ctx.journal.transfer(item.id)
        if rec.phase == Phase.NEW:
            body: dict[str, Any] = {
                "response_filename": item.name, "size": item.size,
                "segments": [{k: v for k, v in (("size", s.size), ("sha256", s.sha256),
                                                ("md5", s.md5)) if v is not None}
                             for s in rec.segments]}
            content_type = mimetypes.guess_type(item.name)[0]
            if content_type:
                body["response_content_type"] = content_type
            answer = ctx.client.create_upload(ctx.scope, body)
            links = _segment_links(answer, len(rec.segments))
            ctx.journal.save_created(item.id, str(answer["uuid"]), ctx.identity, ctx.clock(),
                                     None, links, folder_id=ctx.folder_id)
            rec = ctx.journal.transfer(item.id)
        elif _links_stale(ctx, rec):
            rec = _refresh_links(ctx, rec)
            if rec.phase == Phase.NEW:
                continue
        ctx.set_state(UploadState.UPLOADING)
        for seg in rec.segments:
            if seg.etag:
                ctx.meter.set_done(seg.index, seg.size)
        try:
            _send_missing_segments(ctx)
        except LinkExpired:
            why = LINKS_REFUSED
            rec = _refresh_links(ctx, ctx.journal.transfer(item.id), force=True)
            continue
        except StorageError as exc:
            if exc.code in _CHANGED_CODES:
                raise FileChanged("The file changed while it was being uploaded.") from exc
            raise
        except SourceFileError:
            _check_unchanged(item)  # shorter because it changed: start again with the new one
            raise
        ctx.set_state(UploadState.FINISHING)
        check_before_completing(item, ctx.journal.transfer(item.id))
        if _complete(ctx):
            ctx.journal.set_phase(item.id, Phase.STORED, bytes_done=item.size)
            return
        why = UPLOAD_LOST
    raise ProcoreError(why)


def _segment_links(answer: dict[str, Any], count: int) -> list[tuple[str, dict[str, str]]]:
    segments = answer.get("segments")
    if not answer.get("uuid") or not isinstance(segments, list) or len(segments) != count:
        raise BadResponse("Procore's answer to the upload request did not list the expected "
                          "storage links.")
    links = []
    for seg in segments:
        if not isinstance(seg, dict) or not isinstance(seg.get("url"), str) \
                or not isinstance(seg.get("headers"), dict):
            raise BadResponse("Procore's answer to the upload request had a malformed segment.")
        links.append((seg["url"], {str(k): str(v) for k, v in seg["headers"].items()}))
    return links


def _send_missing_segments(ctx: FlowContext) -> None:
    """PUT every segment without an ETag, at most ``parallel_segments`` at once."""
    rec = ctx.journal.transfer(ctx.item.id)
    pending = [s for s in rec.segments if not s.etag]
    running: set[Future[None]] = set()
    failure: BaseException | None = None
    stop = threading.Event()

    def send(seg: Any) -> None:
        def once() -> str:
            if stop.is_set():
                ctx.control.check()
                raise _Stopped
            ctx.meter.restart_part(seg.index)
            return ctx.storage.put_segment(
                seg.url, seg.headers, ctx.item.path, seg.offset, seg.size,
                lambda n: ctx.meter.add(seg.index, n),
                lambda: ctx.control.should_stop() or stop.is_set(), stop_hooks=ctx.control)

        etag = _with_retries(ctx, once).strip('"')
        if seg.md5 and etag.lower() != seg.md5.lower():
            raise StorageError(f"Storage confirmed segment {seg.index + 1} with a checksum "
                               "that does not match the file.", code="ETagMismatch")
        ctx.journal.save_etag(ctx.item.id, seg.index, etag)
        ctx.on_part_stored()

    queue = list(pending)
    try:
        while queue or running:
            while queue and len(running) < ctx.parallel_segments and failure is None:
                running.add(ctx.segment_pool.submit(send, queue.pop(0)))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                exc = fut.exception()
                if exc is not None and not isinstance(exc, _Stopped) and failure is None:
                    failure = exc
                    stop.set()
            if failure is not None:
                queue.clear()
    finally:
        stop.set()
        wait(running)
    if failure is not None:
        raise failure
    ctx.control.check()


class _Stopped(Exception):
    """A segment was not started because another one failed."""


def _complete(ctx: FlowContext) -> bool:
    """PATCH the ETags in order; True when Procore says complete, False to start again."""
    rec = ctx.journal.transfer(ctx.item.id)
    assert rec.upload_uuid is not None
    etags = [s.etag or "" for s in rec.segments]
    try:
        answer = ctx.client.complete_upload(ctx.scope, rec.upload_uuid, etags)
    except (Gone, NotFound):
        log.info("upload %s gone at completion; starting a new one", rec.upload_uuid)
        ctx.journal.restart_transfer(ctx.item.id, keep_hashes=True)
        return False
    except ProcoreError:
        # A PATCH that reached Procore before a kill or a lost answer may be complete already.
        shown = ctx.client.show_upload(ctx.scope, rec.upload_uuid)
        if shown.get("status") == "complete":
            return True
        raise
    if answer.get("status") != "complete":
        raise BadResponse("Procore did not confirm that the upload is complete "
                          f"(status: {answer.get('status')!r}).")
    return True


# -------------------------------------------------------------------- shared parts
def _links_stale(ctx: FlowContext, rec: TransferRecord) -> bool:
    created = rec.upload_created_at or 0.0
    return ctx.clock() - created > LINK_LIFETIME - LINK_MARGIN


def _refresh_links(ctx: FlowContext, rec: TransferRecord, force: bool = False) -> TransferRecord:
    """New links for the same upload when Procore re-signs them, else a new upload.

    Whether ``GET .../uploads/{uuid}`` re-signs expired links is not documented for v1.x, so
    both answers are handled: links that differ from the stored ones are used (only missing
    segments are sent again); identical links mean a new upload (stored hashes are reused).
    """
    item = ctx.item
    assert rec.upload_uuid is not None
    try:
        shown = ctx.client.show_upload(ctx.scope, rec.upload_uuid)
    except (Gone, NotFound):
        shown = {}
    if rec.segments:
        old = [s.url for s in rec.segments]
        try:
            links = _segment_links(shown, len(rec.segments))
        except BadResponse:
            links = []
        if links and [u for u, _ in links] != old:
            ctx.journal.save_links(item.id, ctx.clock(), None, links)
            return ctx.journal.transfer(item.id)
    else:
        try:
            url, fields = _single_instructions(shown)
        except BadResponse:
            url, fields = "", []
        if url and rec.instructions and fields != rec.instructions.get("fields"):
            ctx.journal.save_links(item.id, ctx.clock(), {"url": url, "fields": fields}, None)
            return ctx.journal.transfer(item.id)
    log.info("links of upload %s expired and were not re-signed; starting a new upload",
             rec.upload_uuid)
    ctx.meter.reset()
    ctx.journal.restart_transfer(item.id, keep_hashes=True)
    return ctx.journal.transfer(item.id)


def _with_retries(ctx: FlowContext, call: Callable[[], Any]) -> Any:
    """Run a storage request, retrying what may pass (network, 5xx) with backoff and jitter."""
    delay = 0.5
    for attempt in range(ctx.storage_attempts):
        ctx.control.check()
        try:
            return call()
        except ProcoreError as exc:
            ctx.control.check()  # a request cut off because the upload stopped: stopped
            if not exc.retryable or attempt == ctx.storage_attempts - 1:
                raise
            wait_for = exc.retry_after if exc.retry_after else random.uniform(0, delay)
            log.info("storage request failed (%s); trying again in %.1f s", exc, wait_for)
            ctx.control.wait(wait_for)
            delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")


def _check_unchanged(item: UploadItem) -> None:
    import os

    try:
        info = os.stat(item.path)
    except FileNotFoundError:
        raise FileChanged("The file was moved or deleted while it was being uploaded.") from None
    if info.st_size != item.size or info.st_mtime_ns != item.mtime_ns:
        raise FileChanged("The file changed while it was being uploaded.")
