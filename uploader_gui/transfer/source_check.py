"""Right before an upload is completed: is the file on disk still the one that was sent?

Storage checks each segment against its hash as it arrives, but a file that grows or is saved
again after its segments went out would be completed with the old bytes and reported as
uploaded. So just before the completing PATCH the size and modification time are compared
with what was hashed, and the last segment (where appended or rewritten tails land) is hashed
again. On a difference the engine starts the file over from fresh hashes and says why.
"""

from __future__ import annotations

import os

from uploader_gui.domain import UploadItem
from uploader_gui.journal.store import TransferRecord
from uploader_gui.transfer.segments import FileChanged, hash_range

CHANGED = "The file changed after its parts were sent, before the upload was completed."


def check_before_completing(item: UploadItem, rec: TransferRecord) -> None:
    """Raise FileChanged when the file differs from the one whose segments were stored."""
    try:
        info = os.stat(item.path)
    except OSError:
        raise FileChanged("The file was moved or deleted while it was being uploaded.") from None
    if info.st_size != item.size or info.st_mtime_ns != item.mtime_ns:
        raise FileChanged(CHANGED)
    if rec.segments:
        last = rec.segments[-1]
        try:
            sha256, _ = hash_range(item.path, last.offset, last.size, with_md5=False)
        except OSError:
            raise FileChanged(CHANGED) from None
        if last.sha256 and sha256 != last.sha256:
            raise FileChanged(CHANGED)
