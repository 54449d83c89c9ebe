"""The keystore's keys: passphrase or raw key, scrypt, the wrapped data-encryption key.

A keystore's values are encrypted under a random data-encryption key (DEK);
the DEK (with the fingerprint key) is wrapped by a key-encryption key (KEK):
the passphrase through scrypt, or a raw 32-byte key. This module reads what
the caller gives (passphrase, key, key file, environment), derives the KEK,
wraps and unwraps the DEK, and derives the entry and MAC keys from it.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hf_api_governance._base.checks import check_path
from hf_api_governance._base.encoding import b64decode_strict
from hf_api_governance._confidential.keystore_format import (
    DEFAULT_SCRYPT_LOG2_N,
    FORMAT_VERSION,
    KDF_RAW,
    KDF_SCRYPT,
    KEY_SIZE,
    MAX_SCRYPT_LOG2_N,
    MIN_SCRYPT_LOG2_N,
    NONCE_SIZE,
    SALT_SIZE,
    SCRYPT_P,
    SCRYPT_R,
    Header,
    damaged,
)
from hf_api_governance._confidential.secret import Secret, adopt_secret
from hf_api_governance.exceptions import KeystoreError, ValidationError

_INFO_ENTRIES: Final = b"hf-api-governance/keystore/v1/entry-key"
_INFO_MAC: Final = b"hf-api-governance/keystore/v1/file-mac"


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=info).derive(key)


def passphrase_bytes(passphrase: object, field: str) -> bytes:
    """The passphrase as bytes (NFC-normalised text), or ValidationError naming ``field``."""
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


def decode_key(material: bytes, field: str) -> bytes:
    """Read a 32-byte key given raw or as base64 text (standard or URL-safe alphabet)."""
    if len(material) == KEY_SIZE:
        return material
    key = b64decode_strict(material.strip()) or b""
    if len(key) != KEY_SIZE:
        raise ValidationError(field, "must be a 32-byte key, raw or written in base64")
    return key


def key_bytes(key: object, field: str) -> bytes:
    """A raw key from a Secret or bytes, or ValidationError naming ``field``."""
    key = adopt_secret(key, field)
    if isinstance(key, Secret):
        return decode_key(key.reveal_bytes(), field)
    if isinstance(key, bytes | bytearray):
        return decode_key(bytes(key), field)
    raise ValidationError(field, f"must be a Secret or bytes, got {type(key).__name__}")


def _read_key_file(key_file: str | os.PathLike[str]) -> bytes:
    path = Path(check_path("key_file", key_file))
    try:
        material = path.read_bytes()
    except OSError as exc:
        raise KeystoreError(
            f"cannot read key file {str(path)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    return decode_key(material, "key_file")


class KeySource:
    """How the key-encryption key is obtained: a passphrase (scrypt) or a raw key."""

    __slots__ = ("kdf", "log2_n", "material")

    def __init__(self, kdf: int, material: bytes, log2_n: int = 0) -> None:
        self.kdf = kdf
        self.material = material
        self.log2_n = log2_n

    def __repr__(self) -> str:
        return "KeySource(<redacted>)"


def key_source(
    passphrase: object,
    key: object,
    key_file: str | os.PathLike[str] | None,
    *,
    log2_n: int = DEFAULT_SCRYPT_LOG2_N,
) -> KeySource:
    """The one way to unlock among ``passphrase``, ``key`` and ``key_file``."""
    given = [x is not None for x in (passphrase, key, key_file)]
    if sum(given) != 1:
        raise ValidationError("passphrase", "give exactly one of passphrase, key or key_file")
    if passphrase is not None:
        return KeySource(KDF_SCRYPT, passphrase_bytes(passphrase, "passphrase"), log2_n)
    if key_file is not None:
        return KeySource(KDF_RAW, _read_key_file(key_file))
    return KeySource(KDF_RAW, key_bytes(key, "key"))


def check_log2_n(log2_n: object) -> int:
    """``scrypt_log2_n`` if it is an int in range, else ValidationError."""
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


def derive_kek(header: Header, source: KeySource) -> bytes:
    """The key-encryption key for ``header``'s KDF and parameters."""
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


class Keys:
    """The unwrapped keys of an open keystore (never printed)."""

    __slots__ = ("aead", "dek", "fp_key", "kek", "mac_key")

    def __init__(self, dek: bytes, fp_key: bytes, kek: bytes) -> None:
        self.dek = dek
        self.fp_key = fp_key
        self.kek = kek
        self.aead = AESGCM(_hkdf(dek, _INFO_ENTRIES))
        self.mac_key = _hkdf(dek, _INFO_MAC)

    def __repr__(self) -> str:
        return "Keys(<redacted>)"


def wrap_with(kek: bytes, header: Header, dek: bytes, fp_key: bytes) -> Header:
    """``header`` (KDF and salt kept) at the current version, wrapping the keys under ``kek``."""
    header = header._replace(version=FORMAT_VERSION, wrap_nonce=os.urandom(NONCE_SIZE))
    wrapped = AESGCM(kek).encrypt(header.wrap_nonce, dek + fp_key, header.head())
    return header._replace(wrapped=wrapped)


def wrap(source: KeySource, dek: bytes, fp_key: bytes) -> tuple[Header, bytes]:
    """A new header (fresh salt and nonce) wrapping the keys for ``source``; and the KEK."""
    if source.kdf == KDF_SCRYPT:
        salt = os.urandom(SALT_SIZE)
        header = Header(
            FORMAT_VERSION, KDF_SCRYPT, source.log2_n, SCRYPT_R, SCRYPT_P, salt, b"", b""
        )
    else:
        header = Header(FORMAT_VERSION, KDF_RAW, 0, 0, 0, bytes(SALT_SIZE), b"", b"")
    kek = derive_kek(header, source)
    return wrap_with(kek, header, dek, fp_key), kek


def unwrap(header: Header, kek: bytes, path: Path) -> Keys:
    """The keys ``header`` wraps under ``kek``.

    Raises:
        KeystoreError: The KEK is wrong or the header damaged (one opaque message).
    """
    try:
        plain = AESGCM(kek).decrypt(header.wrap_nonce, header.wrapped, header.head())
    except InvalidTag:
        raise damaged(path) from None
    return Keys(plain[:KEY_SIZE], plain[KEY_SIZE:], kek)
