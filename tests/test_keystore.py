"""The encrypted keystore: round trips, tamper evidence, atomicity, concurrency, no leaks."""

from __future__ import annotations

import base64
import copy
import doctest
import errno
import hashlib
import hmac
import logging
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import given, settings
from hypothesis import strategies as st

import hf_api_governance
from hf_api_governance import (
    Classification,
    ConfidentialityError,
    Keystore,
    KeystoreEntryNotFound,
    KeystoreError,
    Secret,
    ValidationError,
)
from hf_api_governance._base.identifiers import ENTRY_NAME
from hf_api_governance._confidential import keystore_file as ksfile
from hf_api_governance._confidential import keystore_format as ksformat
from hf_api_governance._confidential import keystore_keys as kskeys

CHEAP = 14  # the smallest scrypt cost the keystore accepts: keeps the suite fast
OPAQUE = "cannot decrypt keystore: wrong passphrase or damaged file"
REPO_ROOT = Path(hf_api_governance.__file__).resolve().parent.parent

names = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
values: st.SearchStrategy[str | bytes] = st.one_of(
    st.text(min_size=1, max_size=64), st.binary(min_size=1, max_size=64)
)
labels = st.none() | st.text(max_size=40).filter(str.isprintable)
secrets = st.builds(Secret, values, st.sampled_from(Classification), labels)


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def store(tmp_path: Path, key: bytes) -> Iterator[Keystore]:
    with Keystore.create(tmp_path / "keys.hfks", key=key) as ks:
        yield ks


def fill(ks: Keystore) -> dict[str, Secret]:
    content = {
        "aware-api": Secret("aware-value-0001", Classification.MIMECAST_CONFIDENTIAL, "Aware"),
        "engage.token": Secret(b"\x00engage\xffbytes!!", Classification.CUSTOMER_DATA),
        "okta_1": Secret("okta-value-00002", Classification.THIRD_PARTY_CONFIDENTIAL, "Okta é"),
    }
    for name, secret in content.items():
        ks.put(name, secret)
    return content


def same(a: Secret, b: Secret) -> bool:
    return a == b and a.label == b.label and type(a.reveal()) is type(b.reveal())


def outcome(path: Path, **creds: object) -> str | dict[str, Secret]:
    """Open and read everything: 'error' on KeystoreError, else the values read."""
    try:
        with Keystore.open(path, **creds) as ks:  # type: ignore[arg-type]
            return {name: ks.get(name) for name in ks.names()}
    except KeystoreError:
        return "error"


RECORD_PREFIX = b"hf-api-governance/keystore/v2/record\x00"
SEAL_PREFIX = b"hf-api-governance/keystore/v2/seal\x00"


def layout(data: bytes) -> tuple[int, list[tuple[int, int]], dict[str, tuple[int, int]]]:
    """Read a keystore file as docs/security.md describes it.

    Returns where the base MAC starts, the (start, end) of each journal record
    (its tag follows), and for each entry name where its current value (nonce,
    ciphertext length, ciphertext) stands.
    """

    def name_at(pos: int) -> tuple[str, int]:
        return data[pos + 1 : pos + 1 + data[pos]].decode(), pos + 1 + data[pos]

    def entry_end(pos: int) -> int:
        (ct_len,) = struct.unpack_from(">I", data, pos + 12)
        return int(pos + 16 + ct_len)

    (count,) = struct.unpack_from(">I", data, 124)
    pos, regions, records = 128, {}, []
    for _ in range(count):
        name, pos = name_at(pos)
        regions[name] = (pos, entry_end(pos))
        pos = regions[name][1]
    base_end = pos
    pos += 32
    version = struct.unpack_from(">H", data, 8)[0]
    while version == 2 and len(data) - pos > 32:
        start, op = pos, data[pos]
        name, pos = name_at(pos + 1)
        if op != 1:
            del regions[name]
        if op == 3:
            name, pos = name_at(pos)
        if op != 2:
            regions[name] = (pos, entry_end(pos))
            pos = regions[name][1]
        records.append((start, pos))
        pos += 32
    return base_end, records, regions


def entry_regions(data: bytes) -> list[tuple[str, int, int]]:
    """(name, offset of the nonce, end of the ciphertext) of each entry's current value."""
    return [(name, start, end) for name, (start, end) in layout(data)[2].items()]


def reseal(data: bytes, mac_key: bytes) -> bytes:
    """Recompute every MAC of a version 2 file, as someone holding the DEK could."""
    base_end, records, _ = layout(data)
    out = bytearray(data)
    tag = hmac.new(mac_key, data[:base_end], hashlib.sha256).digest()
    out[base_end : base_end + 32] = tag
    for start, end in records:
        tag = hmac.new(mac_key, RECORD_PREFIX + tag + out[start:end], hashlib.sha256).digest()
        out[end : end + 32] = tag
    at = (len(out) - 32).to_bytes(8, "big")
    out[-32:] = hmac.new(mac_key, SEAL_PREFIX + tag + at, hashlib.sha256).digest()
    return bytes(out)


def child_env(key: bytes) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["HF_GOV_KEYSTORE_KEY"] = base64.b64encode(key).decode()
    return env


# -- round trips ---------------------------------------------------------------


@given(st.dictionaries(names, secrets, min_size=1, max_size=5))
def test_put_then_get_returns_value_classification_and_label_also_after_reopen(
    content: dict[str, Secret],
) -> None:
    key = os.urandom(32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ks"
        with Keystore.create(path, key=key) as ks:
            for name, secret in content.items():
                ks.put(name, secret)
            for name, secret in content.items():
                assert same(ks.get(name), secret)
            assert ks.names() == sorted(content)
        with Keystore.open(path, key=key) as ks:
            assert ks.names() == sorted(content)
            for name, secret in content.items():
                got = ks.get(name)
                assert same(got, secret)
                assert got.reveal() == secret.reveal()
                assert name in ks


def test_passphrase_keystore_round_trips_and_put_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "ks"
    with Keystore.create(path, Secret("pass phrase"), scrypt_log2_n=CHEAP) as ks:
        ks.put("a", Secret("one"))
        ks.put("a", Secret("two", label="second"))
        with pytest.raises(KeystoreError, match="'a' already exists"):
            ks.put("a", Secret("three"), overwrite=False)
    with Keystore.open(path, "pass phrase") as ks:
        assert ks.get("a").reveal() == "two"
        assert ks.get("a").label == "second"
        assert len(ks) == 1


def test_a_missing_entry_is_a_keystore_lookup_error_naming_only_the_entry(
    store: Keystore,
) -> None:
    """get, delete and fingerprint raise KeystoreEntryNotFound (also KeystoreError, LookupError)."""
    fill(store)
    for operation in (store.get, store.delete, store.fingerprint):
        with pytest.raises(KeystoreEntryNotFound) as info:
            operation("no-such-entry")
        error = info.value
        assert isinstance(error, KeystoreError)
        assert isinstance(error, LookupError)
        assert error.name == "no-such-entry"
        assert str(error) == "no keystore entry named 'no-such-entry'"
    assert store.names() == ["aware-api", "engage.token", "okta_1"]  # nothing changed


def test_passphrases_are_compared_after_unicode_normalisation(tmp_path: Path) -> None:
    path = tmp_path / "ks"
    Keystore.create(path, "caf\u00e9", scrypt_log2_n=CHEAP).close()
    Keystore.open(path, "cafe\u0301").close()  # decomposed form of the same text


def test_delete_removes_an_entry_durably(store: Keystore, key: bytes) -> None:
    fill(store)
    store.delete("okta_1")
    assert "okta_1" not in store
    with pytest.raises(KeystoreEntryNotFound, match=r"^no keystore entry named 'okta_1'$"):
        store.get("okta_1")
    with pytest.raises(KeystoreEntryNotFound, match=r"^no keystore entry named 'okta_1'$"):
        store.delete("okta_1")
    with Keystore.open(store.path, key=key) as again:
        assert again.names() == ["aware-api", "engage.token"]


def test_fingerprint_uses_the_keystore_fingerprint_key(
    store: Keystore, key: bytes, tmp_path: Path
) -> None:
    store.put("a", Secret("same value"))
    fp = store.fingerprint("a")
    with Keystore.open(store.path, key=key) as again:
        assert again.fingerprint("a") == fp == again.get("a").fingerprint
    with Keystore.create(tmp_path / "other", key=key) as other:
        other.put("a", Secret("same value"))
        assert other.fingerprint("a") != fp  # each keystore has its own random key
    assert Secret("same value").fingerprint != fp  # not the per-process key


def test_fingerprint_is_stable_across_processes(store: Keystore, key: bytes) -> None:
    store.put("a", Secret("cross-process value"))
    code = (
        "import sys; from hf_api_governance import Keystore\n"
        "print(Keystore.from_env(sys.argv[1]).fingerprint('a'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(store.path)],
        env=child_env(key),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == store.fingerprint("a")


def test_two_threads_sharing_one_keystore_lose_no_entry(store: Keystore) -> None:
    def writer(prefix: str) -> None:
        for i in range(15):
            store.put(f"{prefix}{i}", Secret(f"{prefix}-value-{i}"))

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("t", "u")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 30
    assert store.get("u14").reveal() == "u-value-14"


def test_a_second_handle_sees_the_other_handles_changes(store: Keystore, key: bytes) -> None:
    with Keystore.open(store.path, key=key) as other:
        store.put("x", Secret("from the first"))
        assert other.get("x").reveal() == "from the first"
        other.put("y", Secret("from the second"))
        assert store.names() == ["x", "y"]
        # A value already read is read again once another handle replaced it.
        assert store.get("x").reveal() == "from the first"
        other.put("x", Secret("rotated by the second"))
        assert store.get("x").reveal() == "rotated by the second"
        other.delete("x")
        with pytest.raises(KeystoreEntryNotFound):
            store.get("x")


# -- names and parameters ------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["", ".hidden", "-x", "a/b", "a b", "x" * 129, "caf\u00e9", "a\x00", "a\n"]
)
def test_invalid_entry_names_raise_validation_error_naming_the_field(
    store: Keystore, bad: str
) -> None:
    for call in (lambda: store.put(bad, Secret("v")), lambda: store.get(bad)):
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.field == "name"
        if bad:
            assert bad not in str(info.value)  # a mistyped secret must not be echoed
    assert bad not in store


@given(st.text(max_size=140).filter(lambda s: not ENTRY_NAME.fullmatch(s)))
def test_any_name_outside_the_slug_pattern_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"^name: "):
        ksformat.validate_name(bad)


def test_longest_valid_name_is_accepted(store: Keystore) -> None:
    name = "a" + "b" * 127
    store.put(name, Secret("v"))
    assert store.get(name).reveal() == "v"


def test_put_refuses_what_is_not_a_secret(store: Keystore) -> None:
    with pytest.raises(ValidationError, match=r"^secret: must be a Secret, got str"):
        store.put("a", "plain text")  # type: ignore[arg-type]


def test_exactly_one_way_to_unlock_is_required(tmp_path: Path, key: bytes) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Keystore.create(tmp_path / "a")
    with pytest.raises(ValidationError, match="exactly one"):
        Keystore.create(tmp_path / "a", "pw", key=key)
    with pytest.raises(ValidationError, match=r"^scrypt_log2_n"):
        Keystore.create(tmp_path / "a", "pw", scrypt_log2_n=10)
    with pytest.raises(ValidationError, match=r"^passphrase: must not be empty"):
        Keystore.create(tmp_path / "a", "")
    with pytest.raises(ValidationError, match=r"^key: must be a 32-byte key"):
        Keystore.create(tmp_path / "a", key=b"short")
    assert not (tmp_path / "a").exists()


def test_key_can_be_raw_base64_a_key_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Keystore.generate_key()
    raw = base64.b64decode(key.reveal_bytes())
    assert len(raw) == 32
    path = tmp_path / "ks"
    with Keystore.create(path, key=key) as ks:
        ks.put("a", Secret("v"))
    key_file = tmp_path / "key.b64"
    key_file.write_bytes(base64.urlsafe_b64encode(raw).rstrip(b"=") + b"\n")
    assert outcome(path, key_file=key_file) != "error"
    assert outcome(path, key=raw) != "error"
    monkeypatch.setenv("MY_KS_KEY", key.reveal())  # type: ignore[arg-type]
    with Keystore.from_env(path, "MY_KS_KEY") as ks:
        assert ks.get("a").reveal() == "v"
    monkeypatch.delenv("MY_KS_KEY")
    with pytest.raises(KeystoreError, match="MY_KS_KEY is not set"):
        Keystore.from_env(path, "MY_KS_KEY")
    monkeypatch.setenv("MY_KS_KEY", "bm90IGEga2V5")
    with pytest.raises(ValidationError, match=r"^MY_KS_KEY: must be a 32-byte key"):
        Keystore.from_env(path, "MY_KS_KEY")
    with pytest.raises(KeystoreError, match="cannot read key file"):
        Keystore.open(path, key_file=tmp_path / "missing")


def test_from_env_can_create_then_reopens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_GOV_KEYSTORE_KEY", Keystore.generate_key().reveal())  # type: ignore[arg-type]
    path = tmp_path / "ks"
    with Keystore.from_env(path, create=True) as ks:
        ks.put("a", Secret("v"))
    with Keystore.from_env(path, create=True) as ks:  # exists: opened, not replaced
        assert ks.get("a").reveal() == "v"


# -- wrong keys, tampering, damaged files ----------------------------------------


def test_wrong_passphrase_or_key_is_an_opaque_keystore_error(tmp_path: Path, key: bytes) -> None:
    pw_path, key_path = tmp_path / "pw", tmp_path / "key"
    Keystore.create(pw_path, "right", scrypt_log2_n=CHEAP).close()
    Keystore.create(key_path, key=key).close()
    with pytest.raises(KeystoreError, match=f"^{OPAQUE}") as info:
        Keystore.open(pw_path, "wrong")
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    with pytest.raises(KeystoreError, match=f"^{OPAQUE}"):
        Keystore.open(key_path, key=os.urandom(32))
    with pytest.raises(KeystoreError, match="protected by a passphrase"):
        Keystore.open(pw_path, key=key)
    with pytest.raises(KeystoreError, match="protected by a key"):
        Keystore.open(key_path, "right")


def test_change_passphrase_retires_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "ks"
    with Keystore.create(path, "old", scrypt_log2_n=CHEAP) as ks:
        ks.put("a", Secret("value"))
        with Keystore.open(path, "old") as other:
            ks.change_passphrase(Secret("new"), scrypt_log2_n=CHEAP)
            assert other.get("a").reveal() == "value"  # an open handle keeps working
            other.put("b", Secret("still writable"))
    assert outcome(path, passphrase="old") == "error"
    got = outcome(path, passphrase="new")
    assert isinstance(got, dict)
    assert {n: s.reveal() for n, s in got.items()} == {"a": "value", "b": "still writable"}


def test_change_key_switches_from_passphrase_to_key(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "ks"
    with Keystore.create(path, "pw", scrypt_log2_n=CHEAP) as ks:
        ks.put("a", Secret("value"))
        ks.change_key(key)
    assert outcome(path, passphrase="pw") == "error"
    assert outcome(path, key=key) != "error"


# -- randomness -----------------------------------------------------------------

SALT = slice(16, 32)
WRAP_NONCE = slice(32, 44)


def entry_nonces(data: bytes) -> dict[str, bytes]:
    return {name: data[start : start + 12] for name, start, _ in entry_regions(data)}


def test_every_entry_nonce_is_fresh_also_when_the_same_entry_is_written_again(
    store: Keystore,
) -> None:
    """AES-GCM under one key: a repeated nonce would leak the XOR of two values."""
    store.put("a", Secret("same value"))
    store.put("b", Secret("same value"))
    first = entry_nonces(store.path.read_bytes())
    store.put("a", Secret("same value"))
    second = entry_nonces(store.path.read_bytes())
    assert second["b"] == first["b"]  # b was not rewritten
    nonces = [first["a"], first["b"], second["a"]]
    assert len(set(nonces)) == 3
    wrap_nonce = store.path.read_bytes()[WRAP_NONCE]
    assert wrap_nonce not in nonces


def test_two_keystores_with_one_passphrase_get_their_own_salt_and_wrap_nonce(
    tmp_path: Path,
) -> None:
    headers = []
    for name in ("one", "two"):
        with Keystore.create(tmp_path / name, "shared passphrase", scrypt_log2_n=CHEAP):
            pass
        headers.append((tmp_path / name).read_bytes()[: ksformat.HEADER_SIZE])
    one, two = headers
    assert one[SALT] != two[SALT]
    assert one[SALT] != bytes(16)
    assert one[WRAP_NONCE] != two[WRAP_NONCE]


def test_change_passphrase_draws_a_new_salt_and_wrap_nonce_even_for_the_same_passphrase(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ks"
    with Keystore.create(path, "pw", scrypt_log2_n=CHEAP) as ks:
        ks.put("a", Secret("value"))
        before = path.read_bytes()
        ks.change_passphrase("pw", scrypt_log2_n=CHEAP)
        after = path.read_bytes()
    assert after[SALT] != before[SALT]
    assert after[WRAP_NONCE] != before[WRAP_NONCE]
    assert after[: ksformat.HEADER_SIZE] != before[: ksformat.HEADER_SIZE]
    assert entry_nonces(after) == entry_nonces(before)  # the entries are not re-encrypted
    got = outcome(path, passphrase="pw")
    assert isinstance(got, dict)
    assert got["a"].reveal() == "value"


def test_the_keystore_file_is_private_to_its_owner_after_every_write(tmp_path: Path) -> None:
    """docs/security.md: mode 0600, even under umask 0, after create, put and re-keying."""
    old = os.umask(0)
    try:
        path = tmp_path / "ks"
        with Keystore.create(path, "pw", scrypt_log2_n=CHEAP) as ks:
            assert path.stat().st_mode & 0o777 == 0o600
            ks.put("a", Secret("value"))
            assert path.stat().st_mode & 0o777 == 0o600
            ks.change_passphrase("new pw", scrypt_log2_n=CHEAP)
            assert path.stat().st_mode & 0o777 == 0o600
            ks.delete("a")
            assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_every_flipped_byte_of_a_key_protected_file_is_detected(
    store: Keystore, key: bytes
) -> None:
    expected = fill(store)
    data = store.path.read_bytes()
    regions = entry_regions(data)
    assert len(regions) == 3
    damaged = store.path.with_name("damaged")
    for offset in range(len(data)):
        for mask in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[offset] ^= mask
            damaged.write_bytes(flipped)
            got = outcome(damaged, key=key)
            if got != "error":  # pragma: no cover - only if the format grew slack bytes
                assert isinstance(got, dict)
                assert got.keys() == expected.keys()
                assert all(same(got[n], expected[n]) for n in expected)
            # Every byte of the v1 format is authenticated: nothing goes unnoticed.
            assert got == "error", f"flip at offset {offset} went unnoticed"


def test_every_flipped_header_byte_of_a_passphrase_file_is_detected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One scrypt at n=2**14 per open, 124 opens: seconds. Scale n down by 2**12 for
    # create and every open; the derived key still depends on salt, n, r and p.
    real = Scrypt

    def scaled(*, salt: bytes, length: int, n: int, r: int, p: int) -> object:
        return real(salt=salt, length=length, n=n >> 12, r=r, p=p)

    monkeypatch.setattr(kskeys, "Scrypt", scaled)
    path = tmp_path / "ks"
    with Keystore.create(path, "pw", scrypt_log2_n=CHEAP) as ks:
        ks.put("a", Secret("value"))
    with Keystore.open(path, "pw") as ks:  # intact, it opens: only the flips are refused
        assert ks.get("a").reveal() == "value"
    data = path.read_bytes()
    damaged = tmp_path / "damaged"
    for offset in range(ksformat.HEADER_SIZE):  # magic, version, KDF params, salt, wrapped keys
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        damaged.write_bytes(flipped)
        assert outcome(damaged, passphrase="pw") == "error", offset


def _no_scrypt(*args: object, **kwargs: object) -> None:
    raise AssertionError("scrypt ran on a header the keystore never writes")


@pytest.mark.parametrize(
    ("log2_n", "r", "p"),
    [(20, 16, 4), (20, 16, 1), (20, 8, 4), (20, 9, 1), (14, 1, 1), (14, 8, 2), (21, 8, 1)],
)
def test_a_tampered_kdf_cost_is_refused_before_scrypt_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log2_n: int, r: int, p: int
) -> None:
    """A KDF cost the library never writes (up to 2 GiB / 20 s of scrypt) is refused unrun."""
    path = tmp_path / "ks"
    Keystore.create(path, "pw", scrypt_log2_n=CHEAP).close()
    data = bytearray(path.read_bytes())
    data[13:16] = bytes((log2_n, r, p))
    path.write_bytes(data)
    monkeypatch.setattr(kskeys, "Scrypt", _no_scrypt)
    with pytest.raises(KeystoreError, match=OPAQUE):
        Keystore.open(path, "pw")


def test_the_largest_cost_create_writes_is_still_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound admits every header the library writes (n=2**20, r=8, p=1)."""
    seen: list[tuple[int, int, int]] = []
    real = Scrypt

    def cheap(*, salt: bytes, length: int, n: int, r: int, p: int) -> object:
        seen.append((n, r, p))
        return real(salt=salt, length=length, n=1 << CHEAP, r=r, p=p)

    monkeypatch.setattr(kskeys, "Scrypt", cheap)
    path = tmp_path / "ks"
    with Keystore.create(path, "pw", scrypt_log2_n=ksformat.MAX_SCRYPT_LOG2_N) as ks:
        ks.put("a", Secret("value"))
    with Keystore.open(path, "pw") as ks:
        assert ks.get("a").reveal() == "value"
    assert seen == [(1 << 20, 8, 1)] * 2


class _HungryScrypt:
    def __init__(self, **kwargs: object) -> None:
        pass

    def derive(self, material: bytes) -> bytes:
        raise MemoryError


def test_running_out_of_memory_in_scrypt_is_a_keystore_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MemoryError from the KDF (a low ulimit) becomes KeystoreError, on open and create."""
    path = tmp_path / "ks"
    Keystore.create(path, "CANARYpassphrase-0123", scrypt_log2_n=CHEAP).close()
    monkeypatch.setattr(kskeys, "Scrypt", _HungryScrypt)
    with pytest.raises(KeystoreError, match="not enough memory") as info:
        Keystore.open(path, "CANARYpassphrase-0123")
    assert "CANARY" not in str(info.value)
    assert info.value.__cause__ is None
    with pytest.raises(KeystoreError, match="not enough memory"):
        Keystore.create(tmp_path / "new", "CANARYpassphrase-0123", scrypt_log2_n=CHEAP)


def test_truncated_files_are_refused_at_every_length(store: Keystore, key: bytes) -> None:
    fill(store)
    data = store.path.read_bytes()
    damaged = store.path.with_name("damaged")
    for length in range(len(data)):
        damaged.write_bytes(data[:length])
        with pytest.raises(KeystoreError):
            Keystore.open(damaged, key=key)
    damaged.write_bytes(data + b"\x00")
    with pytest.raises(KeystoreError, match=OPAQUE):
        Keystore.open(damaged, key=key)


@settings(max_examples=30)
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_are_not_a_keystore(junk: bytes, with_magic: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk"
        path.write_bytes((ksformat.MAGIC if with_magic else b"") + junk)
        with pytest.raises(KeystoreError):
            Keystore.open(path, key=os.urandom(32))


def test_empty_missing_foreign_and_future_files_have_clear_messages(
    tmp_path: Path, key: bytes
) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(KeystoreError, match="truncated"):
        Keystore.open(empty, key=key)
    with pytest.raises(KeystoreError, match="does not exist"):
        Keystore.open(tmp_path / "missing", key=key)
    with pytest.raises(KeystoreError, match="not a regular file"):
        Keystore.open(tmp_path, key=key)
    foreign = tmp_path / "foreign"
    foreign.write_bytes(b"SQLite format 3\x00" + bytes(300))
    with pytest.raises(KeystoreError, match="not a hf_api_governance keystore"):
        Keystore.open(foreign, key=key)
    future = tmp_path / "future"
    Keystore.create(future, key=key).close()
    data = bytearray(future.read_bytes())
    data[8:10] = (3).to_bytes(2, "big")
    future.write_bytes(data)
    with pytest.raises(KeystoreError, match="format version 3"):
        Keystore.open(future, key=key)


def test_swapped_ciphertexts_are_refused_even_with_a_recomputed_file_mac(
    store: Keystore, key: bytes
) -> None:
    store.put("alpha", Secret("value-number-one"))
    store.put("bravo", Secret("value-number-two"))  # same length: same ciphertext size
    keys = store._keys
    assert keys is not None
    data = store.path.read_bytes()
    (_, a0, a1), (_, b0, b1) = entry_regions(data)
    swapped = data[:a0] + data[b0:b1] + data[a1:b0] + data[a0:a1] + data[b1:]
    assert len(swapped) == len(data)
    damaged = store.path.with_name("swapped")
    damaged.write_bytes(swapped)
    # The file MAC notices the edit first...
    with pytest.raises(KeystoreError, match=OPAQUE):
        Keystore.open(damaged, key=key)
    # ...and with the MACs forged by someone holding the DEK, the name binding still holds.
    damaged.write_bytes(reseal(swapped, keys.mac_key))
    with Keystore.open(damaged, key=key) as ks:
        for name in ("alpha", "bravo"):
            with pytest.raises(KeystoreError, match=OPAQUE):
                ks.get(name)


def test_rolling_back_one_entry_to_an_older_ciphertext_is_refused(
    store: Keystore, key: bytes
) -> None:
    store.put("a", Secret("old-value"))
    old = store.path.read_bytes()
    store.put("a", Secret("new-value"))
    new = store.path.read_bytes()
    ((_, o0, o1),), ((_, n0, n1),) = entry_regions(old), entry_regions(new)
    store.path.write_bytes(new[:n0] + old[o0:o1] + new[n1:])
    assert outcome(store.path, key=key) == "error"


def test_a_damaged_replacement_is_refused_by_an_open_handle(store: Keystore, key: bytes) -> None:
    fill(store)
    data = bytearray(store.path.read_bytes())
    data[-40] ^= 0x01
    replacement = store.path.with_name("replacement")
    replacement.write_bytes(data)
    os.replace(replacement, store.path)
    with pytest.raises(KeystoreError, match=OPAQUE):
        store.get("aware-api")


def test_create_refuses_an_existing_file_and_leaves_it_alone(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "ks"
    path.write_bytes(b"precious")
    with pytest.raises(KeystoreError, match="already exists"):
        Keystore.create(path, key=key)
    assert path.read_bytes() == b"precious"


def test_os_errors_become_keystore_errors(tmp_path: Path, key: bytes) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    with pytest.raises(KeystoreError, match="cannot") as info:
        Keystore.create(not_a_dir / "ks", key=key)
    assert not isinstance(info.value, OSError)
    with pytest.raises(KeystoreError, match="No such file or directory"):
        Keystore.create(tmp_path / "no" / "such" / "dir" / "ks", key=key)


def test_a_removed_file_is_reported(store: Keystore) -> None:
    store.path.unlink()
    with pytest.raises(KeystoreError, match="has been removed"):
        store.names()


# -- no leaks ------------------------------------------------------------------


def test_repr_shows_path_and_count_only(store: Keystore) -> None:
    fill(store)
    assert repr(store) == f"Keystore(path={str(store.path)!r}, entries=3)"
    store.close()
    assert repr(store) == f"Keystore(path={str(store.path)!r}, closed)"


def test_a_keystore_cannot_be_pickled_or_copied(store: Keystore) -> None:
    with pytest.raises(ConfidentialityError):
        pickle.dumps(store)
    with pytest.raises(ConfidentialityError):
        copy.copy(store)
    with pytest.raises(ConfidentialityError):
        copy.deepcopy(store)


def encodings(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
    ]


def test_canary_values_and_passphrases_never_reach_the_disk_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hf_api_governance")
    old_pw, new_pw = "canary-old-passphrase-7f3a", "canary-new-passphrase-91bc"
    canaries = {"v1": "canary-value-ALPHA-4410", "v2": "canary-value-BRAVO-5521"}
    path = tmp_path / "ks"
    with Keystore.create(path, old_pw, scrypt_log2_n=CHEAP) as ks:
        for name, value in canaries.items():
            ks.put(name, Secret(value, label="label"))
        ks.change_passphrase(new_pw, scrypt_log2_n=CHEAP)
        ks.delete("v2")
        messages = [repr(ks), str(ks), *ks.names()]
    for attempt in (old_pw, "other"):
        try:
            Keystore.open(path, attempt)
        except KeystoreError as exc:
            messages.append(str(exc))
    with Keystore.open(path, new_pw) as ks:
        assert ks.get("v1").reveal() == canaries["v1"]
    files = sorted(tmp_path.iterdir())  # the keystore, its lock file, any temporary
    assert {f.name for f in files} == {"ks", "ks.lock"}
    blobs = [f.read_bytes() for f in files]
    blobs.append("\n".join([*messages, caplog.text]).encode())
    assert "keystore" in caplog.text  # the log was captured, and is clean:
    for secret in [old_pw, new_pw, *canaries.values()]:
        for needle in encodings(secret.encode()):
            for blob in blobs:
                assert needle not in blob


def test_secret_values_never_appear_in_error_messages(store: Keystore) -> None:
    store.put("a", Secret("value-that-must-not-leak"))
    store.path.write_bytes(b"garbage")
    with pytest.raises(KeystoreError) as info:
        store.get("a")
    assert "value-that-must-not-leak" not in str(info.value)


# -- life cycle ----------------------------------------------------------------


def test_close_forgets_keys_and_refuses_further_use(store: Keystore) -> None:
    store.put("a", Secret("v"))
    with store as same_store:
        assert same_store is store
    assert store.closed
    store.close()  # idempotent
    for call in (lambda: store.get("a"), lambda: store.put("b", Secret("v")), store.names):
        with pytest.raises(KeystoreError, match="is closed"):
            call()
    assert store._keys is None


def test_the_constructor_is_private(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"Keystore\.create"):
        Keystore(object(), tmp_path)


def test_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(Keystore, "Keystore", globs={"Keystore": Keystore, "Secret": Secret}):
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 4


# -- processes: crashes and concurrency -------------------------------------------

WRITER = """
import sys
from hf_api_governance import Keystore, Secret
prefix, count = sys.argv[2], int(sys.argv[3])
ks = Keystore.from_env(sys.argv[1])
for i in range(count):
    ks.put(f"{prefix}{i}", Secret(f"value-{prefix}{i}-" + "x" * (i % 50)))
    print(f"{prefix}{i}", flush=True)
"""


def expected_value(name: str) -> str:
    i = int(name[len(name.rstrip("0123456789")) :])
    return f"value-{name}-" + "x" * (i % 50)


@pytest.mark.slow
def test_sigkill_during_puts_never_loses_a_completed_put(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "ks"
    Keystore.create(path, key=key).close()
    rng = random.Random(1234)
    reported: list[str] = []
    for round_no in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"r{round_no}-", "100000"],
            env=child_env(key),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        wait_for = rng.randrange(0, 60)
        for _ in range(wait_for):
            if not child.stdout.readline():
                break
        time.sleep(rng.uniform(0, 0.02))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # Lines written before the kill are still in the pipe.
        reported += [line for line in child.stdout.read().splitlines() if line]
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        with Keystore.open(path, key=key) as ks:
            present = set(ks.names())
            assert set(reported) <= present
            for name in reported:
                assert ks.get(name).reveal() == expected_value(name)
            for name in present - set(reported):  # completed but killed before reporting
                assert ks.get(name).reveal() == expected_value(name)
    assert len(reported) > 0
    with Keystore.open(path, key=key) as ks:  # the next writer sweeps the dead temporaries
        ks.put("after", Secret("v"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ks", "ks.lock"]


@pytest.mark.slow
def test_concurrent_writer_processes_lose_no_entry(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "ks"
    Keystore.create(path, key=key).close()
    per_child = 25
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), prefix, str(per_child)],
            env=child_env(key),
            stdout=subprocess.DEVNULL,
        )
        for prefix in ("a", "b", "c", "d")
    ]
    with Keystore.open(path, key=key) as ks:  # the parent writes at the same time
        for i in range(per_child):
            ks.put(f"p{i}", Secret(f"value-p{i}-" + "x" * (i % 50)))
    for child in children:
        assert child.wait(timeout=120) == 0
    with Keystore.open(path, key=key) as ks:
        names = ks.names()
        assert len(names) == 5 * per_child
        for name in names:
            assert ks.get(name).reveal() == expected_value(name)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda tmp: Keystore.open(None, "pw"), "path"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.open(42, "pw"), "path"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.create(None, "pw", scrypt_log2_n=CHEAP), "path"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.open(tmp / "ks", key_file=42), "key_file"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.from_env(None), "path"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.from_env(tmp / "ks", var=None), "var"),  # type: ignore[arg-type]
        (lambda tmp: Keystore.from_env(tmp / "ks", var=""), "var"),
        (lambda tmp: Keystore.from_env(tmp / "ks", var="A=B"), "var"),
    ],
)
def test_bad_paths_and_variable_names_are_validation_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: Any, field: str
) -> None:
    """Bad paths and variable names are ValidationErrors, not TypeErrors from os.fspath/environ."""
    monkeypatch.setenv("HF_GOV_KEYSTORE_KEY", base64.b64encode(bytes(32)).decode())
    with pytest.raises(ValidationError) as info:
        call(tmp_path)
    assert info.value.field == field


# ------------------------------------------------------------------ bad files, rename


def test_opening_a_fifo_or_a_device_fails_at_once(tmp_path: Path, key: bytes) -> None:
    """A plain open() of a FIFO waits for a writer forever; /dev/zero never ends."""
    fifo = tmp_path / "keys.hfks"
    os.mkfifo(fifo)
    with pytest.raises(KeystoreError, match="not a regular file: it is a named pipe"):
        Keystore.open(fifo, key=key)
    zero = tmp_path / "zero.hfks"
    zero.symlink_to("/dev/zero")
    with pytest.raises(KeystoreError, match="it is a character device"):
        Keystore.open(zero, key=key)


def test_a_keystore_file_over_the_size_cap_is_refused_unread(
    tmp_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.hfks"
    with Keystore.create(path, key=key) as ks:
        ks.put("small", Secret("v" * 100))
        monkeypatch.setattr(ksformat, "MAX_FILE_SIZE", path.stat().st_size + 500)
        with pytest.raises(KeystoreError, match="would grow beyond"):
            ks.put("large", Secret("v" * 1000))
        assert ks.names() == ["small"]
    monkeypatch.setattr(ksformat, "MAX_FILE_SIZE", 200)
    with pytest.raises(KeystoreError, match="larger than the 200 bytes limit"):
        Keystore.open(path, key=key)


def test_rename_moves_the_value_in_one_write_and_keeps_its_fingerprint(
    tmp_path: Path, key: bytes
) -> None:
    path = tmp_path / "keys.hfks"
    with Keystore.create(path, key=key) as ks:
        ks.put("old-name", Secret("value-0001", Classification.THIRD_PARTY_CONFIDENTIAL, "Okta"))
        ks.put("other", Secret("value-0002"))
        before = ks.get("old-name")
        ks.rename("old-name", "new-name")
        assert ks.names() == ["new-name", "other"]
    with Keystore.open(path, key=key) as again:
        after = again.get("new-name")
        assert same(after, before)
        assert after.fingerprint == before.fingerprint
        with pytest.raises(KeystoreEntryNotFound):
            again.rename("old-name", "x")
        with pytest.raises(KeystoreError, match="already exists"):
            again.rename("new-name", "other")
        with pytest.raises(ValidationError, match="must differ"):
            again.rename("other", "other")
        with pytest.raises(ValidationError):
            again.rename("other", "bad\n")
        assert again.names() == ["new-name", "other"]


def test_entry_names_with_a_trailing_newline_are_refused(store: Keystore) -> None:
    """``"okta\\n"`` must not be a second entry that prints like ``"okta"``."""
    store.put("okta", Secret("v"))
    with pytest.raises(ValidationError):
        store.put("okta\n", Secret("w"))
    assert "okta\n" not in store
    assert store.names() == ["okta"]


# -- format 2: the journal -------------------------------------------------------------

# Written by the previous release (format 1: a base and its MAC, no journal), with the
# test key bytes(range(32)): aware-api, engage.token and okta_1 as fill() writes them.
FORMAT_1_KEY = bytes(range(32))
FORMAT_1_FILE = base64.b64decode(
    "SEZHT1ZLUwAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAABo7RFRvGt2WYzNBbhYDMiqx7wVvp7ii28ubHkBU68HjbnJ"
    "Ay5j760NwAybZWCIBdJ753Ef8cncd0p96YaTYs8yG9/H9YGg14vaXtT1/4nJM/Ij84yNC/9KlBGLpAAAAAMJYXdh"
    "cmUtYXBpEPY06uAoy1g9g4rTAAAAP7P69cIGMecBzEm22hxteTaEVLeUaRVlzVgn5QW30T4zMTkyKvBlhIsssp74"
    "toImIPpw+CZ9gKnhwQdMusTeigxlbmdhZ2UudG9rZW5Bm0m4Uif//CKvpe0AAAAxVBQGbPU5AzCpbemzbVF2Z0Xo"
    "txMy7WxAs/h8F3fxKQdphx91+jqHWLZw2Nto0tVdlQZva3RhXzGgHEPXj0acy9oKK+MAAABEmB6nZxK7pbNr2FD2"
    "xLcTd56UWvc1JosyjKk1XP9AyYo9+TJDM0JGBehFZzB7F5IpdEkb6elIiXn563XX54qftsOJ2zHu7GA0ynwRhvBM"
    "d+mE3owMC3xv/zPv89u81FG4Eexa1g=="
)
# The same release, passphrase "format-1 passphrase" at scrypt n=2**14: entry a = "value-of-a".
FORMAT_1_PASSPHRASE_FILE = base64.b64decode(
    "SEZHT1ZLUwAAAQAAAQ4IAZGh3MOIEyc/jXapPi/hzQpFUYwVrk9TpY5CQ8MW9mt0rwCZM+T78NKn0Y9jyx8CsPCI"
    "iNMbAoW/cEnP2Y3i6e6mEminAZ2oBXzo2VNryvUIQXE2B2RJQ1C93cY9uamLpTHMa46Gtu+w7eIztQAAAAEBYYO2"
    "eT0vw4zLCfFgqAAAADR0uMSdpLzysFTPTIhYKQW/qdgd8RCenP0Yyj8/P6DAU11+MAuURyRGP6Vi5OETCVaX0Q+r"
    "d256Rer+YLsidqSHCVRVzYKxUVncVslWyEQNyIwSHI4="
)


def format_1_content() -> dict[str, Secret]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Keystore.create(Path(tmp) / "ks", key=b"k" * 32) as ks,
    ):
        return fill(ks)


def test_a_format_1_keystore_opens_and_every_flip_truncation_or_extension_is_detected(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ks"
    path.write_bytes(FORMAT_1_FILE)
    got = outcome(path, key=FORMAT_1_KEY)
    expected = format_1_content()
    assert isinstance(got, dict)
    assert got.keys() == expected.keys()
    assert all(same(got[name], expected[name]) for name in expected)
    for offset in range(len(FORMAT_1_FILE)):
        flipped = bytearray(FORMAT_1_FILE)
        flipped[offset] ^= 0x01
        path.write_bytes(flipped)
        assert outcome(path, key=FORMAT_1_KEY) == "error", offset
    for damaged in (FORMAT_1_FILE[:-1], FORMAT_1_FILE[:-33], FORMAT_1_FILE + bytes(33)):
        path.write_bytes(damaged)
        assert outcome(path, key=FORMAT_1_KEY) == "error"


@pytest.mark.parametrize("protection", ["key", "passphrase"])
def test_a_format_1_keystore_is_upgraded_by_its_first_change_and_keeps_its_key(
    tmp_path: Path, protection: str
) -> None:
    path = tmp_path / "ks"
    if protection == "key":
        path.write_bytes(FORMAT_1_FILE)
        creds: dict[str, Any] = {"key": FORMAT_1_KEY}
    else:
        path.write_bytes(FORMAT_1_PASSPHRASE_FILE)
        creds = {"passphrase": "format-1 passphrase"}
    with Keystore.open(path, **creds) as ks:
        before = {name: ks.get(name) for name in ks.names()}
        assert path.read_bytes()[8:10] == b"\x00\x01"  # reading writes nothing
        ks.put("new-entry", Secret("new value"))
        after = path.read_bytes()
    assert after[8:10] == b"\x00\x02"
    assert (
        after[16:32] == (FORMAT_1_FILE if protection == "key" else FORMAT_1_PASSPHRASE_FILE)[16:32]
    )
    got = outcome(path, **creds)
    assert isinstance(got, dict)
    assert got.pop("new-entry").reveal() == "new value"
    assert got.keys() == before.keys()
    assert all(same(got[name], before[name]) for name in before)
    assert all(got[name].fingerprint == before[name].fingerprint for name in before)


operations = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "rename"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.binary(min_size=1, max_size=20),
    ),
    min_size=1,
    max_size=12,
)


def run(ks: Keystore, ops: list[tuple[str, str, str, bytes]]) -> dict[str, bytes]:
    """Apply ``ops`` to ``ks`` (skipping those that would fail); return the expected content."""
    model: dict[str, bytes] = {}
    for op, name, other, value in ops:
        if op == "put":
            ks.put(name, Secret(value))
            model[name] = value
        elif op == "delete" and name in model:
            ks.delete(name)
            del model[name]
        elif op == "rename" and name in model and other not in model:
            ks.rename(name, other)
            model[other] = model.pop(name)
    return model


@settings(max_examples=40, deadline=None)
@given(
    operations,
    st.booleans(),
    st.sampled_from(["flip", "truncate", "extend"]),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=7),
    st.binary(min_size=1, max_size=80),
)
def test_any_flip_truncation_or_extension_of_a_journaled_file_is_detected(
    ops: list[tuple[str, str, str, bytes]],
    compact_often: bool,
    damage: str,
    where: int,
    bit: int,
    junk: bytes,
) -> None:
    """Never a wrong value: the intact file reads back exactly, every damaged one is refused."""
    key = os.urandom(32)
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        if compact_often:  # a compacted base with a journal after it
            mp.setattr(ksfile, "COMPACT_SLACK", 0)
        path = Path(tmp) / "ks"
        with Keystore.create(path, key=key) as ks:
            model = run(ks, ops)
        got = outcome(path, key=key)
        assert isinstance(got, dict)
        assert {name: secret.reveal_bytes() for name, secret in got.items()} == model
        data = path.read_bytes()
        if damage == "flip":
            changed = bytearray(data)
            changed[where % len(data)] ^= 1 << bit
            data = bytes(changed)
        elif damage == "truncate":
            data = data[: where % len(data)]
        else:
            data += junk
        path.write_bytes(data)
        assert outcome(path, key=key) == "error"


def test_every_truncation_inside_the_journal_is_refused_with_a_clear_message(
    store: Keystore, key: bytes
) -> None:
    """A crash (power loss) mid-append leaves a cut last record: refused, never half-read."""
    store.put("a", Secret("first"))
    before = store.path.read_bytes()
    store.put("a", Secret("second"))
    store.put("b", Secret("third"))
    data = store.path.read_bytes()
    base_end, records, _ = layout(data)
    assert len(records) == 3
    damaged = store.path.with_name("cut")
    for length in range(base_end + 32, len(data)):
        damaged.write_bytes(data[:length])
        with pytest.raises(KeystoreError, match="interrupted write") as info:
            Keystore.open(damaged, key=key)
        assert "first" not in str(info.value)
    # Cut where the previous state ended (its seal gone): refused as well.
    damaged.write_bytes(data[: len(before) - 32])
    assert outcome(damaged, key=key) == "error"


def test_a_failed_append_puts_the_previous_state_back(
    store: Keystore, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk in the middle of an append: the put fails, the file still opens as before."""
    store.put("a", Secret("kept"))
    before = store.path.read_bytes()
    real = os.pwrite
    calls: list[int] = []

    def half_then_full(fd: int, data: Any, offset: int) -> int:
        calls.append(offset)
        if len(calls) == 1:
            real(fd, bytes(data)[: len(data) // 2], offset)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", half_then_full)
    with pytest.raises(KeystoreError, match="No space left"):
        store.put("a", Secret("lost"))
    monkeypatch.setattr(os, "pwrite", real)
    assert store.path.read_bytes() == before
    got = outcome(store.path, key=key)
    assert isinstance(got, dict)
    assert got["a"].reveal() == "kept"
    store.put("b", Secret("next"))  # the handle goes on
    assert store.get("a").reveal() == "kept"


def test_another_handle_sees_puts_deletes_renames_and_compactions_on_the_next_get(
    store: Keystore, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Keystore.open(store.path, key=key) as other:
        store.put("a", Secret("one"))
        assert other.get("a").reveal() == "one"
        store.put("a", Secret("two"))
        assert other.get("a").reveal() == "two"
        store.rename("a", "b")
        assert other.names() == ["b"]
        assert other.get("b").reveal() == "two"
        store.delete("b")
        with pytest.raises(KeystoreEntryNotFound):
            other.get("b")
        assert "b" not in other._decrypted  # a deleted value is not kept in memory
        monkeypatch.setattr(ksfile, "COMPACT_SLACK", 0)
        for i in range(20):
            store.put("c", Secret(f"value-{i}"))
            assert other.get("c").reveal() == f"value-{i}"
        other.put("d", Secret("from the other handle"))
        assert store.get("d").reveal() == "from the other handle"


def test_the_journal_is_compacted_so_the_file_stays_proportional_to_its_entries(
    store: Keystore, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ksfile, "COMPACT_SLACK", 1024)
    for i in range(300):
        store.put(f"entry-{i % 5}", Secret(f"value-{i:04d}"))
    base_end, _records, regions = layout(store.path.read_bytes())
    assert len(regions) == 5
    assert store.path.stat().st_size < 2 * base_end + 1024 + 200  # not 300 records
    got = outcome(store.path, key=key)
    assert isinstance(got, dict)
    assert {n: s.reveal() for n, s in got.items()} == {
        f"entry-{i}": f"value-{295 + i:04d}" for i in range(5)
    }


def test_a_reader_never_sees_half_an_append(store: Keystore, key: bytes) -> None:
    """Readers take the shared lock while they read a change: no spurious damaged file."""
    store.put("counter", Secret("0"))
    errors: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        try:
            for i in range(1, 60):
                store.put("counter", Secret(str(i)))
                store.put(f"filler-{i % 7}", Secret("x" * (i % 90 + 1)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    writer = threading.Thread(target=write)
    with Keystore.open(store.path, key=key) as reader:
        writer.start()
        last = 0
        while not stop.is_set():
            value = int(reader.get("counter").reveal())
            assert value >= last
            last = value
        writer.join()
        assert reader.get("counter").reveal() == "59"
    assert errors == []
