"""One open keystore file: its authenticated entries, kept current, and its changes.

:class:`KeystoreFile` reads a keystore file (format in
:mod:`~hf_api_governance._confidential.keystore_format`), follows the changes
other handles and processes make to it, and writes changes: one journal record
appended over the seal and fsynced, or, when the journal has outgrown the
base, the whole file rewritten compacted (temporary file, ``fsync``,
``rename``, ``fsync`` of the directory). Writers hold an exclusive ``flock``
on ``<path>.lock``; a reader holds a shared one while it reads a change, so it
never sees half an append. :class:`~hf_api_governance.Keystore` is the API on
top (names, values, the decrypted-value cache).
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from hf_api_governance._base.files import fsync_dir, open_regular, read_fd, size_text
from hf_api_governance._confidential import keystore_format as fmt
from hf_api_governance._confidential.keystore_format import (
    BASE_ONLY_VERSION,
    FORMAT_VERSION,
    KDF_SCRYPT,
    KEY_SIZE,
    MAC_SIZE,
    Entries,
    Header,
    Op,
    apply_ops,
    chain,
    damaged,
    encode_base,
    encode_op,
    mac,
    parse_base,
    parse_header,
    read_journal,
    seal,
)
from hf_api_governance._confidential.keystore_keys import (
    Keys,
    KeySource,
    derive_kek,
    unwrap,
    wrap,
    wrap_with,
)
from hf_api_governance.exceptions import KeystoreError

if sys.platform != "win32":
    import fcntl

__all__ = ["COMPACT_SLACK", "KeystoreFile", "glob_escape"]

_log = logging.getLogger("hf_api_governance.keystore")

COMPACT_SLACK: Final = 64 << 10
"""A change rewrites the file compacted once the journal would outgrow the base plus this."""

Stamp = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns) of the file as last read or written."""


class _AlreadyExists(KeystoreError):
    """Internal: ``create`` found the file already there."""


def os_error(action: str, path: Path, exc: OSError) -> KeystoreError:
    """A KeystoreError for a failed system call (the reason, never a value)."""
    reason = exc.strerror or type(exc).__name__
    return KeystoreError(f"cannot {action} keystore {str(path)!r}: {reason}")


class KeystoreFile:
    """The entries of one keystore file, authenticated, and the means to change them.

    Not thread-safe: :class:`~hf_api_governance.Keystore` serialises calls.
    """

    __slots__ = (
        "_end",
        "_fd",
        "_header",
        "_journal_start",
        "_lock_fd",
        "_locked_mode",
        "_path_text",
        "_stamp",
        "_tag",
        "_version",
        "entries",
        "keys",
        "path",
    )

    entries: Entries
    keys: Keys | None
    path: Path

    def __init__(self, path: Path, keys: Keys | None = None) -> None:
        self.path = path
        self._path_text = str(path)  # for the per-call stat: os.stat(Path) costs a __fspath__
        self.keys = keys
        self.entries = {}
        self._fd: int | None = None
        self._stamp: Stamp | None = None
        self._lock_fd: int | None = None
        self._locked_mode = 0
        self._header: Header | None = None
        self._version = 0
        self._tag = b""
        self._journal_start = self._end = 0

    @classmethod
    def create(cls, path: Path, source: KeySource) -> KeystoreFile | None:
        """Create an empty keystore at ``path``; None if the path exists (nothing written)."""
        dek, fp_key = os.urandom(KEY_SIZE), os.urandom(KEY_SIZE)
        header, kek = wrap(source, dek, fp_key)
        file = cls(path, Keys(dek, fp_key, kek))
        file._header = header
        try:
            with file.locked():
                file._write(encode_base(header.pack(), {}), replace=False)
        except _AlreadyExists:
            file.close()
            return None
        except BaseException:
            file.close()
            raise
        return file

    @classmethod
    def load(cls, path: Path, source: KeySource) -> KeystoreFile:
        """Open and authenticate the keystore at ``path`` with the key from ``source``.

        Raises:
            KeystoreError: Missing, unreadable, not a keystore, damaged, or the
                wrong key (one opaque message for the last two).
        """
        file = cls(path)
        try:
            with file.locked(shared=True):
                fd, data, stamp = file._read_current()
            try:
                header = parse_header(data, path)
                if header.kdf != source.kdf:
                    kind = "a passphrase" if header.kdf == KDF_SCRYPT else "a key"
                    raise KeystoreError(
                        f"keystore {str(path)!r} is protected by {kind}; "
                        "open it with that, or the file is damaged"
                    )
                keys = unwrap(header, derive_kek(header, source), path)
                file._accept(fd, data, keys, stamp, header)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            file.close()
            raise
        file.keys = keys
        return file

    def open_keys(self) -> Keys:
        """The keys, or KeystoreError when closed."""
        if self.keys is None:
            raise KeystoreError(f"keystore {str(self.path)!r} is closed")
        return self.keys

    def close(self) -> None:
        """Forget the keys and entries, release the descriptors. Idempotent."""
        fds = (self._fd, self._lock_fd)
        self.keys = None
        self.entries = {}
        self._fd = self._lock_fd = None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    # -- reading ---------------------------------------------------------------

    def refresh(self) -> bool:
        """Catch up if another writer changed the file since we last read it; True if so.

        The descriptor of the file we read stays open, so its inode cannot be
        reused: a different (device, inode) at ``path`` means a new version.
        Size and modification time catch an append, or an in-place edit by a
        foreign writer. An append to the file we hold is read from where we
        stopped; anything else reloads the whole file.
        """
        keys = self.open_keys()
        if self._fd is not None and _stamp(self._stat()) == self._stamp:
            return False
        with self.locked(shared=True):
            current = self._stat()
            if self._fd is not None and _stamp(current) == self._stamp:
                return False
            if self._catch_up(current, keys):
                return True
            fd, data, stamp = self._read_current()
            try:
                self._accept(fd, data, keys, stamp, parse_header(data, self.path))
            except BaseException:
                os.close(fd)
                raise
        _log.debug("reloaded keystore %s after a change by another writer", self.path)
        return True

    def unchanged(self) -> bool:
        """Whether the file is open and the one at ``path`` is as we last read it (one stat).

        False also when the stat fails: :meth:`refresh` then says why.
        """
        if self.keys is None or self._fd is None:
            return False
        try:
            st = os.stat(self._path_text)
        except OSError:
            return False
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == self._stamp

    def _stat(self) -> os.stat_result:
        try:
            return os.stat(self.path)
        except FileNotFoundError:
            raise KeystoreError(f"keystore file {str(self.path)!r} has been removed") from None
        except OSError as exc:
            raise os_error("read", self.path, exc) from None

    def _read_current(self) -> tuple[int, bytes, Stamp]:
        """Open the file at ``path``; return (fd, its whole content, its stamp before reading)."""
        # Opened non-blocking and checked before reading: a FIFO, a device or a
        # directory at the path is refused at once, never waited on or read.
        try:
            fd, st = open_regular(self.path, limit=fmt.MAX_FILE_SIZE)
        except FileNotFoundError:
            raise KeystoreError(f"keystore file {str(self.path)!r} does not exist") from None
        except OSError as exc:
            raise os_error("open", self.path, exc) from None
        try:
            data = read_fd(fd, self.path, limit=fmt.MAX_FILE_SIZE)
        except OSError as exc:
            os.close(fd)
            raise os_error("read", self.path, exc) from None
        except BaseException:
            os.close(fd)
            raise
        return fd, data, _stamp(st)

    def _accept(self, fd: int, data: bytes, keys: Keys, stamp: Stamp, header: Header) -> None:
        """Authenticate ``data`` with ``keys`` and make it the current state, pinned by ``fd``."""
        entries, base_end = parse_base(data, self.path)
        journal_start = base_end + MAC_SIZE
        base_mac = data[base_end:journal_start]
        if not hmac.compare_digest(mac(keys.mac_key, data[:base_end]), base_mac):
            raise damaged(self.path)
        if header.version == BASE_ONLY_VERSION:  # the MAC closes the file
            if journal_start != len(data):
                raise damaged(self.path)
            tag, end = base_mac, journal_start
        else:
            journal = data[journal_start:]
            ops, tag = read_journal(journal, journal_start, base_mac, keys.mac_key, self.path)
            apply_ops(entries, ops, self.path)
            end = len(data) - MAC_SIZE
        old, self._fd = self._fd, fd
        self.entries = entries
        self._stamp = stamp
        self._header = header
        self._version = header.version
        self._tag = tag
        self._journal_start, self._end = journal_start, end
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)

    def _catch_up(self, current: os.stat_result, keys: Keys) -> bool:
        """Read the records another writer appended to the file we hold; False if it cannot."""
        fd, stamp = self._fd, self._stamp
        if (
            fd is None
            or stamp is None
            or self._version != FORMAT_VERSION
            or (current.st_dev, current.st_ino) != stamp[:2]
            or not self._end + MAC_SIZE < current.st_size <= fmt.MAX_FILE_SIZE
        ):
            return False
        try:
            data = _pread_all(fd, current.st_size - self._end, self._end)
            ops, tag = read_journal(data, self._end, self._tag, keys.mac_key, self.path)
            apply_ops(self.entries, ops, self.path)
        except (KeystoreError, OSError):
            return False  # the whole file is read again, and judged
        self._tag = tag
        self._end = current.st_size - MAC_SIZE
        self._stamp = _stamp(current)
        _log.debug("read %d change(s) to keystore %s by another writer", len(ops), self.path)
        return True

    # -- writing ---------------------------------------------------------------

    def record(self, op: Op) -> None:
        """Append one change to the journal, or rewrite the file compacted (lock held)."""
        keys = self.open_keys()
        record = encode_op(op)
        seal_at = self._end + len(record) + MAC_SIZE
        if (
            self._version == FORMAT_VERSION
            and seal_at - self._journal_start <= self._journal_start + COMPACT_SLACK
            and seal_at + MAC_SIZE <= fmt.MAX_FILE_SIZE
        ):
            tag = chain(keys.mac_key, self._tag, record)
            if self._append(record + tag + seal(keys.mac_key, tag, seal_at)):
                apply_ops(self.entries, [op], self.path)
                self._tag, self._end = tag, seal_at
                return
        entries = dict(self.entries)
        apply_ops(entries, [op], self.path)
        self.compact(entries)

    def wrap_for(self, source: KeySource) -> tuple[Header, bytes]:
        """A new header wrapping our keys for ``source`` (new salt and nonce), and its KEK.

        Runs the KDF: call it before taking the lock, then :meth:`rewrap`.
        """
        keys = self.open_keys()
        return wrap(source, keys.dek, keys.fp_key)

    def rewrap(self, header: Header, kek: bytes) -> None:
        """Rewrite the file under ``header`` (from :meth:`wrap_for`; lock held)."""
        keys = self.open_keys()
        self.compact(self.entries, header)
        keys.kek = kek

    def _append(self, payload: bytes) -> bool:
        """Write ``payload`` over the seal and fsync; False if the file is not the one we read."""
        try:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise os_error("write", self.path, exc) from None
        try:
            if _stamp(os.fstat(fd)) != self._stamp:
                return False  # replaced or edited without the lock: rewrite it whole
            try:
                _pwrite_all(fd, payload, self._end)
                os.fsync(fd)
            except OSError as exc:
                self._restore_seal(fd)
                raise os_error("write", self.path, exc) from None
            self._stamp = _stamp(os.fstat(fd))
        finally:
            os.close(fd)
        return True

    def _restore_seal(self, fd: int) -> None:
        """After a failed append (a full disk...), put the previous end back (best effort)."""
        keys = self.open_keys()
        with contextlib.suppress(OSError):
            _pwrite_all(fd, seal(keys.mac_key, self._tag, self._end), self._end)
            os.ftruncate(fd, self._end + MAC_SIZE)
            os.fsync(fd)

    def compact(self, entries: Entries, header: Header | None = None) -> None:
        """Rewrite the file: ``entries`` as the base, an empty journal (lock held)."""
        if header is None:
            header = self._current_header()
        body = encode_base(header.pack(), entries)
        if len(body) + 2 * MAC_SIZE > fmt.MAX_FILE_SIZE:
            raise KeystoreError(
                f"keystore {str(self.path)!r} would grow beyond {size_text(fmt.MAX_FILE_SIZE)}; "
                "delete entries that are no longer used"
            )
        self._write(body, replace=True)
        self._header = header
        self.entries = entries

    def _current_header(self) -> Header:
        """The header to keep; a version 1 header is wrapped again at the current version."""
        keys, header = self.open_keys(), self._header
        if header is None:  # pragma: no cover - always loaded by now
            raise KeystoreError(f"keystore {str(self.path)!r} is not loaded")
        if header.version == FORMAT_VERSION:
            return header
        # Upgrading: the version is part of the wrap's associated data. The KEK we
        # hold must still be the file's (another process may have re-keyed it).
        try:
            unwrap(header, keys.kek, self.path)
        except KeystoreError:
            raise KeystoreError(
                f"keystore {str(self.path)!r} was re-keyed by another process; open it again"
            ) from None
        _log.info("upgrading keystore %s to format version %d", self.path, FORMAT_VERSION)
        return wrap_with(keys.kek, header, keys.dek, keys.fp_key)

    def _write(self, body: bytes, *, replace: bool) -> None:
        """Atomically replace (or create) the file with ``body``, its MAC and the seal."""
        keys = self.open_keys()
        base_mac = mac(keys.mac_key, body)
        journal_start = len(body) + MAC_SIZE
        data = body + base_mac + seal(keys.mac_key, base_mac, journal_start)
        directory = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise os_error("write", self.path, exc) from None
        try:
            _pwrite_all(fd, data, 0)
            os.fsync(fd)
            if replace:
                os.replace(tmp, self.path)
            else:
                os.link(tmp, self.path)  # fails if the path exists: never replaces
                os.unlink(tmp)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if not replace and exc.errno == errno.EEXIST:
                raise _AlreadyExists(
                    f"keystore {str(self.path)!r} already exists; refusing to replace"
                ) from None
            raise os_error("write", self.path, exc) from None
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(directory)
        old, self._fd = self._fd, fd
        self._stamp = _stamp(os.fstat(fd))
        self._version = FORMAT_VERSION
        self._tag = base_mac
        self._journal_start = self._end = journal_start
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)

    # -- locking ---------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, *, shared: bool = False) -> Iterator[None]:
        """Hold the writer lock (``<path>.lock``, ``flock``): exclusive, or shared to read.

        Re-entrant: inside a held lock this does nothing. A reader that
        cannot open the lock file (a read-only directory) reads unlocked.
        """
        if self._locked_mode:
            yield
            return
        if sys.platform == "win32":  # pragma: no cover
            if not shared:
                raise KeystoreError("writing a keystore needs POSIX file locks (flock)")
            yield
            return
        fd = self._lock_file(shared)
        if fd is None:
            yield
            return
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode)
        except OSError as exc:
            raise os_error("lock", self.path, exc) from None
        self._locked_mode = mode
        try:
            if not shared:
                self._remove_stale_temporaries()
            yield
        finally:
            self._locked_mode = 0
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_file(self, shared: bool) -> int | None:
        if self._lock_fd is None:
            lock_path = self.path.with_name(self.path.name + ".lock")
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            try:
                self._lock_fd = os.open(lock_path, flags, 0o600)
            except OSError as exc:
                if shared:
                    return None
                raise os_error("lock", self.path, exc) from None
        return self._lock_fd

    def _remove_stale_temporaries(self) -> None:
        # Writers create temporaries only while holding the lock, so any left
        # now belong to a writer that died mid-write.
        for stale in self.path.parent.glob(f".{glob_escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


def glob_escape(text: str) -> str:
    """Escape glob metacharacters in a file name."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            raise OSError(errno.EIO, "the keystore file ended early")
        chunks.append(chunk)
        size, offset = size - len(chunk), offset + len(chunk)
    return b"".join(chunks)
