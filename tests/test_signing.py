"""Signed checkpoints: Ed25519 over the audit log's head, checked with the public key only."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hf_api_governance import (
    AuditError,
    AuditLog,
    Checkpoint,
    FrozenClock,
    Integration,
    Licence,
    Registry,
    Revoker,
    SignedCheckpoint,
    ValidationError,
    VerificationProblem,
)
from hf_api_governance._audit.signing import load_checkpoint

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
P = VerificationProblem
ID = "okta-directory"


def make(ident: str = ID) -> Integration:
    return Integration(
        id=ident,
        name="Okta directory sync",
        service="engage",
        kind="third_party_api",
        vendor="Okta",
        base_url="https://example.okta.com/api/v1",
        owner="identity-team@example.com",
        credential=f"{ident}-token",
        licences=[Licence("Okta", "Workforce Identity API", date(2026, 1, 1), date(2026, 12, 31))],
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def db(tmp_path: Path, clock: FrozenClock) -> Path:
    """A registry with three audited changes."""
    path = tmp_path / "registry.db"
    with Registry.open(path, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
        registry.activate(ID, actor="alice")
        registry.register(make("slack-aware"), actor="alice")
    return path


@pytest.fixture
def signed(db: Path, clock: FrozenClock) -> tuple[SignedCheckpoint, str]:
    """A signed checkpoint of ``db`` and the public key, as ``hf-gov audit`` writes them."""
    clock.advance(timedelta(minutes=1))
    with Registry.open(db, clock=clock) as registry:
        log = registry.attach_audit(KEY)
        return log.signed_checkpoint(), log.public_key()


@pytest.fixture
def auditor(db: Path) -> Iterator[Registry]:
    """The registry opened as an auditor would: no key, no keystore."""
    with Registry.open(db) as registry:
        yield registry


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_a_signed_checkpoint_round_trips_and_verifies_with_the_public_key_only(
    db: Path, signed: tuple[SignedCheckpoint, str], auditor: Registry, tmp_path: Path
) -> None:
    checkpoint, public_key = signed
    assert (checkpoint.seq, checkpoint.at) == (3, NOW + timedelta(minutes=1))
    checkpoint.save(tmp_path / "cp.json")
    (tmp_path / "key.pem").write_text(public_key, encoding="ascii")
    loaded = load_checkpoint(tmp_path / "cp.json")
    assert loaded == SignedCheckpoint.load(tmp_path / "cp.json") == checkpoint
    assert SignedCheckpoint.from_json(checkpoint.to_json()) == checkpoint
    assert checkpoint.verify(public_key)
    report = auditor.verify_audit(loaded, public_key=(tmp_path / "key.pem").read_bytes())
    assert report.ok, report.message
    assert (report.entries_checked, report.events_checked) == (3, 3)
    assert "entries 1..3 as signed at 2026-11-26T12:01:00.000000Z" in report.message


def test_the_file_is_small_json_with_the_head_count_time_and_key(
    signed: tuple[SignedCheckpoint, str], db: Path
) -> None:
    checkpoint, public_key = signed
    data = json.loads(checkpoint.to_json())
    assert sorted(data) == ["at", "format", "head_hash", "key_id", "seq", "signature"]
    assert data["format"] == "hf-api-governance/audit-checkpoint/ed25519/v1"
    with AuditLog.open(db, KEY) as log:
        head = log.head()
    assert head is not None
    assert (data["seq"], data["head_hash"]) == (head.seq, head.entry_hash)
    key = serialization.load_pem_public_key(public_key.encode())
    raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert data["key_id"] == hashlib.sha256(raw_key).hexdigest()


def test_the_signing_key_is_derived_from_the_audit_key_as_documented(db: Path) -> None:
    seed = hmac.new(KEY, b"hf-api-governance/audit/v1/ed25519-signing-key\x00", "sha256").digest()
    expected = (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with AuditLog.open(db, KEY) as log:
        assert log.public_key().encode() == expected
        checkpoint = log.signed_checkpoint()
    message = b"hf-api-governance/audit/v1/signed-checkpoint\x00" + json.dumps(
        {k: v for k, v in json.loads(checkpoint.to_json()).items() if k != "signature"},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    assert checkpoint.signed_bytes() == message
    Ed25519PrivateKey.from_private_bytes(seed).public_key().verify(
        bytes.fromhex(checkpoint.signature), message
    )


def test_neither_the_checkpoint_nor_the_public_key_reveals_the_audit_key(
    signed: tuple[SignedCheckpoint, str],
) -> None:
    checkpoint, public_key = signed
    seed = hmac.new(KEY, b"hf-api-governance/audit/v1/ed25519-signing-key\x00", "sha256").digest()
    for text in (checkpoint.to_json(), public_key, repr(checkpoint)):
        for secret in (KEY, seed):
            assert secret.hex() not in text.lower()
            assert secret not in text.encode("latin-1", "replace")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("head_hash", "ab" * 32),
        ("at", NOW + timedelta(days=1)),
        ("signature", "00" * 64),
    ],
)
def test_an_altered_checkpoint_is_refused(
    signed: tuple[SignedCheckpoint, str], auditor: Registry, field: str, value: Any
) -> None:
    checkpoint, public_key = signed
    altered = attrs.evolve(checkpoint, **{field: value})
    assert not altered.verify(public_key)
    report = auditor.verify_audit(altered, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.CHECKPOINT_MISMATCH)
    assert "does not verify under the public key" in report.message


def test_a_checkpoint_forged_with_another_key_is_refused(
    db: Path, signed: tuple[SignedCheckpoint, str], auditor: Registry
) -> None:
    """An attacker can sign whatever they like, but not with the key the auditor holds."""
    _, public_key = signed
    with AuditLog.open(db.with_name("forged.db"), OTHER_KEY) as forger:  # their own log and key
        forger.append(actor="mallory", action="activated")
        forged = forger.signed_checkpoint()
        assert forged.verify(forger.public_key())
    report = auditor.verify_audit(forged, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.CHECKPOINT_MISMATCH)
    assert "not the public key given" in report.message
    wearing_our_id = attrs.evolve(forged, key_id=signed[0].key_id)
    report = auditor.verify_audit(wearing_our_id, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.CHECKPOINT_MISMATCH)


def test_entries_after_the_checkpoint_are_reported_as_not_authenticated(
    db: Path, signed: tuple[SignedCheckpoint, str], clock: FrozenClock
) -> None:
    checkpoint, public_key = signed
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.activate("slack-aware", actor="alice")
    with Registry.open(db) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert report.ok, report.message
    assert report.entries_checked == 4
    assert (
        "entries 4..4 are hash-chained to them, but only the audit key can authenticate them"
        in report.message
    )


def test_a_log_truncated_behind_the_checkpoint_is_caught_without_the_key(
    db: Path, signed: tuple[SignedCheckpoint, str], auditor: Registry
) -> None:
    checkpoint, public_key = signed
    with closing(raw(db)) as conn:  # remove the last entry, and point the head at the one before
        (prev,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 2").fetchone()
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
        conn.execute("UPDATE audit_log_head SET seq = 2, entry_hash = ?", (prev,))
    report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem, report.first_bad_seq) == (
        False,
        P.TRUNCATED_AFTER_CHECKPOINT,
        3,
    )


def recompute_chain(db: Path, change: str) -> None:
    """Rewrite entry bodies and recompute every hash, as someone without the key can."""
    with closing(raw(db)) as conn:
        conn.execute(change)
        prev = bytes(32)
        rows = conn.execute("SELECT seq, CAST(body AS BLOB) FROM audit_log ORDER BY seq").fetchall()
        for seq, body in rows:
            digest = hashlib.sha256(prev + body).digest()
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE seq = ?",
                (prev, digest, seq),
            )
            prev = digest
        conn.execute("UPDATE audit_log_head SET entry_hash = ?", (prev,))


def test_a_rewritten_and_rehashed_log_is_caught_without_the_key(
    db: Path, signed: tuple[SignedCheckpoint, str], auditor: Registry
) -> None:
    checkpoint, public_key = signed
    recompute_chain(db, "UPDATE audit_log SET body = replace(body, 'alice', 'carol') WHERE seq = 2")
    report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem, report.first_bad_seq) == (False, P.CHECKPOINT_MISMATCH, 3)


def test_without_the_key_only_the_signed_part_is_proven(
    db: Path, signed: tuple[SignedCheckpoint, str], clock: FrozenClock
) -> None:
    """A rehashed entry after the checkpoint passes the public-key check; the key catches it."""
    checkpoint, public_key = signed
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.activate("slack-aware", actor="alice")
    recompute_chain(db, "UPDATE audit_log SET body = replace(body, 'alice', 'carol') WHERE seq = 4")
    with Registry.open(db) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert report.ok
    assert "only the audit key can authenticate them" in report.message
    with Registry.open(db) as registry:
        registry.attach_audit(KEY)
        keyed = registry.verify_audit(checkpoint)
    assert (keyed.ok, keyed.problem) == (False, P.HEAD_INVALID)


def test_registry_tampering_is_caught_without_the_key(
    db: Path, signed: tuple[SignedCheckpoint, str], clock: FrozenClock
) -> None:
    checkpoint, public_key = signed
    with closing(raw(db)) as conn:
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("DELETE FROM events WHERE seq = 2")
        conn.execute("UPDATE integrations SET state = 'pending' WHERE id = ?", (ID,))
    with Registry.open(db) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.problem, report.first_bad_event, report.first_bad_seq) == (
        P.EVENT_DELETED,
        2,
        2,
    )


@pytest.mark.parametrize("how", ["drop", "empty"])
def test_a_removed_audit_log_is_caught_without_the_key(
    db: Path, signed: tuple[SignedCheckpoint, str], how: str
) -> None:
    checkpoint, public_key = signed
    with closing(raw(db)) as conn:
        for table in ("audit_log", "audit_log_head"):
            conn.execute(f"{'DROP TABLE' if how == 'drop' else 'DELETE FROM'} {table}")
    with Registry.open(db) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.TRUNCATED_AFTER_CHECKPOINT)


def test_a_signed_checkpoint_works_with_the_key_too(
    db: Path, signed: tuple[SignedCheckpoint, str]
) -> None:
    checkpoint, public_key = signed
    with Registry.open(db) as registry:
        log = registry.attach_audit(KEY)
        assert registry.verify_audit(checkpoint).ok  # the log's own public key
        assert registry.verify_audit(checkpoint, public_key=public_key).ok
        assert log.verify(checkpoint).ok
    with Registry.open(db) as registry:
        other = registry.attach_audit(OTHER_KEY)
        assert other.public_key() != public_key
        assert registry.verify_audit(checkpoint).problem is P.CHECKPOINT_MISMATCH


def test_hmac_checkpoints_are_still_read_and_checked(db: Path, tmp_path: Path) -> None:
    with AuditLog.open(db, KEY) as log:
        log.checkpoint().save(tmp_path / "hmac.json")
    loaded = load_checkpoint(tmp_path / "hmac.json")
    assert isinstance(loaded, Checkpoint)
    with Registry.open(db) as registry:
        registry.attach_audit(KEY)
        assert registry.verify_audit(loaded).ok


@pytest.mark.parametrize(
    "bad",
    [
        b"not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        12,
    ],
)
def test_a_public_key_that_is_not_an_ed25519_pem_key_names_the_field(
    signed: tuple[SignedCheckpoint, str], auditor: Registry, bad: Any
) -> None:
    with pytest.raises(ValidationError, match=r"^public_key"):
        auditor.verify_audit(signed[0], public_key=bad)


def test_an_ec_public_key_is_refused(
    signed: tuple[SignedCheckpoint, str], auditor: Registry
) -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValidationError, match="not an Ed25519 public key"):
        auditor.verify_audit(signed[0], public_key=pem)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seq": -1}, "seq"),
        ({"seq": True}, "seq"),
        ({"head_hash": "xyz"}, "head_hash"),
        ({"key_id": "AB" * 32}, "key_id"),
        ({"signature": "00"}, "signature"),
        ({"at": "2026-01-01T00:00:00"}, "at"),
        ({"format": "hf-api-governance/audit-checkpoint/v1"}, "checkpoint"),
    ],
)
def test_a_malformed_checkpoint_file_names_the_field(
    signed: tuple[SignedCheckpoint, str], change: dict[str, Any], field: str
) -> None:
    data = {**json.loads(signed[0].to_json()), **change}
    with pytest.raises(ValidationError, match=rf"^{field}"):
        SignedCheckpoint.from_json(json.dumps(data))


def test_garbage_and_missing_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"^checkpoint: is not valid JSON"):
        SignedCheckpoint.from_json("{")
    with pytest.raises(ValidationError, match=r"^signature: missing"):
        SignedCheckpoint.from_json(
            json.dumps({"format": "hf-api-governance/audit-checkpoint/ed25519/v1", "seq": 1})
            .replace('"seq": 1', '"seq": 1, "head_hash": "' + "0" * 64 + '"')
            .replace("}", ', "at": "2026-01-01T00:00:00.000000Z", "key_id": "' + "0" * 64 + '"}')
        )
    with pytest.raises(AuditError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "missing.json")


def test_an_empty_log_can_be_checkpointed_and_verified(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    with Registry.open(path) as registry:
        log = registry.attach_audit(KEY)
        checkpoint, public_key = log.signed_checkpoint(), log.public_key()
    assert checkpoint.seq == 0
    with Registry.open(path) as auditor:
        assert auditor.verify_audit(checkpoint, public_key=public_key).ok


def test_revocation_history_is_covered_by_the_signature(
    db: Path, clock: FrozenClock, tmp_path: Path
) -> None:
    """What an auditor cares about most: a revocation signed for cannot disappear."""
    with Registry.open(db, clock=clock) as registry:
        log = registry.attach_audit(KEY)
        registry.revoke(ID, by=Revoker.MIMECAST, reason="revoked by Mimecast")
        checkpoint, public_key = log.signed_checkpoint(), log.public_key()
    with closing(raw(db)) as conn:
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("DELETE FROM events WHERE kind = 'revoked'")
        conn.execute("DELETE FROM revoked_credentials")
        conn.execute("UPDATE integrations SET state = 'active' WHERE id = ?", (ID,))
        conn.execute("DELETE FROM audit_log WHERE seq = 4")  # and its entry, and the head
        (prev,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 3").fetchone()
        conn.execute("UPDATE audit_log_head SET seq = 3, entry_hash = ?", (prev,))
    with Registry.open(db) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.TRUNCATED_AFTER_CHECKPOINT)
