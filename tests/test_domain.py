"""The upload domain types: the queue's policy lives on the state enum, below every package."""

import subprocess
import sys

from uploader_gui.domain import Phase, UploadState

S = UploadState


def test_resume_and_retry_policy_per_state() -> None:
    assert {s for s in S if s.resumable} == {S.PAUSED, S.WAITING_SIGN_IN, S.WAITING_NETWORK}
    assert {s for s in S if s.retryable} == {S.FAILED, S.CANCELLED}
    assert {s for s in S if s.finished} == {S.DONE, S.SKIPPED, S.FAILED, S.CANCELLED}
    assert {s for s in S if s.active} == {S.HASHING, S.UPLOADING, S.FINISHING}
    assert {s for s in S if s.requeueable} == {s for s in S if s.resumable or s.retryable}
    # A start-up continues what was running or waiting; a paused file waits for the person,
    # and nothing finished starts again.
    at_start = {s for s in S if s.resumes_at_start}
    assert at_start == {S.QUEUED, S.HASHING, S.UPLOADING, S.FINISHING, S.WAITING_SIGN_IN,
                        S.WAITING_NETWORK}
    assert not any(s.finished for s in at_start) and S.PAUSED not in at_start


def test_the_window_keeps_no_copy_of_the_state_policy() -> None:
    # Which rows Resume, Retry and a start-up take comes from the state enum alone.
    from uploader_gui.gui import main_window, upload_queue

    for module in (upload_queue, main_window):
        for name in ("RESUMABLE", "RETRYABLE", "RESUME_AT_START"):
            assert not hasattr(module, name), f"{module.__name__}.{name}"


def test_phase_says_when_every_byte_is_stored() -> None:
    assert [p for p in Phase if p.bytes_stored] == [Phase.STORED, Phase.ASSOCIATING,
                                                    Phase.ASSOCIATED]


def test_domain_and_journal_import_nothing_above_them() -> None:
    code = ("import sys, uploader_gui.domain, uploader_gui.journal.store; "
            "print(sorted(m for m in sys.modules if m.startswith('uploader_gui.transfer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == "[]", "the journal must not import the transfer package (a package cycle)"
