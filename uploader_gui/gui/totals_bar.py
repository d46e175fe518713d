"""The status bar's totals: counts by state, bytes sent with time left, speed, one bar."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from uploader_gui.gui.queue_model import QueueTotals, format_size


class TotalsBar:
    """Puts the totals' widgets in ``status`` and keeps them current."""

    def __init__(self, status: QStatusBar) -> None:
        self.counts_label = QLabel(status)
        self.counts_label.setAccessibleName("Upload counts")
        self.speed_label = QLabel(status)
        self.speed_label.setAccessibleName("Total speed")
        self.overall_bar = QProgressBar(status)
        self.overall_bar.setAccessibleName("Overall progress")
        self.overall_bar.setRange(0, 1000)
        self.overall_bar.setMaximumWidth(220)
        self.overall_bar.setFormat("%p%")
        self.progress_label = QLabel(status)
        self.progress_label.setAccessibleName("Total sent and time left")
        status.addWidget(self.counts_label, 1)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.speed_label)
        status.addPermanentWidget(self.overall_bar)

    def show(self, totals: QueueTotals) -> None:
        self.counts_label.setText(str(totals))
        self.progress_label.setText(totals.progress_text())
        # No speed while nothing is moving: "0 bytes/s" reads as broken.
        self.speed_label.setText(f"{format_size(totals.speed)}/s"
                                 if totals.uploading and totals.speed > 0 else "")
        self.overall_bar.setValue(int(totals.fraction * 1000))
