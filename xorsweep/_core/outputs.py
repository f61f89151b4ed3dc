"""The command line's output paths, checked before any work starts.

Each check raises ``ValueError`` with one line naming the option and the path,
so that an unwritable ``--store``, ``--out`` or ``--json`` is refused before
minutes of computing instead of after them. Writability is tried, not
inferred from permission bits (which do not bind the superuser): a temporary
file is made and removed in the directory that would receive the output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "free_space",
    "os_error_line",
    "save_figures",
    "staged",
    "writable_directory",
    "writable_file",
]


def _existing_ancestor(path: Path) -> Path:
    """``path`` itself if it exists, else its nearest ancestor that does."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _try_writing(directory: Path, option: str, path: Path) -> None:
    try:
        fd, name = tempfile.mkstemp(prefix=".xorsweep-write-test-", dir=directory)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise ValueError(
            f"{option} {path}: cannot write in {directory} ({exc.strerror or exc})"
        ) from None


def writable_directory(path: str | os.PathLike, option: str) -> Path:
    """Check that ``path`` is, or can be made as, a directory this process writes in.

    Returns ``path`` as a Path; nothing is created.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {path} exists and is not a directory")
    base = _existing_ancestor(path)
    if not base.is_dir():
        raise ValueError(f"{option} {path}: {base} is a file, not a directory")
    _try_writing(base, option, path)
    return path


def writable_file(path: str | os.PathLike, option: str) -> Path:
    """Check that the file ``path`` can be written (its directory must exist).

    Returns ``path`` as a Path; an existing file is opened but not changed.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a directory; give a file name")
    parent = path.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise ValueError(f"{option} {path}: the directory {parent} {what}")
    _try_writing(parent, option, path)
    if path.exists():
        try:
            with open(path, "r+b"):
                pass
        except OSError as exc:
            raise ValueError(f"{option} {path}: cannot write it ({exc.strerror or exc})") from None
    return path


def free_space(path: str | os.PathLike) -> int:
    """Bytes free on the file system that holds ``path`` (or would, once made)."""
    return shutil.disk_usage(_existing_ancestor(Path(path))).free


def os_error_line(exc: OSError) -> str:
    """An OS error in one line: what happened, to which path.

    Examples
    --------
    >>> os_error_line(PermissionError(13, "Permission denied", "/x/fit.json"))
    'Permission denied: /x/fit.json'
    """
    if exc.strerror is None:  # raised with a message of ours
        return str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{exc.strerror}: {' -> '.join(paths)}" if paths else exc.strerror


@contextlib.contextmanager
def staged(directory: Path) -> Iterator[Path]:
    """A new folder beside ``directory`` to write into; when the block ends without an
    error its files move into ``directory`` (made if missing). Either way the folder goes,
    and so do the missing parents made for it: a failure leaves nothing behind."""
    directory = Path(os.path.abspath(directory))
    made = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        yield temp
        directory.mkdir(exist_ok=True)
        for path in sorted(temp.iterdir()):
            os.replace(path, directory / path.name)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        for path in made:  # the deepest first
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    temp.rmdir()


def save_figures(figures: Mapping[str, Any], directory: Path, fmt: str, dpi: int) -> Iterator[Path]:
    """Write each figure of ``figures`` (name: a matplotlib Figure) into ``directory`` (made if
    missing) as NAME.fmt at ``dpi``, yielding each path once it is written."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        path = directory / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, dpi=dpi)
        yield path
