"""The upload domain types, where the window imports them from (they live in ``domain``)."""

from uploader_gui.domain import (
                                 ConflictPolicy,
                                 Destination,
                                 DestinationKind,
                                 Phase,
                                 ProgressEvent,
                                 Rejected,
                                 UploadItem,
                                 UploadState,
)

__all__ = ["ConflictPolicy", "Destination", "DestinationKind", "Phase", "ProgressEvent",
           "Rejected", "UploadItem", "UploadState"]
