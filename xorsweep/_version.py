"""The installed package's version, read once from its metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("xorsweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0+unknown"
