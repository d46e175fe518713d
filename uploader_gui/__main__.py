"""Allows ``python -m uploader_gui``."""

from uploader_gui.cli import main

raise SystemExit(main())
