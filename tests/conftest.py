"""Test configuration shared by every test."""

import os

# Real widgets, no display: Qt draws offscreen unless a test starts Xvfb itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
