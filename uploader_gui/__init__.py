"""Procore Uploader: put files into Procore with its direct file upload API."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Procore Uploader"

try:
    __version__ = version("procore-uploader")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
