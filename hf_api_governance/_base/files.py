"""Files written all or nothing: atomic replacement and durable renames."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["atomic_write", "fsync_dir"]


# -- files ------------------------------------------------------------------------


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be opened)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def atomic_write(path: Path, chunks: Iterable[bytes], *, mode: int = 0o600) -> None:
    """Replace (or create) ``path`` with ``chunks``, all or nothing.

    The bytes go to a temporary file in the same directory, which is flushed
    to disk, given ``mode`` and renamed over ``path``; the directory is then
    synced. Readers see the old file or the new one, never a part. On any
    failure the temporary file is removed and ``path`` is unchanged.

    Raises:
        OSError: The file cannot be written; callers map it to their own error.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
