r"""The encrypted keystore: confidential values at rest (clause 1.1.1).

A :class:`Keystore` is one file holding named :class:`~hf_api_governance.Secret`
values, each encrypted with AES-256-GCM and bound to its name. The file is a
compacted base followed by an authenticated journal of changes
(:mod:`~hf_api_governance._confidential.keystore_format`): a change appends one
record and fsyncs, so it costs the same with 10 entries or 10,000; when the
journal outgrows the base, the change rewrites the file compacted, atomically
(temporary file, ``fsync``, ``rename``, ``fsync`` of the directory). Writers
hold an exclusive ``flock`` on a companion lock file and readers a shared one
while they read a change, so several processes can share one keystore. The
whole file is authenticated: a flipped byte anywhere, a truncation or an
extension makes it unreadable rather than wrong. The keys (passphrase, scrypt,
key wrap) are in :mod:`~hf_api_governance._confidential.keystore_keys`.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
from pathlib import Path
from typing import Any, Final, NoReturn, TypedDict, Unpack, final

from cryptography.exceptions import InvalidTag

from hf_api_governance._base.checks import check_path
from hf_api_governance._base.closing import Closing
from hf_api_governance._base.identifiers import ENTRY_NAME
from hf_api_governance._confidential.keystore_file import KeystoreFile
from hf_api_governance._confidential.keystore_format import (
    DEFAULT_SCRYPT_LOG2_N,
    ENTRY_AD,
    KDF_RAW,
    KDF_SCRYPT,
    KEY_SIZE,
    MAGIC,
    MAX_FILE_SIZE,
    MAX_VALUE_SIZE,
    NONCE_SIZE,
    OP_DELETE,
    OP_PUT,
    OP_RENAME,
    damaged,
    entry_plaintext,
    entry_secret,
    validate_name,
)
from hf_api_governance._confidential.keystore_keys import (
    Keys,
    KeySource,
    check_log2_n,
    decode_key,
    key_bytes,
    key_source,
    passphrase_bytes,
)
from hf_api_governance._confidential.secret import Classification, Secret, adopt_secret
from hf_api_governance.exceptions import (
    ConfidentialityError,
    KeystoreEntryNotFound,
    KeystoreError,
    ValidationError,
)

# MAGIC, MAX_FILE_SIZE, MAX_VALUE_SIZE and validate_name are re-exported: the CLI
# reads them here.
__all__ = [
    "MAGIC",
    "MAX_FILE_SIZE",
    "MAX_VALUE_SIZE",
    "Keystore",
    "KeystoreCredentials",
    "validate_name",
]

_log = logging.getLogger("hf_api_governance.keystore")

DEFAULT_KEY_VAR: Final = "HF_GOV_KEYSTORE_KEY"


class KeystoreCredentials(TypedDict, total=False):
    """The raw-key ways to unlock a keystore, besides a passphrase.

    Attributes:
        key: A random 32-byte key (raw bytes, or base64 text in a
            :class:`~hf_api_governance.Secret`); see :meth:`Keystore.generate_key`.
        key_file: A file holding such a key in base64.
    """

    key: Secret | bytes | None
    key_file: str | os.PathLike[str] | None


def _credentials(passphrase: object, given: KeystoreCredentials, log2_n: int) -> KeySource:
    unknown = sorted(set(given) - {"key", "key_file"})
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    return key_source(passphrase, given.get("key"), given.get("key_file"), log2_n=log2_n)


@final
class Keystore(Closing):
    """An encrypted file of named confidential values.

    Create one with :meth:`create`, open it with :meth:`open` (passphrase, raw
    key or key file) or :meth:`from_env`; the constructor is private. Use it
    as a context manager, or call :meth:`close`.

    Every value is encrypted with AES-256-GCM under a random data-encryption
    key (DEK) and bound to its entry name; the DEK is wrapped by a key derived
    from the passphrase with scrypt (``n=2**15, r=8, p=1`` by default, random
    16-byte salt) or by a raw 32-byte key. Each change appends one
    authenticated record to the file (and now and then rewrites it compacted)
    under an exclusive lock, so several processes may share one keystore.
    Entry *names* are stored in clear: never put a secret in a name.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "keys.hfks"
        >>> with Keystore.create(path, "correct horse battery staple") as ks:
        ...     ks.put("aware-api", Secret("s3cr3t", label="Aware API key"))
        ...     ks
        Keystore(path='...keys.hfks', entries=1)
        >>> with Keystore.open(path, "correct horse battery staple") as ks:
        ...     ks.get("aware-api").reveal()
        's3cr3t'

    Raises:
        KeystoreError: From every method, when the file cannot be read,
            decrypted or written. Messages never contain a value or a key.
    """

    __slots__ = ("__weakref__", "_closed", "_decrypted", "_file", "_mutex", "_path")

    _path: Path
    _file: KeystoreFile | None
    _decrypted: dict[str, tuple[bytes, Secret]]
    _mutex: threading.RLock
    _closed: bool

    def __init__(self, _token: object, file: object) -> None:
        if _token is not _PRIVATE or not isinstance(file, KeystoreFile):
            raise TypeError("use Keystore.create(), Keystore.open() or Keystore.from_env()")
        self._path = file.path
        self._file = file
        self._decrypted = {}
        self._mutex = threading.RLock()
        self._closed = False

    # -- construction ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: Secret | str | None = None,
        *,
        scrypt_log2_n: int = DEFAULT_SCRYPT_LOG2_N,
        **credentials: Unpack[KeystoreCredentials],
    ) -> Keystore:
        """Create a new, empty keystore file and return it open.

        Give exactly one of ``passphrase``, ``key`` or ``key_file``.

        Args:
            path: Where to create the file. It must not exist.
            passphrase: Protects the keystore through scrypt.
            scrypt_log2_n: scrypt cost ``n = 2**scrypt_log2_n`` (14 to 20;
                default 15, i.e. 32 MiB and about 60 ms). Ignored with a key.
            **credentials: ``key``, a random 32-byte key (raw bytes, or base64
                text in a :class:`Secret`) for unattended use, see
                :meth:`generate_key`; or ``key_file``, a file holding such a
                key in base64.

        Returns:
            The open keystore.

        Raises:
            KeystoreError: The file exists or cannot be written.
            ValidationError: A parameter is invalid (names the field).
        """
        where = Path(check_path("path", path))
        source = _credentials(passphrase, credentials, check_log2_n(scrypt_log2_n))
        ks = cls._create(where, source)
        if ks is None:
            raise KeystoreError(f"keystore {str(where)!r} already exists; refusing to replace")
        return ks

    @classmethod
    def _create(cls, path: Path, source: KeySource) -> Keystore | None:
        file = KeystoreFile.create(path, source)
        if file is None:
            return None
        _log.info("created keystore %s", path)
        return cls(_PRIVATE, file)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        passphrase: Secret | str | None = None,
        **credentials: Unpack[KeystoreCredentials],
    ) -> Keystore:
        """Open an existing keystore.

        Give exactly one of ``passphrase``, ``key`` or ``key_file``, matching
        how the keystore was created (or last re-keyed).

        Args:
            path: The keystore file.
            passphrase: The passphrase.
            **credentials: ``key``, the 32-byte key (raw bytes, or base64
                text in a :class:`Secret`); or ``key_file``, a file holding
                the key in base64.

        Returns:
            The open keystore.

        Raises:
            KeystoreError: The file is missing, not a keystore, truncated or
                damaged, or the passphrase or key is wrong (one opaque message
                for the last two).
            ValidationError: A parameter is invalid.
        """
        where = Path(check_path("path", path))
        return cls._opened(where, _credentials(passphrase, credentials, DEFAULT_SCRYPT_LOG2_N))

    @classmethod
    def _opened(cls, path: Path, source: KeySource) -> Keystore:
        return cls(_PRIVATE, KeystoreFile.load(path, source))

    @classmethod
    def from_env(
        cls,
        path: str | os.PathLike[str],
        var: str = DEFAULT_KEY_VAR,
        *,
        create: bool = False,
    ) -> Keystore:
        """Open (or create) a keystore keyed by an environment variable.

        For unattended provisioning: the variable holds a random 32-byte key
        in base64 (make one with :meth:`generate_key`).

        Args:
            path: The keystore file.
            var: Name of the environment variable (default ``HF_GOV_KEYSTORE_KEY``).
            create: Create the keystore when the file does not exist yet.

        Returns:
            The open keystore.

        Raises:
            KeystoreError: The variable is not set, or as :meth:`open`.
            ValidationError: The variable does not hold a 32-byte key, ``var``
                is not a variable name, or ``path`` is not a path.
        """
        where = Path(check_path("path", path))
        if not isinstance(var, str) or not var or "=" in var or "\x00" in var:
            raise ValidationError(
                "var", "must be the name of an environment variable (text without '=')"
            )
        raw = os.environ.get(var)
        if not raw:
            raise KeystoreError(f"environment variable {var} is not set or empty")
        source = KeySource(KDF_RAW, decode_key(raw.encode("ascii", "replace"), var))
        del raw
        if create:
            ks = cls._create(where, source)
            if ks is not None:
                return ks
        return cls._opened(where, source)

    @staticmethod
    def generate_key() -> Secret:
        """Return a new random 32-byte keystore key, as base64 text in a :class:`Secret`.

        Store it where your provisioning reads it (a secrets manager, the
        ``HF_GOV_KEYSTORE_KEY`` variable, a ``0600`` key file).
        """
        return Secret(
            base64.b64encode(os.urandom(KEY_SIZE)).decode("ascii"),
            Classification.CUSTOMER_DATA,
            "keystore key",
        )

    # -- entries --------------------------------------------------------------

    def put(self, name: str, secret: Secret, *, overwrite: bool = True) -> None:
        """Store ``secret`` under ``name``; durable when this returns.

        The cost does not depend on the number of entries: one record is
        appended to the file (now and then the file is rewritten compacted).

        Args:
            name: Entry name: 1 to 128 of ``A-Z a-z 0-9 . _ -``, starting with
                a letter or digit. Not secret.
            secret: The value, with its classification and label.
            overwrite: Replace an existing entry (default). When false, an
                existing entry makes this raise.

        Raises:
            ValidationError: ``name`` or ``secret`` is invalid.
            KeystoreError: The entry exists and ``overwrite`` is false, or the
                keystore cannot be written.
        """
        validate_name(name)
        secret = adopt_secret(secret, name)  # type: ignore[assignment]  # a pydantic SecretStr
        if not isinstance(secret, Secret):
            raise ValidationError("secret", f"must be a Secret, got {type(secret).__name__}")
        if len(secret.reveal_bytes()) > MAX_VALUE_SIZE:
            raise ValidationError("secret", f"must be at most {MAX_VALUE_SIZE} bytes")
        with self._mutex:
            nonce, ct = self._encrypt(name, secret)
            file = self._open()
            with file.locked():
                self._refresh()
                if not overwrite and name in file.entries:
                    raise KeystoreError(f"keystore entry {name!r} already exists")
                file.record((OP_PUT, name, "", nonce, ct))
        _log.debug("stored keystore entry %s", name)

    def get(self, name: str) -> Secret:
        """Return the value stored under ``name``.

        The returned :class:`Secret` carries the stored classification and
        label, and this keystore's fingerprint key, so its
        :attr:`~hf_api_governance.Secret.fingerprint` is the same in every
        process sharing the keystore. A change made by another process is
        seen: the file is checked (one ``stat``) on every call. While an
        entry is unchanged, the same (immutable) :class:`Secret` is returned
        again without decrypting; the keystore keeps it in memory, like its
        keys, until :meth:`close`.

        Raises:
            KeystoreEntryNotFound: No entry ``name``.
            KeystoreError: The entry cannot be decrypted.
            ValidationError: ``name`` is not a valid entry name.
        """
        with self._mutex:
            # The hot path (the governed client reads its credential before every
            # request): a name already decrypted, a file unchanged since (one stat).
            kept = self._decrypted.get(name) if type(name) is str else None
            file = self._file
            if kept is not None and file is not None and file.unchanged():
                entry = file.entries.get(name)
                if entry is not None and entry[1] == kept[0]:
                    return kept[1]
            validate_name(name)
            file = self._refresh()
            keys = file.open_keys()
            try:
                nonce, ct = file.entries[name]
            except KeyError:
                raise KeystoreEntryNotFound(name) from None
            # The entry's Secret as last decrypted, while its ciphertext is unchanged
            # (the governed client reads its credential before every request).
            kept = self._decrypted.get(name)
            if kept is not None and kept[0] == ct:
                return kept[1]
            try:
                plain = keys.aead.decrypt(nonce, ct, ENTRY_AD + name.encode())
            except InvalidTag:
                raise damaged(self._path) from None
            try:
                secret = entry_secret(plain, keys.fp_key)
            except (ValueError, IndexError, ValidationError):
                raise damaged(self._path) from None
            self._decrypted[name] = (ct, secret)
            return secret

    def delete(self, name: str) -> None:
        """Remove the entry ``name``; durable when this returns.

        Raises:
            KeystoreEntryNotFound: No entry ``name``.
            KeystoreError: The keystore cannot be written.
            ValidationError: ``name`` is not a valid entry name.
        """
        validate_name(name)
        with self._mutex:
            file = self._open()
            with file.locked():
                self._refresh()
                if name not in file.entries:
                    raise KeystoreEntryNotFound(name)
                file.record((OP_DELETE, name, "", b"", b""))
        _log.debug("deleted keystore entry %s", name)

    def rename(self, old: str, new: str) -> None:
        """Store the value of entry ``old`` under ``new`` and remove ``old``, in one write.

        The value is decrypted and encrypted again under the new name (each
        entry is bound to its name); classification and label are kept, and
        so is the fingerprint. Durable when this returns; other processes see
        either name, never both or neither.

        Raises:
            KeystoreEntryNotFound: No entry ``old``.
            KeystoreError: An entry ``new`` already exists, or the keystore
                cannot be written.
            ValidationError: ``old`` or ``new`` is not a valid entry name, or
                they are the same.
        """
        validate_name(old)
        validate_name(new)
        if old == new:
            raise ValidationError("new", "must differ from the old name")
        with self._mutex:
            file = self._open()
            with file.locked():
                self._refresh()
                if new in file.entries:
                    raise KeystoreError(f"keystore entry {new!r} already exists")
                nonce, ct = self._encrypt(new, self.get(old))
                file.record((OP_RENAME, old, new, nonce, ct))
        _log.debug("renamed keystore entry %s to %s", old, new)

    def names(self) -> list[str]:
        """Return the entry names, sorted."""
        with self._mutex:
            return sorted(self._refresh().entries)

    def fingerprint(self, name: str) -> str:
        """Return the fingerprint of the value under ``name`` (safe to log).

        Raises:
            KeystoreEntryNotFound: No entry ``name``.
            KeystoreError: The entry cannot be decrypted.
            ValidationError: ``name`` is not a valid entry name.
        """
        return self.get(name).fingerprint

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not ENTRY_NAME.fullmatch(name):
            return False
        with self._mutex:
            return name in self._refresh().entries

    def __len__(self) -> int:
        with self._mutex:
            return len(self._refresh().entries)

    def _encrypt(self, name: str, secret: Secret) -> tuple[bytes, bytes]:
        keys = self._open().open_keys()
        nonce = os.urandom(NONCE_SIZE)
        return nonce, keys.aead.encrypt(nonce, entry_plaintext(secret), ENTRY_AD + name.encode())

    # -- keys -----------------------------------------------------------------

    def change_passphrase(
        self, new: Secret | str, *, scrypt_log2_n: int = DEFAULT_SCRYPT_LOG2_N
    ) -> None:
        """Protect the keystore with a new passphrase from now on.

        Only the wrapped DEK changes: the entries are not re-encrypted and
        nothing is written in clear. The old passphrase (or key) stops working
        as soon as this returns.

        Args:
            new: The new passphrase.
            scrypt_log2_n: scrypt cost for the new passphrase (14 to 20).

        Raises:
            KeystoreError: The keystore cannot be written.
            ValidationError: ``new`` is empty or of the wrong type.
        """
        source = KeySource(KDF_SCRYPT, passphrase_bytes(new, "new"), check_log2_n(scrypt_log2_n))
        self._rewrap(source)
        _log.info("changed the passphrase of keystore %s", self._path)

    def change_key(self, key: Secret | bytes) -> None:
        """Protect the keystore with a raw 32-byte key from now on (see :meth:`generate_key`).

        Raises:
            KeystoreError: The keystore cannot be written.
            ValidationError: ``key`` is not a 32-byte key.
        """
        self._rewrap(KeySource(KDF_RAW, key_bytes(key, "key")))
        _log.info("changed the key of keystore %s", self._path)

    def _rewrap(self, source: KeySource) -> None:
        with self._mutex:
            file = self._open()
            header, kek = file.wrap_for(source)  # the KDF runs before the lock is taken
            with file.locked():
                self._refresh()
                file.rewrap(header, kek)

    # -- life cycle -----------------------------------------------------------

    @property
    def path(self) -> Path:
        """The keystore file."""
        return self._path

    def close(self) -> None:
        """Forget the keys and release the files. Idempotent."""
        with self._mutex:
            self._closed = True
            self._decrypted = {}
            file, self._file = self._file, None
            if file is not None:
                file.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __del__(self) -> None:
        # Not contextlib.suppress: at interpreter exit that module may be gone already.
        try:  # noqa: SIM105
            self.close()
        except Exception:  # noqa: S110 - a finaliser must not raise
            pass

    def __repr__(self) -> str:
        if self._closed:
            return f"Keystore(path={str(self._path)!r}, closed)"
        count = len(self._file.entries) if self._file is not None else 0
        return f"Keystore(path={str(self._path)!r}, entries={count})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be pickled: it holds decrypted keys")

    def __copy__(self) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be copied; open the file again")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be copied; open the file again")

    # -- the file ---------------------------------------------------------------

    @property
    def _keys(self) -> Keys | None:
        """The keys while open (tests read the MAC key to forge a file)."""
        return None if self._file is None else self._file.keys

    def _open(self) -> KeystoreFile:
        if self._closed or self._file is None or self._file.keys is None:
            raise KeystoreError(f"keystore {str(self._path)!r} is closed")
        return self._file

    def _refresh(self) -> KeystoreFile:
        """The file, caught up with other writers; values of changed entries forgotten."""
        file = self._open()
        if file.refresh() and self._decrypted:
            entries = file.entries
            self._decrypted = {
                name: kept
                for name, kept in self._decrypted.items()
                if name in entries and entries[name][1] == kept[0]
            }
        return file


_PRIVATE: Final = object()
