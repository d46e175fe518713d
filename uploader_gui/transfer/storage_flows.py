"""Getting one file's bytes into Procore's storage: the non-segmented and segmented flows.

Every step is written to the journal before and after it happens, so a kill at any instant
leaves a state from which :func:`store` continues: segments already in storage are not sent
again while their links are valid.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from uploader_gui.domain import Phase, UploadItem, UploadState
from uploader_gui.journal.store import Journal, TransferRecord
from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import (
    BadResponse,
    Gone,
    LinkExpired,
    NotFound,
    ProcoreError,
    SourceFileError,
    StorageError,
    ValidationFailed,
)
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.pace_notice import duration_words
from uploader_gui.procore.storage import StorageClient
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.progress import ProgressMeter
from uploader_gui.transfer.segments import (
    MAX_SEGMENT,
    MIN_SEGMENT,
    FileChanged,
    MiB,
    hash_segments,
    segment_size_for,
)
from uploader_gui.transfer.source_check import check_before_completing

log = logging.getLogger(__name__)

#: Procore deletes an upload not attached to anything within a week (seed 000); a little
#: before that, a stored upload is not trusted any more and the file is sent again.
UPLOAD_LIFETIME = 7 * 24 * 3600.0
UPLOAD_MARGIN = 3600.0
UPLOAD_EXPIRED = ("Procore had deleted the earlier upload of this file (files not attached "
                  "within a week are removed), so it was sent again.")
#: Presigned links live one hour; refresh them before that, leaving time for a slow segment.
LINK_LIFETIME = 3600.0
LINK_MARGIN = 300.0
#: S3 answers these when the bytes sent differ from the hashes given at creation.
LINKS_REFUSED = "Procore's storage kept refusing the upload links. Please try again."
UPLOAD_LOST = ("Procore kept saying the upload was gone when it was being finished, although "
               "every part had been sent. Please try again.")
#: Storage requests: six tries, waits from 0.5 s doubling up to 30 s, full jitter.
STORAGE_RETRY = RetryPolicy(attempts=6, base_delay=0.5, max_delay=30.0)
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
    #: How a storage request that may pass (network, 5xx) is tried again.
    storage_retry: RetryPolicy = STORAGE_RETRY
    #: Called after each segment is confirmed and journalled (progress shown at once).
    on_part_stored: Callable[[], None] = lambda: None
    clock: Callable[[], float] = time.time
    #: What the person is told with the outcome (e.g. why the file was planned again).
    notes: list[str] = field(default_factory=list)
    #: Whether Show Upload was seen re-signing this upload's links (None: not asked yet).
    resigns: bool | None = None


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
            answer = ctx.client.create_upload(ctx.scope, _create_body(item, rec))
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
            _with_retries(ctx, functools.partial(_post_once, ctx, rec))
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
        ctx.journal.update(item.id, phase=Phase.STORED, bytes_done=item.size)
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
#: New Procore uploads one file may start (links not re-signed, or completion lost).
MAX_NEW_UPLOADS = 3
#: Refresh rounds in a row that store nothing before the links are taken as refused.
MAX_IDLE_ROUNDS = 2


def _store_segmented(ctx: FlowContext) -> None:
    """Hash, create, send, refresh and complete until the upload is STORED.

    Links are refreshed for as long as each round stores something: a file that needs more
    than the links' hour finishes in one upload where Show Upload re-signs them, and stored
    parts (their ETags) are never forgotten. Where it does not re-sign, a file that could
    not start every part in time is planned again, once, as larger parts that all start at
    once (see :class:`_Pace` and :func:`_replan`).
    """
    item = ctx.item
    new_uploads = 0
    idle_rounds = 0
    why = LINKS_REFUSED
    while True:
        rec = ctx.journal.transfer(item.id)
        if not rec.segments:
            ctx.set_state(UploadState.HASHING)
            size = rec.segment_size or segment_size_for(item.size, ctx.segment_size)
            segments = hash_segments(item.path, item.size, size, ctx.send_md5, ctx.hash_pool,
                                     ctx.control)
            _check_unchanged(item)
            ctx.journal.save_hashes(item.id, size, segments)
            rec = ctx.journal.transfer(item.id)
        if rec.phase == Phase.NEW:
            new_uploads += 1
            if new_uploads > MAX_NEW_UPLOADS:
                raise ProcoreError(why)
            answer = ctx.client.create_upload(ctx.scope, _create_body(item, rec))
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
        stored_before = sum(1 for s in rec.segments if s.etag)
        try:
            _send_missing_segments(ctx)
        except LinkExpired:
            why = LINKS_REFUSED
            rec = ctx.journal.transfer(item.id)
            if sum(1 for s in rec.segments if s.etag) > stored_before:
                idle_rounds = 0
            else:
                idle_rounds += 1
                if idle_rounds >= MAX_IDLE_ROUNDS:
                    raise ProcoreError(LINKS_REFUSED) from None
            log.info("links of upload %s expired; asking for fresh ones", rec.upload_uuid)
            _refresh_links(ctx, rec, force=True)
            continue
        except _Replan as plan:
            log.info("%s", plan.note)
            ctx.notes.append(plan.note)
            ctx.meter.reset()
            ctx.journal.restart_transfer(item.id, keep_hashes=False)
            ctx.journal.update(item.id, segment_size=plan.segment_size)
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
            ctx.journal.update(item.id, phase=Phase.STORED, bytes_done=item.size)
            return
        why = UPLOAD_LOST


def _create_body(item: UploadItem, rec: TransferRecord) -> dict[str, Any]:
    """Create Upload's body. ``response_content_type`` is left out: seed 000 says to send it
    only "when you are certain it's correct", and a guess from the extension is not."""
    body: dict[str, Any] = {"response_filename": item.name, "size": item.size}
    if rec.segments:
        body["segments"] = [{k: v for k, v in (("size", s.size), ("sha256", s.sha256),
                                               ("md5", s.md5)) if v is not None}
                            for s in rec.segments]
    return body


class _Replan(Exception):
    """Not every part can start before the links expire, and they are not re-signed."""

    def __init__(self, segment_size: int, note: str) -> None:
        super().__init__(note)
        self.segment_size = segment_size
        self.note = note


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
    """PUT every segment without an ETag, at most ``parallel_segments`` at once (every one at
    once for a plan made to start all parts in time)."""
    rec = ctx.journal.transfer(ctx.item.id)
    pending = [s for s in rec.segments if not s.etag]
    lanes = ctx.parallel_segments
    own_pool: ThreadPoolExecutor | None = None
    if len(rec.segments) <= _start_all_bound(ctx.item.size, lanes):
        # Few enough parts to start at once, as a plan made for slow links has (_replan);
        # read from the plan itself, so a later change of the segment setting cannot make
        # an ordinary plan of hundreds of parts start them all together.
        lanes = max(lanes, len(pending))
        if lanes > ctx.parallel_segments:
            own_pool = ThreadPoolExecutor(lanes, thread_name_prefix="segment-all")
    pool: Executor = own_pool or ctx.segment_pool
    running: set[Future[None]] = set()
    failure: BaseException | None = None
    stop = threading.Event()
    watch = _Pace(ctx, rec)

    def send(seg: Any) -> None:
        def once() -> str:
            if stop.is_set():
                ctx.control.check()
                raise _Stopped
            ctx.meter.restart_part(seg.index)
            url, headers = watch.link(seg)
            return ctx.storage.put_segment(
                url, headers, ctx.item.path, seg.offset, seg.size,
                lambda n: ctx.meter.add(seg.index, n),
                lambda: ctx.control.should_stop() or stop.is_set(), stop_hooks=ctx.control)

        etag = _with_retries(ctx, once).strip('"')
        if seg.md5 and etag.lower() != seg.md5.lower():
            raise StorageError(f"Storage confirmed segment {seg.index + 1} with a checksum "
                               "that does not match the file.", code="ETagMismatch")
        ctx.journal.save_etag(ctx.item.id, seg.index, etag)
        watch.stored(seg.size)
        ctx.on_part_stored()

    queue = list(pending)
    try:
        while queue or running:
            while queue and len(running) < lanes and failure is None:
                running.add(pool.submit(send, queue.pop(0)))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                exc = fut.exception()
                if exc is not None and not isinstance(exc, _Stopped) and failure is None:
                    failure = exc
                    stop.set()
            if failure is None and queue:
                try:
                    watch.check(sum(s.size for s in queue), lanes)
                except _Replan as plan:
                    failure = plan
                    stop.set()
            if failure is not None:
                queue.clear()
    finally:
        stop.set()
        wait(running)
        if own_pool is not None:
            own_pool.shutdown(wait=True)
    if failure is not None:
        raise failure
    ctx.control.check()


class _Pace:
    """Measures how fast parts are stored and says whether the parts not started yet can all
    start before the links expire (a presigned PUT that starts in time completes)."""

    def __init__(self, ctx: FlowContext, rec: TransferRecord) -> None:
        self._ctx = ctx
        self._rec = rec
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bytes = 0
        self._decided = False
        #: Links Show Upload signed again during this round, by part index: a part started
        #: after that uses them (the round's own list holds the first ones).
        self._fresh: dict[int, tuple[str, dict[str, str]]] = {}

    def stored(self, size: int) -> None:
        with self._lock:
            self._bytes += size

    def link(self, seg: Any) -> tuple[str, dict[str, str]]:
        """The newest link for a part: signed again this round, else the round's."""
        with self._lock:
            return self._fresh.get(seg.index, (seg.url, seg.headers))

    def check(self, unstarted: int, lanes: int) -> None:
        """Raise _Replan when the unstarted parts cannot all start in time and Show Upload
        does not re-sign the links; decided once per round."""
        ctx = self._ctx
        with self._lock:
            if self._decided or self._bytes == 0:
                return
            elapsed = max(1e-3, time.monotonic() - self._started)
            rate = self._bytes / elapsed
        if ctx.clock() + unstarted / rate <= _refresh_by(self._rec):
            return
        if ctx.resigns is None:
            if ctx.clock() - (self._rec.upload_created_at or 0.0) < RESIGN_PROBE_AGE:
                return  # links this young would be signed again the same: asked at a later part
            fresh = _resigned(ctx, self._rec)
            ctx.resigns = fresh is not None
            if fresh is not None:
                with self._lock:
                    self._fresh = dict(enumerate(fresh))
        self._decided = True
        if ctx.resigns:
            return  # fresh links will be asked for when these expire
        raise _replan(ctx, rate, lanes)


#: Seconds an upload's links must have lived before Show Upload is asked whether it signs
#: them again: presigned links carry their signing time to the second (``X-Amz-Date``), so
#: links signed again within the same second as the first ones are the same links. Two
#: seconds leave a margin for the time the answer took to arrive. The age is checked at every
#: part stored (not a time since the last question), so the answer is known at the first part
#: stored after it, before any further part is started on links that may have expired.
RESIGN_PROBE_AGE = 2.0


def _resigned(ctx: FlowContext,
              rec: TransferRecord) -> list[tuple[str, dict[str, str]]] | None:
    """Ask Show Upload whether it gives fresh links; the links (saved) when it does, None
    when not. Asked only once the links are :data:`RESIGN_PROBE_AGE` old, so identical links
    mean "no"."""
    links = _shown_segment_links(ctx, rec)
    if not links or [u for u, _ in links] == [s.url for s in rec.segments]:
        return None
    ctx.journal.save_links(ctx.item.id, ctx.clock(), None, links)
    return links


def _replan(ctx: FlowContext, rate: float, lanes: int) -> _Replan:
    """A plan whose parts all start at once: as many as the lanes (more when the file is
    larger than that many 5 GiB parts), each at most 5 GiB."""
    size = ctx.item.size
    count = _start_all_bound(size, lanes)
    segment = max(MIN_SEGMENT, _ceil_div(_ceil_div(size, count), MiB) * MiB)
    parts = _ceil_div(size, segment)
    how = "one part" if parts == 1 else f"{parts} larger parts sent at the same time"
    note = (f"The connection is too slow for every part of this file to start before Procore's "
            f"upload links expire (the whole file needs about "
            f"{duration_words(size / max(rate, 1.0))}"
            f"), so it was started again as {how}. If it is interrupted now, up to "
            f"{_size_words(segment)} of it may have to be sent again.")
    return _Replan(segment, note)


def _start_all_bound(size: int, lanes: int) -> int:
    """The most parts a plan that starts them all at once has: the lanes, or more when the
    file is larger than that many 5 GiB parts."""
    return max(lanes, _ceil_div(size, MAX_SEGMENT))


def _ceil_div(a: int, b: int) -> int:
    return -(a // -b)


def _size_words(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB"
    return f"{n / MiB:.0f} MB"


class _Stopped(Exception):
    """A segment was not started because another one failed."""


def _complete(ctx: FlowContext) -> bool:
    """PATCH the ETags in order; True when Procore says complete, False to start again."""
    rec = ctx.journal.transfer(ctx.item.id)
    assert rec.upload_uuid is not None
    parts = [{"size": s.size, "sha256": s.sha256, "md5": s.md5, "etag": s.etag or ""}
             for s in rec.segments]
    try:
        answer = ctx.client.complete_upload(ctx.scope, rec.upload_uuid, parts)
    except (Gone, NotFound, ValidationFailed) as exc:
        # An earlier PATCH whose answer was lost (retried after a timeout) may have completed
        # it: Procore then answers 410 or 422 to the repeat. Ask before starting again.
        if _shown_complete(ctx, rec.upload_uuid):
            return True
        log.info("upload %s could not be completed (%s); starting a new one",
                 rec.upload_uuid, exc)
        ctx.journal.restart_transfer(ctx.item.id, keep_hashes=True)
        return False
    except ProcoreError:
        # A PATCH that reached Procore before a kill or a lost answer may be complete already.
        if _shown_complete(ctx, rec.upload_uuid):
            return True
        raise
    if answer.get("status") != "complete":
        raise BadResponse("Procore did not confirm that the upload is complete "
                          f"(status: {answer.get('status')!r}).")
    return True


# -------------------------------------------------------------------- shared parts
class UploadExpired(ProcoreError):
    """Procore no longer has the upload (deleted a week after creation): send the file again."""


def upload_expired(rec: TransferRecord, now: float) -> bool:
    """Whether the journal's Procore upload is about a week old, so Procore has deleted it
    (or will have before it can be attached)."""
    if rec.upload_uuid is None or rec.upload_created_at is None:
        return False
    return now - rec.upload_created_at > UPLOAD_LIFETIME - UPLOAD_MARGIN


def links_expire_at(rec: TransferRecord) -> float:
    """When the upload's links stop working: one hour after they were issued (Procore's
    documented life), or sooner where the presigned links themselves say so (``X-Amz-Date``
    + ``X-Amz-Expires`` of the parts still to send)."""
    issued = rec.upload_created_at or 0.0
    found = [t for t in (_presigned_expiry(s.url) for s in rec.segments if not s.etag and s.url)
             if t is not None]
    return min([issued + LINK_LIFETIME, *found])


def _presigned_expiry(url: str) -> float | None:
    try:
        query = dict(parse_qsl(urlsplit(url).query))
        signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        return signed.replace(tzinfo=UTC).timestamp() + int(query["X-Amz-Expires"])
    except (KeyError, ValueError):
        return None


def _shown_complete(ctx: FlowContext, uuid: str) -> bool:
    try:
        return ctx.client.show_upload(ctx.scope, uuid).get("status") == "complete"
    except (Gone, NotFound):
        return False


def _refresh_by(rec: TransferRecord) -> float:
    """When the links are due for refreshing: before they expire by LINK_MARGIN, or by a
    tenth of their life when that is shorter."""
    expires = links_expire_at(rec)
    life = max(1.0, expires - (rec.upload_created_at or expires))
    return expires - min(LINK_MARGIN, 0.1 * life)


def _links_stale(ctx: FlowContext, rec: TransferRecord) -> bool:
    return ctx.clock() > _refresh_by(rec)


def _shown_segment_links(ctx: FlowContext,
                         rec: TransferRecord) -> list[tuple[str, dict[str, str]]]:
    """Show Upload's links for the upload's parts; none when it has none to give (gone, or
    an answer without them)."""
    assert rec.upload_uuid is not None
    try:
        return _segment_links(ctx.client.show_upload(ctx.scope, rec.upload_uuid),
                              len(rec.segments))
    except (BadResponse, Gone, NotFound):
        return []


def _refresh_links(ctx: FlowContext, rec: TransferRecord, force: bool = False) -> TransferRecord:
    """New links for the same upload when Procore re-signs them, else a new upload.

    Whether ``GET .../uploads/{uuid}`` re-signs expired links is not documented for v1.x, so
    both answers are handled: links that differ from the stored ones are used (only missing
    segments are sent again); identical links mean a new upload (stored hashes are reused).
    """
    item = ctx.item
    assert rec.upload_uuid is not None
    if rec.segments:
        links = _shown_segment_links(ctx, rec)
        if links and [u for u, _ in links] != [s.url for s in rec.segments]:
            ctx.journal.save_links(item.id, ctx.clock(), None, links)
            return ctx.journal.transfer(item.id)
    else:
        try:
            shown = ctx.client.show_upload(ctx.scope, rec.upload_uuid)
        except (Gone, NotFound):
            shown = {}
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
    """Run a storage request, retrying what may pass (network, 5xx) with backoff and jitter;
    a pause or cancel wakes the wait and stops it."""
    return ctx.storage_retry.run(call, check=ctx.control.check, wait=ctx.control.wait)


def _check_unchanged(item: UploadItem) -> None:
    import os

    try:
        info = os.stat(item.path)
    except FileNotFoundError:
        raise FileChanged("The file was moved or deleted while it was being uploaded.") from None
    if info.st_size != item.size or info.st_mtime_ns != item.mtime_ns:
        raise FileChanged("The file changed while it was being uploaded.")
