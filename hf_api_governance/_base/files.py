"""Files read and written safely: regular files only, size caps, all-or-nothing writes.

Reading: :func:`open_regular` and :func:`read_regular_file` never block on a
named pipe (the file is opened non-blocking and checked before any read),
refuse anything that is not a regular file (a directory, a FIFO, a device
such as ``/dev/zero``, a socket) and stop at a size cap, so bad input can
neither hang a process nor eat its memory.

Writing: :func:`atomic_write` replaces a regular file (or creates one) all or
nothing, and never replaces something else: not a FIFO, not a device (even
as root), not a directory, and not a symbolic link unless asked to follow it
(then the link's target is written and the link stays).

The refusals are :class:`OSError` subclasses with a readable ``strerror``, so
callers that already map ``OSError`` to their own error (``InventoryError``,
``KeystoreError``, ``AuditError``) report them with the file's name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "FileTooLarge",
    "NotARegularFile",
    "atomic_write",
    "check_write_target",
    "file_kind",
    "fsync_dir",
    "open_regular",
    "read_fd",
    "read_regular_file",
    "size_text",
]


class NotARegularFile(OSError):
    """The path names something other than a regular file (a directory, a FIFO, a device...)."""


class FileTooLarge(OSError):
    """The file is larger than the cap its reader accepts."""


def file_kind(mode: int) -> str:
    """What a ``st_mode`` describes, in words (``"a named pipe"``)."""
    for test, words in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return words
    return "not a regular file"  # pragma: no cover - door, whiteout...


def size_text(size: int) -> str:
    """A byte count for people: ``64 KiB``, ``32 MiB``, ``100 bytes``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def _not_regular(path: str | os.PathLike[str], mode: int) -> NotARegularFile:
    return NotARegularFile(
        errno.EINVAL, f"not a regular file: it is {file_kind(mode)}", os.fspath(path)
    )


def _too_large(path: str | os.PathLike[str], limit: int) -> FileTooLarge:
    return FileTooLarge(errno.EFBIG, f"larger than the {size_text(limit)} limit", os.fspath(path))


# -- reading ------------------------------------------------------------------------


def open_regular(path: str | os.PathLike[str], *, limit: int) -> tuple[int, os.stat_result]:
    """Open a regular file for reading without ever blocking; return its descriptor and stat.

    The file is opened with ``O_NONBLOCK`` (opening a FIFO returns at once
    instead of waiting for a writer) and checked with ``fstat`` on the
    descriptor itself (no race between the check and the read). Symbolic
    links are followed: what counts is the file they lead to (a link to
    ``/dev/zero`` is refused).

    Args:
        path: The file.
        limit: The largest size accepted, in bytes.

    Returns:
        The open descriptor (the caller closes it) and its ``fstat``.

    Raises:
        NotARegularFile: The path leads to a directory, FIFO, device or socket.
        FileTooLarge: The file is larger than ``limit``.
        OSError: The file cannot be opened (missing, permission...).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode)
        if st.st_size > limit:
            raise _too_large(path, limit)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_fd(fd: int, path: str | os.PathLike[str], *, limit: int) -> bytes:
    """Read an open descriptor to its end, refusing more than ``limit`` bytes.

    The cap holds even when the file grows while it is read.

    Raises:
        FileTooLarge: More than ``limit`` bytes.
        OSError: The read failed.
    """
    chunks: list[bytes] = []
    total = 0
    while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(path, limit)
    return b"".join(chunks)


def read_regular_file(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes (see :func:`open_regular`).

    Raises:
        NotARegularFile: The path leads to a directory, FIFO, device or socket.
        FileTooLarge: The file is larger than ``limit``.
        OSError: The file cannot be opened or read.
    """
    fd, _st = open_regular(path, limit=limit)
    try:
        return read_fd(fd, path, limit=limit)
    finally:
        os.close(fd)


# -- writing ------------------------------------------------------------------------


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


def check_write_target(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> Path:
    """Where a write to ``path`` may go: ``path`` itself, or the target of the link it is.

    Nothing is written or created here. A missing path is fine (it will be
    created); an existing one must be a regular file. A symbolic link is
    refused unless ``follow_symlinks``, and then its final target must be a
    regular file or missing (it is created).

    Returns:
        The path to write: ``path``, or the resolved target of a followed link.

    Raises:
        NotARegularFile: ``path`` (or the link's target) exists and is not a
            regular file, or is a symbolic link and ``follow_symlinks`` is false.
        OSError: ``path`` cannot be examined.
    """
    where = Path(path)
    try:
        st = os.lstat(where)
    except FileNotFoundError:
        return where
    if stat.S_ISLNK(st.st_mode):
        if not follow_symlinks:
            raise NotARegularFile(
                errno.ELOOP,
                "is a symbolic link: refusing to replace it (follow it explicitly to write "
                "its target)",
                os.fspath(where),
            )
        target = Path(os.path.realpath(where))
        try:
            st = os.stat(target)
        except FileNotFoundError:
            return target
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(target, st.st_mode)
        return target
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(where, st.st_mode)
    return where


def atomic_write(
    path: Path, chunks: Iterable[bytes], *, mode: int = 0o600, follow_symlinks: bool = False
) -> None:
    """Replace (or create) the regular file ``path`` with ``chunks``, all or nothing.

    The bytes go to a temporary file in the same directory, which is flushed
    to disk, given ``mode`` and renamed over ``path``; the directory is then
    synced. Readers see the old file or the new one, never a part. On any
    failure the temporary file is removed and ``path`` is unchanged.
    Something that is not a regular file is never replaced (see
    :func:`check_write_target`).

    Args:
        path: The file to write.
        chunks: Its content.
        mode: The new file's permissions.
        follow_symlinks: When ``path`` is a symbolic link, write its target
            (the link stays) instead of refusing.

    Raises:
        NotARegularFile: ``path`` is not a regular file (or a refused link).
        OSError: The file cannot be written; callers map it to their own error.
    """
    path = check_write_target(path, follow_symlinks=follow_symlinks)
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
