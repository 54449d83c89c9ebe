r"""The encrypted keystore: confidential values at rest (clause 1.1.1).

A :class:`Keystore` is one file holding named :class:`~hf_api_governance.Secret`
values, each encrypted with AES-256-GCM and bound to its name. The file is
rewritten atomically on every change (temporary file, ``fsync``, ``rename``,
``fsync`` of the directory) under an exclusive ``flock`` on a companion lock
file, so a crash leaves the old or the new keystore and several processes can
share one keystore. The whole file is authenticated: a flipped byte anywhere
makes it unreadable rather than wrong.

File format, version 1 (integers big-endian; full description in
``docs/security.md``, section "Keystore")::

    offset size
         0    8  magic b"HFGOVKS\x00"
         8    2  format version (1)
        10    2  flags (0)
        12    1  KDF: 0 = raw 32-byte key, 1 = scrypt
        13    1  scrypt log2(n)  (0 for a raw key)
        14    1  scrypt r        (0 for a raw key)
        15    1  scrypt p        (0 for a raw key)
        16   16  salt            (zeros for a raw key)
        32   12  nonce of the key wrap
        44   80  AES-256-GCM(KEK, DEK || fingerprint key), associated data = bytes 0..44
       124    4  number of entries
       128    .  entries, sorted by name: name length (1 byte), name (ASCII),
                 nonce (12), ciphertext length (4), ciphertext + tag
    end-32   32  HMAC-SHA256(mac key, every byte before)

Entry plaintext: format (1), kind (0 = str, 1 = bytes), classification
(length-prefixed ASCII), label (2-byte length, 0xFFFF for none, UTF-8), value.
Entry associated data: ``b"hf-api-governance/keystore/v1/entry\x00" + name``.
The entry key and the MAC key are derived from the DEK with HKDF-SHA256.

Why one module of about 1,000 lines: the file format and the one class that
reads and writes it change together (a field of the header is a line of
:class:`Keystore`'s reading code and of the format table above); the crypto
comes from ``cryptography``, and what is here is the format, the locking and
the atomic rewrite, about half of it documentation.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import hmac
import logging
import os
import re
import struct
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, NoReturn, final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hf_api_governance._base.checks import check_path
from hf_api_governance._base.encoding import b64decode_strict
from hf_api_governance._base.files import fsync_dir, open_regular, read_fd, size_text
from hf_api_governance._confidential.secret import Classification, Secret, adopt_secret
from hf_api_governance.exceptions import (
    ConfidentialityError,
    KeystoreEntryNotFound,
    KeystoreError,
    ValidationError,
)

if sys.platform != "win32":
    import fcntl

from hf_api_governance._base.closing import Closing
from hf_api_governance._base.identifiers import ENTRY_NAME

__all__ = ["Keystore"]

_log = logging.getLogger("hf_api_governance.keystore")

MAGIC: Final = b"HFGOVKS\x00"
FORMAT_VERSION: Final = 1
KDF_RAW: Final = 0
KDF_SCRYPT: Final = 1
DEFAULT_SCRYPT_LOG2_N: Final = 15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
MIN_SCRYPT_LOG2_N: Final = 14
MAX_SCRYPT_LOG2_N: Final = 20
KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
SALT_SIZE: Final = 16
MAC_SIZE: Final = 32
MAX_VALUE_SIZE: Final = 1 << 20
MAX_FILE_SIZE: Final = 64 << 20
"""The largest keystore file read or written (64 MiB): a bigger one is refused, unread."""
DEFAULT_KEY_VAR: Final = "HF_GOV_KEYSTORE_KEY"

_HEAD = struct.Struct(">8sHHBBBB16s12s")  # magic .. wrap nonce: the wrap's associated data
_WRAPPED_SIZE = 2 * KEY_SIZE + TAG_SIZE
_HEADER_SIZE = _HEAD.size + _WRAPPED_SIZE  # 124
_BODY_START = _HEADER_SIZE + 4
_MIN_FILE_SIZE = _BODY_START + MAC_SIZE

_ENTRY_AD: Final = b"hf-api-governance/keystore/v1/entry\x00"
_INFO_ENTRIES: Final = b"hf-api-governance/keystore/v1/entry-key"
_INFO_MAC: Final = b"hf-api-governance/keystore/v1/file-mac"
_NO_LABEL: Final = 0xFFFF
_KIND_STR: Final = 0
_KIND_BYTES: Final = 1

_CANNOT_DECRYPT: Final = "cannot decrypt keystore: wrong passphrase or damaged file"


class _AlreadyExists(KeystoreError):
    """Internal: ``create`` found the file already there."""


def _damaged(path: Path) -> KeystoreError:
    return KeystoreError(f"{_CANNOT_DECRYPT} ({path})")


def _os_error(action: str, path: Path, exc: OSError) -> KeystoreError:
    reason = exc.strerror or type(exc).__name__
    return KeystoreError(f"cannot {action} keystore {str(path)!r}: {reason}")


def validate_name(name: object) -> str:
    """Return ``name`` if it is a valid entry name, else raise ValidationError."""
    if not isinstance(name, str):
        raise ValidationError("name", f"must be str, got {type(name).__name__}")
    if not ENTRY_NAME.fullmatch(name):
        # The offending text is not quoted: a value pasted in the wrong place
        # must not end up in a log.
        raise ValidationError(
            "name",
            "must be 1 to 128 characters among letters, digits, '.', '_' and '-', "
            "starting with a letter or digit",
        )
    return name


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=info).derive(key)


def _passphrase_bytes(passphrase: object, field: str) -> bytes:
    passphrase = adopt_secret(passphrase, field)
    if isinstance(passphrase, Secret):
        value = passphrase.reveal()
    elif isinstance(passphrase, str):
        value = passphrase
    else:
        raise ValidationError(field, f"must be a Secret or str, got {type(passphrase).__name__}")
    if isinstance(value, str):
        if not value:
            raise ValidationError(field, "must not be empty")
        # The same passphrase typed on two systems may differ in normalisation.
        return unicodedata.normalize("NFC", value).encode("utf-8", "surrogatepass")
    return value


def _decode_key(material: bytes, field: str) -> bytes:
    """Read a 32-byte key given raw or as base64 text (standard or URL-safe alphabet)."""
    if len(material) == KEY_SIZE:
        return material
    key = b64decode_strict(material.strip()) or b""
    if len(key) != KEY_SIZE:
        raise ValidationError(field, "must be a 32-byte key, raw or written in base64")
    return key


def _key_bytes(key: object, field: str) -> bytes:
    key = adopt_secret(key, field)
    if isinstance(key, Secret):
        return _decode_key(key.reveal_bytes(), field)
    if isinstance(key, bytes | bytearray):
        return _decode_key(bytes(key), field)
    raise ValidationError(field, f"must be a Secret or bytes, got {type(key).__name__}")


def _read_key_file(key_file: str | os.PathLike[str]) -> bytes:
    path = Path(check_path("key_file", key_file))
    try:
        material = path.read_bytes()
    except OSError as exc:
        raise KeystoreError(
            f"cannot read key file {str(path)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    return _decode_key(material, "key_file")


class _KeySource:
    """How the key-encryption key is obtained: a passphrase (scrypt) or a raw key."""

    __slots__ = ("kdf", "log2_n", "material")

    def __init__(self, kdf: int, material: bytes, log2_n: int = 0) -> None:
        self.kdf = kdf
        self.material = material
        self.log2_n = log2_n

    def __repr__(self) -> str:
        return "_KeySource(<redacted>)"


def _key_source(
    passphrase: object,
    key: object,
    key_file: str | os.PathLike[str] | None,
    *,
    log2_n: int = DEFAULT_SCRYPT_LOG2_N,
) -> _KeySource:
    given = [x is not None for x in (passphrase, key, key_file)]
    if sum(given) != 1:
        raise ValidationError("passphrase", "give exactly one of passphrase, key or key_file")
    if passphrase is not None:
        return _KeySource(KDF_SCRYPT, _passphrase_bytes(passphrase, "passphrase"), log2_n)
    if key_file is not None:
        return _KeySource(KDF_RAW, _read_key_file(key_file))
    return _KeySource(KDF_RAW, _key_bytes(key, "key"))


def _check_log2_n(log2_n: object) -> int:
    if (
        not isinstance(log2_n, int)
        or isinstance(log2_n, bool)
        or not MIN_SCRYPT_LOG2_N <= log2_n <= MAX_SCRYPT_LOG2_N
    ):
        raise ValidationError(
            "scrypt_log2_n",
            f"must be an int from {MIN_SCRYPT_LOG2_N} to {MAX_SCRYPT_LOG2_N}",
        )
    return log2_n


class _Header:
    __slots__ = ("kdf", "log2_n", "p", "r", "salt", "wrap_nonce", "wrapped")

    def __init__(
        self, kdf: int, log2_n: int, r: int, p: int, salt: bytes, wrap_nonce: bytes, wrapped: bytes
    ) -> None:
        self.kdf = kdf
        self.log2_n = log2_n
        self.r = r
        self.p = p
        self.salt = salt
        self.wrap_nonce = wrap_nonce
        self.wrapped = wrapped

    def head(self) -> bytes:
        return _HEAD.pack(
            MAGIC,
            FORMAT_VERSION,
            0,
            self.kdf,
            self.log2_n,
            self.r,
            self.p,
            self.salt,
            self.wrap_nonce,
        )

    def pack(self) -> bytes:
        return self.head() + self.wrapped

    @classmethod
    def parse(cls, data: bytes, path: Path) -> _Header:
        if not data.startswith(MAGIC):
            if len(data) < len(MAGIC) and MAGIC.startswith(data):
                raise KeystoreError(f"keystore file {str(path)!r} is truncated")
            raise KeystoreError(f"{str(path)!r} is not a hf_api_governance keystore file")
        if len(data) < _MIN_FILE_SIZE:
            raise KeystoreError(f"keystore file {str(path)!r} is truncated or damaged")
        _magic, version, flags, kdf, log2_n, r, p, salt, nonce = _HEAD.unpack_from(data)
        if version != FORMAT_VERSION:
            raise KeystoreError(
                f"keystore file {str(path)!r} has format version {version}; "
                f"this library reads version {FORMAT_VERSION} (damaged, or written by a newer "
                "release)"
            )
        if flags != 0:
            raise _damaged(path)
        if kdf == KDF_SCRYPT:
            # Checked before the KDF runs (the header is authenticated only
            # after it): a damaged header may ask for no more than the library
            # ever writes, r and p fixed and n at most 2**20 (128*n*r = 1 GiB,
            # what create(scrypt_log2_n=20) costs), not 2 GiB and 4 passes.
            if not (
                MIN_SCRYPT_LOG2_N <= log2_n <= MAX_SCRYPT_LOG2_N and (r, p) == (SCRYPT_R, SCRYPT_P)
            ):
                raise _damaged(path)
        elif kdf == KDF_RAW:
            if (log2_n, r, p) != (0, 0, 0) or salt != bytes(SALT_SIZE):
                raise _damaged(path)
        else:
            raise _damaged(path)
        wrapped = data[_HEAD.size : _HEADER_SIZE]
        return cls(kdf, log2_n, r, p, salt, nonce, wrapped)


def _derive_kek(header: _Header, source: _KeySource) -> bytes:
    if header.kdf == KDF_RAW:
        return source.material
    kdf = Scrypt(salt=header.salt, length=KEY_SIZE, n=1 << header.log2_n, r=header.r, p=header.p)
    try:
        return kdf.derive(source.material)
    except MemoryError:
        pass
    # Raised outside the handler: no traceback frame or context to carry.
    need = 128 * (1 << header.log2_n) * header.r // (1 << 20)
    raise KeystoreError(
        f"not enough memory for the keystore's scrypt cost (n=2**{header.log2_n}, "
        f"about {need} MiB): raise the memory limit, or re-key with a lower scrypt_log2_n "
        "on a machine that has it"
    )


def _wrap(source: _KeySource, dek: bytes, fp_key: bytes) -> _Header:
    if source.kdf == KDF_SCRYPT:
        header = _Header(
            KDF_SCRYPT, source.log2_n, SCRYPT_R, SCRYPT_P, os.urandom(SALT_SIZE), b"", b""
        )
    else:
        header = _Header(KDF_RAW, 0, 0, 0, bytes(SALT_SIZE), b"", b"")
    header.wrap_nonce = os.urandom(NONCE_SIZE)
    kek = _derive_kek(header, source)
    header.wrapped = AESGCM(kek).encrypt(header.wrap_nonce, dek + fp_key, header.head())
    return header


class _Keys:
    __slots__ = ("aead", "dek", "fp_key", "mac_key")

    def __init__(self, dek: bytes, fp_key: bytes) -> None:
        self.dek = dek
        self.fp_key = fp_key
        self.aead = AESGCM(_hkdf(dek, _INFO_ENTRIES))
        self.mac_key = _hkdf(dek, _INFO_MAC)

    def __repr__(self) -> str:
        return "_Keys(<redacted>)"


def _mac(keys: _Keys, data: bytes) -> bytes:
    return hmac.new(keys.mac_key, data, hashlib.sha256).digest()


def _parse_body(data: bytes, path: Path) -> dict[str, tuple[bytes, bytes]]:
    """Parse the (already authenticated) entries: name -> (nonce, ciphertext)."""
    end = len(data) - MAC_SIZE
    (count,) = struct.unpack_from(">I", data, _HEADER_SIZE)
    pos = _BODY_START
    entries: dict[str, tuple[bytes, bytes]] = {}
    try:
        for _ in range(count):
            name_len = data[pos]
            name = data[pos + 1 : pos + 1 + name_len].decode("ascii")
            pos += 1 + name_len
            nonce = data[pos : pos + NONCE_SIZE]
            pos += NONCE_SIZE
            (ct_len,) = struct.unpack_from(">I", data, pos)
            pos += 4
            ct = data[pos : pos + ct_len]
            pos += ct_len
            if pos > end or len(nonce) != NONCE_SIZE or ct_len < TAG_SIZE or name in entries:
                raise _damaged(path)
            entries[validate_name(name)] = (nonce, ct)
    except (IndexError, struct.error, UnicodeDecodeError, ValidationError):
        raise _damaged(path) from None
    if pos != end:
        raise _damaged(path)
    return entries


def _entry_plaintext(secret: Secret) -> bytes:
    value = secret.reveal()
    kind = _KIND_STR if isinstance(value, str) else _KIND_BYTES
    cls = secret.classification.value.encode("ascii")
    label = secret.label
    if label is None:
        label_part = struct.pack(">H", _NO_LABEL)
    else:
        raw_label = label.encode("utf-8", "surrogatepass")
        label_part = struct.pack(">H", len(raw_label)) + raw_label
    return bytes([1, kind, len(cls)]) + cls + label_part + secret.reveal_bytes()


def _entry_secret(plain: bytes, fp_key: bytes) -> Secret:
    """Rebuild a Secret from an authenticated entry plaintext."""
    if plain[0] != 1:
        raise ValueError("entry format")
    kind = plain[1]
    pos = 3 + plain[2]
    classification = Classification(plain[3:pos].decode("ascii"))
    (label_len,) = struct.unpack_from(">H", plain, pos)
    pos += 2
    label: str | None = None
    if label_len != _NO_LABEL:
        label = plain[pos : pos + label_len].decode("utf-8", "surrogatepass")
        pos += label_len
    raw = plain[pos:]
    if kind == _KIND_STR:
        return Secret(
            raw.decode("utf-8", "surrogatepass"), classification, label, fingerprint_key=fp_key
        )
    if kind == _KIND_BYTES:
        return Secret(raw, classification, label, fingerprint_key=fp_key)
    raise ValueError("entry kind")


@final
class Keystore(Closing):
    """An encrypted file of named confidential values.

    Create one with :meth:`create`, open it with :meth:`open` (passphrase, raw
    key or key file) or :meth:`from_env`; the constructor is private. Use it
    as a context manager, or call :meth:`close`.

    Every value is encrypted with AES-256-GCM under a random data-encryption
    key (DEK) and bound to its entry name; the DEK is wrapped by a key derived
    from the passphrase with scrypt (``n=2**15, r=8, p=1`` by default, random
    16-byte salt) or by a raw 32-byte key. Each change rewrites the file
    atomically under an exclusive lock, so several processes may share one
    keystore. Entry *names* are stored in clear: never put a secret in a name.

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

    __slots__ = (
        "__weakref__",
        "_closed",
        "_decrypted",
        "_entries",
        "_file_fd",
        "_keys",
        "_lock_fd",
        "_mutex",
        "_path",
        "_stamp",
    )

    _path: Path
    _keys: _Keys | None
    _entries: dict[str, tuple[bytes, bytes]]
    _decrypted: dict[str, tuple[bytes, Secret]]
    _file_fd: int | None
    _stamp: tuple[int, int, int, int] | None
    _lock_fd: int | None
    _mutex: threading.RLock
    _closed: bool

    def __init__(self, _token: object, path: Path) -> None:
        if _token is not _PRIVATE:
            raise TypeError("use Keystore.create(), Keystore.open() or Keystore.from_env()")
        self._path = path
        self._keys = None
        self._entries = {}
        self._decrypted = {}
        self._file_fd = None
        self._stamp = None
        self._lock_fd = None
        self._mutex = threading.RLock()
        self._closed = False

    # -- construction ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: Secret | str | None = None,
        *,
        key: Secret | bytes | None = None,
        key_file: str | os.PathLike[str] | None = None,
        scrypt_log2_n: int = DEFAULT_SCRYPT_LOG2_N,
    ) -> Keystore:
        """Create a new, empty keystore file and return it open.

        Give exactly one of ``passphrase``, ``key`` or ``key_file``.

        Args:
            path: Where to create the file. It must not exist.
            passphrase: Protects the keystore through scrypt.
            key: A random 32-byte key (raw bytes, or base64 text in a
                :class:`Secret`) for unattended use; see :meth:`generate_key`.
            key_file: A file holding such a key in base64.
            scrypt_log2_n: scrypt cost ``n = 2**scrypt_log2_n`` (14 to 20;
                default 15, i.e. 32 MiB and about 60 ms). Ignored with a key.

        Returns:
            The open keystore.

        Raises:
            KeystoreError: The file exists or cannot be written.
            ValidationError: A parameter is invalid (names the field).
        """
        where = Path(check_path("path", path))
        source = _key_source(passphrase, key, key_file, log2_n=_check_log2_n(scrypt_log2_n))
        ks = cls._create(where, source)
        if ks is None:
            raise KeystoreError(f"keystore {str(where)!r} already exists; refusing to replace")
        return ks

    @classmethod
    def _create(cls, path: Path, source: _KeySource) -> Keystore | None:
        ks = cls(_PRIVATE, path)
        dek, fp_key = os.urandom(KEY_SIZE), os.urandom(KEY_SIZE)
        ks._keys = _Keys(dek, fp_key)
        header = _wrap(source, dek, fp_key)
        try:
            with ks._locked():
                ks._write(header.pack(), replace=False)
        except _AlreadyExists:
            ks.close()
            return None
        except BaseException:
            ks.close()
            raise
        _log.info("created keystore %s", path)
        return ks

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        passphrase: Secret | str | None = None,
        *,
        key: Secret | bytes | None = None,
        key_file: str | os.PathLike[str] | None = None,
    ) -> Keystore:
        """Open an existing keystore.

        Give exactly one of ``passphrase``, ``key`` or ``key_file``, matching
        how the keystore was created (or last re-keyed).

        Args:
            path: The keystore file.
            passphrase: The passphrase.
            key: The 32-byte key (raw bytes, or base64 text in a :class:`Secret`).
            key_file: A file holding the key in base64.

        Returns:
            The open keystore.

        Raises:
            KeystoreError: The file is missing, not a keystore, truncated or
                damaged, or the passphrase or key is wrong (one opaque message
                for the last two).
            ValidationError: A parameter is invalid.
        """
        where = Path(check_path("path", path))
        source = _key_source(passphrase, key, key_file)
        ks = cls(_PRIVATE, where)
        try:
            ks._load(source)
        except BaseException:
            ks.close()
            raise
        return ks

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
        source = _KeySource(KDF_RAW, _decode_key(raw.encode("ascii", "replace"), var))
        del raw
        if create:
            ks = cls._create(where, source)
            if ks is not None:
                return ks
        ks = cls(_PRIVATE, where)
        try:
            ks._load(source)
        except BaseException:
            ks.close()
            raise
        return ks

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
            keys = self._open_keys()
            nonce = os.urandom(NONCE_SIZE)
            ct = keys.aead.encrypt(nonce, _entry_plaintext(secret), _ENTRY_AD + name.encode())
            with self._locked():
                self._refresh()
                if not overwrite and name in self._entries:
                    raise KeystoreError(f"keystore entry {name!r} already exists")
                entries = dict(self._entries)
                entries[name] = (nonce, ct)
                self._commit(entries)
        _log.debug("stored keystore entry %s", name)

    def get(self, name: str) -> Secret:
        """Return the value stored under ``name``.

        The returned :class:`Secret` carries the stored classification and
        label, and this keystore's fingerprint key, so its
        :attr:`~hf_api_governance.Secret.fingerprint` is the same in every
        process sharing the keystore. A change made by another process is
        seen: the file is checked on every call. While an entry is unchanged,
        the same (immutable) :class:`Secret` is returned again; the keystore
        keeps it in memory, like its keys, until :meth:`close`.

        Raises:
            KeystoreEntryNotFound: No entry ``name``.
            KeystoreError: The entry cannot be decrypted.
            ValidationError: ``name`` is not a valid entry name.
        """
        validate_name(name)
        with self._mutex:
            keys = self._open_keys()
            self._refresh()
            try:
                nonce, ct = self._entries[name]
            except KeyError:
                raise KeystoreEntryNotFound(name) from None
            # The entry's Secret as last decrypted, while its ciphertext is unchanged
            # (the governed client reads its credential before every request).
            kept = self._decrypted.get(name)
            if kept is not None and kept[0] == ct:
                return kept[1]
            try:
                plain = keys.aead.decrypt(nonce, ct, _ENTRY_AD + name.encode())
            except InvalidTag:
                raise _damaged(self._path) from None
            try:
                secret = _entry_secret(plain, keys.fp_key)
            except (ValueError, IndexError, struct.error, ValidationError):
                raise _damaged(self._path) from None
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
        with self._mutex, self._locked():
            self._open_keys()
            self._refresh()
            if name not in self._entries:
                raise KeystoreEntryNotFound(name)
            entries = dict(self._entries)
            del entries[name]
            self._commit(entries)
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
            keys = self._open_keys()
            with self._locked():
                self._refresh()
                if new in self._entries:
                    raise KeystoreError(f"keystore entry {new!r} already exists")
                secret = self.get(old)
                nonce = os.urandom(NONCE_SIZE)
                ct = keys.aead.encrypt(nonce, _entry_plaintext(secret), _ENTRY_AD + new.encode())
                entries = dict(self._entries)
                del entries[old]
                entries[new] = (nonce, ct)
                self._commit(entries)
        _log.debug("renamed keystore entry %s to %s", old, new)

    def names(self) -> list[str]:
        """Return the entry names, sorted."""
        with self._mutex:
            self._open_keys()
            self._refresh()
            return sorted(self._entries)

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
            self._open_keys()
            self._refresh()
            return name in self._entries

    def __len__(self) -> int:
        with self._mutex:
            self._open_keys()
            self._refresh()
            return len(self._entries)

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
        source = _KeySource(KDF_SCRYPT, _passphrase_bytes(new, "new"), _check_log2_n(scrypt_log2_n))
        self._rewrap(source)
        _log.info("changed the passphrase of keystore %s", self._path)

    def change_key(self, key: Secret | bytes) -> None:
        """Protect the keystore with a raw 32-byte key from now on (see :meth:`generate_key`).

        Raises:
            KeystoreError: The keystore cannot be written.
            ValidationError: ``key`` is not a 32-byte key.
        """
        self._rewrap(_KeySource(KDF_RAW, _key_bytes(key, "key")))
        _log.info("changed the key of keystore %s", self._path)

    def _rewrap(self, source: _KeySource) -> None:
        with self._mutex:
            keys = self._open_keys()
            header = _wrap(source, keys.dek, keys.fp_key)
            with self._locked():
                self._refresh()
                self._commit(self._entries, header)

    # -- life cycle -----------------------------------------------------------

    @property
    def path(self) -> Path:
        """The keystore file."""
        return self._path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Forget the keys and release the files. Idempotent."""
        with self._mutex:
            self._closed = True
            self._keys = None
            self._entries = {}
            self._decrypted = {}
            for attr in ("_file_fd", "_lock_fd"):
                fd = getattr(self, attr)
                if fd is not None:
                    setattr(self, attr, None)
                    with contextlib.suppress(OSError):
                        os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self) -> str:
        if self._closed:
            return f"Keystore(path={str(self._path)!r}, closed)"
        return f"Keystore(path={str(self._path)!r}, entries={len(self._entries)})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be pickled: it holds decrypted keys")

    def __copy__(self) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be copied; open the file again")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise ConfidentialityError("a Keystore cannot be copied; open the file again")

    # -- file handling --------------------------------------------------------

    def _open_keys(self) -> _Keys:
        if self._closed or self._keys is None:
            raise KeystoreError(f"keystore {str(self._path)!r} is closed")
        return self._keys

    def _read_current(self) -> tuple[int, bytes, tuple[int, int, int, int]]:
        """Open the file at ``path``; return (fd, its whole content, its stamp before reading)."""
        # Opened non-blocking and checked before reading: a FIFO, a device or a
        # directory at the path is refused at once, never waited on or read.
        try:
            fd, st = open_regular(self._path, limit=MAX_FILE_SIZE)
        except FileNotFoundError:
            raise KeystoreError(f"keystore file {str(self._path)!r} does not exist") from None
        except OSError as exc:
            raise _os_error("open", self._path, exc) from None
        try:
            data = read_fd(fd, self._path, limit=MAX_FILE_SIZE)
        except OSError as exc:
            os.close(fd)
            raise _os_error("read", self._path, exc) from None
        except BaseException:
            os.close(fd)
            raise
        return fd, data, _stamp(st)

    def _load(self, source: _KeySource) -> None:
        fd, data, stamp = self._read_current()
        try:
            header = _Header.parse(data, self._path)
            if header.kdf != source.kdf:
                kind = "a passphrase" if header.kdf == KDF_SCRYPT else "a key"
                raise KeystoreError(
                    f"keystore {str(self._path)!r} is protected by {kind}; "
                    "open it with that, or the file is damaged"
                )
            kek = _derive_kek(header, source)
            try:
                unwrapped = AESGCM(kek).decrypt(header.wrap_nonce, header.wrapped, header.head())
            except InvalidTag:
                raise _damaged(self._path) from None
            keys = _Keys(unwrapped[:KEY_SIZE], unwrapped[KEY_SIZE:])
            self._accept(fd, data, keys, stamp)
        except BaseException:
            os.close(fd)
            raise
        self._keys = keys

    def _accept(self, fd: int, data: bytes, keys: _Keys, stamp: tuple[int, int, int, int]) -> None:
        """Authenticate ``data`` with ``keys`` and make it the current state, pinned by ``fd``."""
        if len(data) < _MIN_FILE_SIZE or not hmac.compare_digest(
            _mac(keys, data[:-MAC_SIZE]), data[-MAC_SIZE:]
        ):
            raise _damaged(self._path)
        entries = _parse_body(data, self._path)
        old, self._file_fd = self._file_fd, fd
        self._entries = entries
        self._decrypted = {}
        self._stamp = stamp
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)

    def _refresh(self) -> None:
        """Reload if another writer replaced the file since we last read it.

        The descriptor of the file we read stays open, so its inode cannot be
        reused: a different (device, inode) at ``path`` means a new version.
        Size and modification time catch an in-place edit by a foreign writer.
        """
        keys = self._open_keys()
        try:
            current = os.stat(self._path)
        except FileNotFoundError:
            raise KeystoreError(f"keystore file {str(self._path)!r} has been removed") from None
        except OSError as exc:
            raise _os_error("read", self._path, exc) from None
        if self._file_fd is not None and _stamp(current) == self._stamp:
            return
        fd, data, stamp = self._read_current()
        try:
            _Header.parse(data, self._path)
            self._accept(fd, data, keys, stamp)
        except BaseException:
            os.close(fd)
            raise
        _log.debug("reloaded keystore %s after a change by another writer", self._path)

    def _commit(
        self, entries: dict[str, tuple[bytes, bytes]], header: _Header | None = None
    ) -> None:
        """Write a new version of the file (the caller holds the lock)."""
        if header is None:
            if self._file_fd is None:  # pragma: no cover - always loaded by now
                raise KeystoreError(f"keystore {str(self._path)!r} is not loaded")
            head = os.pread(self._file_fd, _HEADER_SIZE, 0)
        else:
            head = header.pack()
        parts = [head, struct.pack(">I", len(entries))]
        for name in sorted(entries):
            nonce, ct = entries[name]
            raw_name = name.encode("ascii")
            parts += [bytes([len(raw_name)]), raw_name, nonce, struct.pack(">I", len(ct)), ct]
        data = b"".join(parts)
        if len(data) + MAC_SIZE > MAX_FILE_SIZE:
            raise KeystoreError(
                f"keystore {str(self._path)!r} would grow beyond {size_text(MAX_FILE_SIZE)}; "
                "delete entries that are no longer used"
            )
        self._write(data, replace=True)
        self._entries = entries
        self._decrypted = {}

    def _write(self, head_and_body: bytes, *, replace: bool) -> None:
        """Atomically replace (or create) the file with ``head_and_body`` + MAC."""
        keys = self._open_keys()
        if not replace:
            head_and_body += struct.pack(">I", 0)
        data = head_and_body + _mac(keys, head_and_body)
        directory = self._path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise _os_error("write", self._path, exc) from None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            if replace:
                os.replace(tmp, self._path)
            else:
                os.link(tmp, self._path)  # fails if the path exists: never replaces
                os.unlink(tmp)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if not replace and exc.errno == errno.EEXIST:
                raise _AlreadyExists(
                    f"keystore {str(self._path)!r} already exists; refusing to replace"
                ) from None
            raise _os_error("write", self._path, exc) from None
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(directory)
        old, self._file_fd = self._file_fd, fd
        self._stamp = _stamp(os.fstat(fd))
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the exclusive writer lock (``<path>.lock``, ``flock``)."""
        if sys.platform == "win32":  # pragma: no cover
            raise KeystoreError("writing a keystore needs POSIX file locks (flock)")
        if self._lock_fd is None:
            lock_path = self._path.with_name(self._path.name + ".lock")
            try:
                self._lock_fd = os.open(
                    lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600
                )
            except OSError as exc:
                raise _os_error("lock", self._path, exc) from None
        fd = self._lock_fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise _os_error("lock", self._path, exc) from None
        try:
            self._remove_stale_temporaries()
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _remove_stale_temporaries(self) -> None:
        # Writers create temporaries only while holding the lock, so any left
        # now belong to a writer that died mid-write.
        for stale in self._path.parent.glob(f".{glob_escape(self._path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


_PRIVATE: Final = object()


def glob_escape(text: str) -> str:
    """Escape glob metacharacters in a file name."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
