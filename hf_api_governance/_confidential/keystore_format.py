r"""The keystore file format: header, compacted base, journal of changes, seal.

A keystore file is a compacted *base* (every entry, sorted by name) followed
by a *journal* of the changes made since (one record per ``put``, ``delete``
or ``rename``), closed by a *seal*. A change appends one record and a new seal
where the old seal stood, so its cost does not depend on the number of
entries; when the journal outgrows the base, the next change rewrites the
file compacted (see :mod:`hf_api_governance._confidential.keystore`).

Format version 2 (integers big-endian; ``docs/security.md``, section
"Keystore", describes it for users)::

    offset size
         0    8  magic b"HFGOVKS\x00"
         8    2  format version (2; version 1 files are read, see below)
        10    2  flags (0)
        12    1  KDF: 0 = raw 32-byte key, 1 = scrypt
        13    1  scrypt log2(n)  (0 for a raw key)
        14    1  scrypt r        (0 for a raw key)
        15    1  scrypt p        (0 for a raw key)
        16   16  salt            (zeros for a raw key)
        32   12  nonce of the key wrap
        44   80  AES-256-GCM(KEK, DEK || fingerprint key), associated data = bytes 0..44
       124    4  number of base entries
       128    .  base entries, sorted by name: name length (1 byte), name (ASCII),
                 nonce (12), ciphertext length (4), ciphertext + tag
         .   32  base MAC: HMAC-SHA256(mac key, every byte before)         = T0
         .    .  journal records, each: the record, then its chained tag
                 Ti = HMAC-SHA256(mac key, RECORD_PREFIX || Ti-1 || record)
    end-32   32  seal: HMAC-SHA256(mac key, SEAL_PREFIX || Tn || offset of the seal, 8 bytes)

Journal records: operation (1 byte) then, for ``1`` (put) a name and an
entry (nonce, ciphertext length, ciphertext) as in the base; for ``2``
(delete) a name; for ``3`` (rename) the old name, the new name and the entry
encrypted under the new name. The chain binds every record to the base and to
every record before it, so a record removed, reordered, replayed, flipped or
spliced in from another keystore breaks a tag; the seal binds the end, so a
truncation or an extension breaks it too.

A version 1 file is the same base without journal and seal: the MAC closes
the file. It is read as it is; the first change rewrites it as version 2.

Entry plaintext: format (1), kind (0 = str, 1 = bytes), classification
(length-prefixed ASCII), label (2-byte length, 0xFFFF for none, UTF-8), value.
Entry associated data: ``b"hf-api-governance/keystore/v1/entry\x00" + name``.
The entry key and the MAC key are derived from the DEK with HKDF-SHA256.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Final, NamedTuple

from hf_api_governance._base.identifiers import ENTRY_NAME
from hf_api_governance._confidential.secret import Classification, Secret
from hf_api_governance.exceptions import KeystoreError, ValidationError

MAGIC: Final = b"HFGOVKS\x00"
FORMAT_VERSION: Final = 2
"""The version this release writes."""
BASE_ONLY_VERSION: Final = 1
"""The version of the previous releases: a base and its MAC, no journal. Still read."""
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

HEAD: Final = struct.Struct(">8sHHBBBB16s12s")  # magic .. wrap nonce: the wrap's associated data
WRAPPED_SIZE: Final = 2 * KEY_SIZE + TAG_SIZE
HEADER_SIZE: Final = HEAD.size + WRAPPED_SIZE  # 124
BODY_START: Final = HEADER_SIZE + 4
MIN_FILE_SIZE: Final = BODY_START + MAC_SIZE

ENTRY_AD: Final = b"hf-api-governance/keystore/v1/entry\x00"
RECORD_PREFIX: Final = b"hf-api-governance/keystore/v2/record\x00"
SEAL_PREFIX: Final = b"hf-api-governance/keystore/v2/seal\x00"

# Journal operations, and the kinds of value in an entry's plaintext.
OP_PUT, OP_DELETE, OP_RENAME = 1, 2, 3
_KIND_STR, _KIND_BYTES = 0, 1
_NO_LABEL: Final = 0xFFFF
_U32: Final = struct.Struct(">I")
_U64: Final = struct.Struct(">Q")

CANNOT_DECRYPT: Final = "cannot decrypt keystore: wrong passphrase or damaged file"

Entries = dict[str, tuple[bytes, bytes]]
"""Entry name -> (nonce, ciphertext), as stored."""

Op = tuple[int, str, str, bytes, bytes]
"""A journal operation: (code, name, new name or "", nonce or b"", ciphertext or b"")."""


def damaged(path: Path) -> KeystoreError:
    """The one opaque error for a wrong key and for a damaged file."""
    return KeystoreError(f"{CANNOT_DECRYPT} ({path})")


def damaged_journal(path: Path) -> KeystoreError:
    """The error for a journal that does not authenticate (the base did, with this key)."""
    return KeystoreError(
        f"{CANNOT_DECRYPT} ({path}): its journal of changes is damaged or ends in an "
        "interrupted write (a crash or power loss while a change was written); restore the "
        "file from a backup"
    )


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


# -- header --------------------------------------------------------------------


class Header(NamedTuple):
    """The first 124 bytes: how the data-encryption key is wrapped."""

    version: int
    kdf: int
    log2_n: int
    r: int
    p: int
    salt: bytes
    wrap_nonce: bytes
    wrapped: bytes

    def head(self) -> bytes:
        """Bytes 0..44: the associated data of the key wrap."""
        return HEAD.pack(
            MAGIC,
            self.version,
            0,
            self.kdf,
            self.log2_n,
            self.r,
            self.p,
            self.salt,
            self.wrap_nonce,
        )

    def pack(self) -> bytes:
        """The 124 header bytes."""
        return self.head() + self.wrapped


def parse_header(data: bytes, path: Path) -> Header:
    """Read and sanity-check the header (it is authenticated later, by the key wrap).

    Raises:
        KeystoreError: Not a keystore, truncated, an unknown version, or
            parameters this library never writes.
    """
    if not data.startswith(MAGIC):
        if len(data) < len(MAGIC) and MAGIC.startswith(data):
            raise KeystoreError(f"keystore file {str(path)!r} is truncated")
        raise KeystoreError(f"{str(path)!r} is not a hf_api_governance keystore file")
    if len(data) < MIN_FILE_SIZE:
        raise KeystoreError(f"keystore file {str(path)!r} is truncated or damaged")
    _magic, version, flags, kdf, log2_n, r, p, salt, nonce = HEAD.unpack_from(data)
    if version not in (BASE_ONLY_VERSION, FORMAT_VERSION):
        raise KeystoreError(
            f"keystore file {str(path)!r} has format version {version}; this library reads "
            f"versions {BASE_ONLY_VERSION} and {FORMAT_VERSION} (damaged, or written by a newer "
            "release)"
        )
    if flags != 0:
        raise damaged(path)
    if kdf == KDF_SCRYPT:
        # Checked before the KDF runs (the header is authenticated only
        # after it): a damaged header may ask for no more than the library
        # ever writes, r and p fixed and n at most 2**20 (128*n*r = 1 GiB,
        # what create(scrypt_log2_n=20) costs), not 2 GiB and 4 passes.
        if not (
            MIN_SCRYPT_LOG2_N <= log2_n <= MAX_SCRYPT_LOG2_N and (r, p) == (SCRYPT_R, SCRYPT_P)
        ):
            raise damaged(path)
    elif kdf == KDF_RAW:
        if (log2_n, r, p) != (0, 0, 0) or salt != bytes(SALT_SIZE):
            raise damaged(path)
    else:
        raise damaged(path)
    return Header(version, kdf, log2_n, r, p, salt, nonce, data[HEAD.size : HEADER_SIZE])


# -- MACs ------------------------------------------------------------------------


def mac(mac_key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data``: the base MAC."""
    return hmac.digest(mac_key, data, "sha256")


def chain(mac_key: bytes, previous: bytes, record: bytes) -> bytes:
    """The tag of a journal ``record`` that follows the tag ``previous``."""
    return hmac.digest(mac_key, RECORD_PREFIX + previous + record, "sha256")


def seal(mac_key: bytes, last: bytes, offset: int) -> bytes:
    """The seal closing a file whose last tag is ``last`` and whose seal starts at ``offset``."""
    return hmac.digest(mac_key, SEAL_PREFIX + last + _U64.pack(offset), "sha256")


# -- base and journal ---------------------------------------------------------------


def _read_name(data: bytes, pos: int) -> tuple[str, int]:
    size = data[pos]
    name = data[pos + 1 : pos + 1 + size].decode("ascii")
    if len(name) != size:
        raise IndexError("name")
    return validate_name(name), pos + 1 + size


def _read_entry(data: bytes, pos: int) -> tuple[bytes, bytes, int]:
    nonce = data[pos : pos + NONCE_SIZE]
    (ct_len,) = _U32.unpack_from(data, pos + NONCE_SIZE)
    start = pos + NONCE_SIZE + 4
    ct = data[start : start + ct_len]
    if len(nonce) != NONCE_SIZE or ct_len < TAG_SIZE or len(ct) != ct_len:
        raise IndexError("entry")
    return nonce, ct, start + ct_len


def encode_name(name: str) -> bytes:
    """A name as stored: its length (1 byte), then its ASCII text."""
    raw = name.encode("ascii")
    return bytes([len(raw)]) + raw


def encode_entry(nonce: bytes, ct: bytes) -> bytes:
    """An entry as stored after its name: nonce, ciphertext length, ciphertext."""
    return nonce + _U32.pack(len(ct)) + ct


def encode_base(header: bytes, entries: Entries) -> bytes:
    """Header, count and the sorted entries: everything the base MAC covers."""
    parts = [header, _U32.pack(len(entries))]
    for name in sorted(entries):
        parts += [encode_name(name), encode_entry(*entries[name])]
    return b"".join(parts)


def parse_base(data: bytes, path: Path) -> tuple[Entries, int]:
    """Parse the base entries: (name -> (nonce, ciphertext), offset where the base MAC starts).

    Raises:
        KeystoreError: The entries overrun the file or repeat a name.
    """
    limit = len(data) - MAC_SIZE
    entries: Entries = {}
    try:
        (count,) = _U32.unpack_from(data, HEADER_SIZE)
        pos = BODY_START
        for _ in range(count):
            name, pos = _read_name(data, pos)
            nonce, ct, pos = _read_entry(data, pos)
            if pos > limit or name in entries:
                raise IndexError("entry")
            entries[name] = (nonce, ct)
    except (IndexError, struct.error, UnicodeDecodeError, ValidationError):
        raise damaged(path) from None
    return entries, pos


def encode_op(op: Op) -> bytes:
    """The bytes of one journal record (without its tag)."""
    code, name, new, nonce, ct = op
    if code == OP_DELETE:
        return bytes([code]) + encode_name(name)
    names = encode_name(name) + (encode_name(new) if code == OP_RENAME else b"")
    return bytes([code]) + names + encode_entry(nonce, ct)


def _parse_op(data: bytes, pos: int) -> tuple[Op, int]:
    code = data[pos]
    name, pos = _read_name(data, pos + 1)
    if code == OP_DELETE:
        return (code, name, "", b"", b""), pos
    new = ""
    if code == OP_RENAME:
        new, pos = _read_name(data, pos)
    elif code != OP_PUT:
        raise IndexError("operation")
    nonce, ct, pos = _read_entry(data, pos)
    return (code, name, new, nonce, ct), pos


def read_journal(
    data: bytes, offset: int, tag: bytes, mac_key: bytes, path: Path
) -> tuple[list[Op], bytes]:
    """Authenticate the journal records and seal in ``data`` (read from file ``offset``).

    ``tag`` is the tag before the first record (the base MAC, or the last tag
    already read). Returns the operations and the last tag.

    Raises:
        KeystoreError: A tag or the seal does not match, or a record is cut.
    """
    ops: list[Op] = []
    pos = 0
    try:
        while len(data) - pos > MAC_SIZE:
            op, end = _parse_op(data, pos)
            stored = data[end : end + MAC_SIZE]
            tag = chain(mac_key, tag, data[pos:end])
            if not hmac.compare_digest(tag, stored):
                raise IndexError("tag")
            ops.append(op)
            pos = end + MAC_SIZE
    except (IndexError, struct.error, UnicodeDecodeError, ValidationError):
        raise damaged_journal(path) from None
    if len(data) - pos != MAC_SIZE or not hmac.compare_digest(
        seal(mac_key, tag, offset + pos), data[pos:]
    ):
        raise damaged_journal(path)
    return ops, tag


def apply_ops(entries: Entries, ops: Iterable[Op], path: Path) -> None:
    """Apply authenticated journal operations to ``entries`` (checked first: all or nothing).

    Raises:
        KeystoreError: An operation that no writer makes (a delete or
            rename of a missing entry, a rename onto an existing one).
    """
    ops = list(ops)
    live: dict[str, bool] = {}  # names the operations create (True) or remove (False)
    for code, name, new, _nonce, _ct in ops:
        if code != OP_PUT:
            missing = not live.get(name, name in entries)
            if missing or (code == OP_RENAME and live.get(new, new in entries)):
                raise damaged_journal(path)
            live[name] = False
        live[new if code == OP_RENAME else name] = code != OP_DELETE
    for code, name, new, nonce, ct in ops:
        if code == OP_PUT:
            entries[name] = (nonce, ct)
            continue
        del entries[name]
        if code == OP_RENAME:
            entries[new] = (nonce, ct)


# -- entry plaintext ----------------------------------------------------------------


def entry_plaintext(secret: Secret) -> bytes:
    """Serialise a Secret (value, classification, label) for encryption."""
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


def entry_secret(plain: bytes, fp_key: bytes) -> Secret:
    """Rebuild a Secret from an authenticated entry plaintext.

    Raises:
        ValueError: An unknown entry format or kind (a damaged entry).
    """
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
