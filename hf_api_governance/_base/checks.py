"""Small helpers shared by several modules: text checks, key text, atomic files.

Only what is really the same logic in its callers lives here; each helper is
stdlib-only, so that any module (the light ones the command line's ``--help``
imports included) may use it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hf_api_governance.exceptions import ValidationError

__all__ = [
    "atomic_write",
    "b64decode_strict",
    "check_optional_text",
    "check_path",
    "check_text",
    "check_timeout",
    "decode_key_text",
    "fsync_dir",
]

# -- text fields ----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _text_problem(value: str, max_len: int) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    if not value.isprintable():  # also refuses lone surrogates (not encodable as UTF-8)
        return "must not contain control characters"
    return None


def check_text(field: str, value: object, *, max_len: int = 200) -> str:
    """Return ``value`` if it is non-blank printable text of at most ``max_len`` characters.

    Results are cached per value: identifiers, actors and reasons repeat, and
    the audit log and the registry check them on every write and read.

    Raises:
        ValidationError: Naming ``field``; the message never quotes the value.
    """
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(field, f"must be text, got {type(value).__name__}")
        value = str(value)  # a str subclass: check (and cache) the plain value
    problem = _text_problem(value, max_len)
    if problem is not None:
        raise ValidationError(field, problem)
    return value


def check_optional_text(field: str, value: object, *, max_len: int = 200) -> str | None:
    """:func:`check_text`, with ``None`` allowed."""
    return None if value is None else check_text(field, value, max_len=max_len)


# -- paths and timeouts ------------------------------------------------------------


def check_path(field: str, value: object) -> str:
    """Return ``value`` (a ``str`` or :class:`os.PathLike` naming a file) as text.

    Raises:
        ValidationError: ``value`` is not a path, is bytes, is empty or holds
            a NUL character.
    """
    text: object = value
    if isinstance(value, os.PathLike):
        try:
            text = os.fspath(value)
        except TypeError:
            text = None
    if not isinstance(text, str):
        raise ValidationError(
            field, f"must be a file path (str or os.PathLike), got {type(value).__name__}"
        )
    if not text:
        raise ValidationError(field, "must not be empty")
    if "\x00" in text:
        raise ValidationError(field, "must not contain a NUL character")
    return text


def check_timeout(field: str, value: object) -> float:
    """Return ``value`` if it is a finite, non-negative number of seconds.

    Raises:
        ValidationError: Not a number (``bool`` included), NaN, infinite or negative.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"must be a number of seconds, got {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(field, "must be a finite, non-negative number of seconds")
    return seconds


# -- keys written as text ----------------------------------------------------------------


def b64decode_strict(text: str | bytes) -> bytes | None:
    """Decode standard or URL-safe base64, padding optional; ``None`` if it is not base64.

    Strict on purpose: a character outside the alphabet (a typo, a passphrase
    given where a key is expected) refuses the whole text instead of being
    silently dropped, which would yield a shorter, different key.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_key_text(text: str) -> bytes | None:
    """Decode a key written in hex (preferred) or base64; ``None`` if it is neither.

    Hex wins when the text decodes as hex to at least 16 bytes; otherwise the
    text is read as strict base64 (:func:`b64decode_strict`). Callers check
    the length they need and raise their own error, which must never quote
    the text.
    """
    try:
        key = bytes.fromhex(text)
    except ValueError:
        pass
    else:
        if len(key) >= 16:
            return key
    return b64decode_strict(text)


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
