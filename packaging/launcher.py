"""The frozen app's entry point: the same ``procore-uploader`` command pip installs."""

import multiprocessing

from uploader_gui.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
