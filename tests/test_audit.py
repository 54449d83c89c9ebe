"""The tamper-evident audit log: chain, authenticators, checkpoints, storage contract."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hf_api_governance import (
    AuditEntry,
    AuditError,
    AuditLog,
    Checkpoint,
    FrozenClock,
    Secret,
    ValidationError,
    VerificationProblem,
    VerificationReport,
)
from hf_api_governance._audit.entries import KNOWN_ACTIONS, MAX_CHECKPOINT_SIZE

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
ROOT = Path(__file__).resolve().parents[1]
P = VerificationProblem


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A SQLite file; with ``@BOTH``, also a PostgreSQL registry database (its URL)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return tmp_path / "gov.db"
    return request.getfixturevalue("pg_url")


BOTH = pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
"""Run a test on both stores: the same log, hashing and verification on each."""


def fill(path: Path, count: int, *, seal_every: int = 256, key: bytes = KEY) -> None:
    with AuditLog.open(path, key, seal_every=seal_every) as log:
        log.append_many(
            {
                "actor": f"user-{i % 3}",
                "action": "call_allowed",
                "integration_id": f"int-{i % 4}",
                "clause": "1.1.2",
                "codes": ["LICENCE_VALID"],
                "evidence": {"n": i},
            }
            for i in range(count)
        )


def verify(
    path: Path, key: bytes = KEY, checkpoint: Checkpoint | None = None
) -> VerificationReport:
    with AuditLog.open(path, key) as log:
        return log.verify(checkpoint)


class RawPostgres:
    """An attacker's own connection to a PostgreSQL registry, as its owner.

    ``session_replication_role = replica`` switches the append-only triggers
    off for this session (only a superuser or the owner can): the audit log
    must catch what such an attacker changes. Statements are written for
    SQLite and translated.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("SET search_path = hf_gov")
        self.conn.execute("SET session_replication_role = replica")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        sql = (
            sql.replace("?", "%s")
            .replace("CAST(body AS BLOB)", "convert_to(body, 'UTF8')")
            .replace("zeroblob(32)", "'\\x" + "00" * 32 + "'::bytea")
        )
        return self.conn.execute(sql.encode(), params)


_RAW: list[RawPostgres] = []


@pytest.fixture(autouse=True)
def _close_raw_connections() -> Iterator[None]:
    yield
    while _RAW:
        _RAW.pop().conn.close()


def raw(path: Path | str) -> Any:
    """A separate connection, as an attacker with write access to the database would use."""
    if isinstance(path, str) and path.startswith("postgresql://"):
        _RAW.append(RawPostgres(path))
        return _RAW[-1]
    return sqlite3.connect(path, isolation_level=None)


def rows(conn: Any) -> dict[int, tuple[bytes, bytes, bytes, bytes | None]]:
    return {
        seq: (body, prev, eh, tag)
        for seq, body, prev, eh, tag in conn.execute(
            "SELECT seq, CAST(body AS BLOB), prev_hash, entry_hash, authenticator "
            "FROM audit_log ORDER BY seq"
        )
    }


def forged_body(conn: Any, template_seq: int, new_seq: int) -> bytes:
    (body,) = conn.execute(
        "SELECT CAST(body AS BLOB) FROM audit_log WHERE seq = ?", (template_seq,)
    ).fetchone()
    data = json.loads(body)
    data.update(seq=new_seq, actor="mallory")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def assert_problem(
    report: VerificationReport, problem: VerificationProblem, seq: int | None
) -> None:
    assert not report.ok, report
    assert (report.problem, report.first_bad_seq) == (problem, seq), report
    assert report.message


# -- recording -------------------------------------------------------------------


@BOTH
def test_appended_entries_form_a_verifying_chain_with_gapless_seqs(
    db: Path, clock: FrozenClock
) -> None:
    with AuditLog.open(db, KEY, clock=clock) as log:
        first = log.append(actor="alice", action="registered", integration_id="aware-prod")
        clock.advance(seconds=1)
        second = log.append(
            actor="svc:gateway",
            action="call_denied",
            integration_id="aware-prod",
            clause="1.1.2",
            codes=("LICENCE_EXPIRED",),
            evidence={"method": "GET", "status": 403},
        )
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == "0" * 64
        assert second.prev_hash == first.entry_hash
        assert hashlib.sha256(bytes.fromhex(first.entry_hash) + second.canonical()).hexdigest() == (
            second.entry_hash
        )
        assert second.at == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
        assert log.head() == second
        assert list(log.entries()) == [first, second]
        assert log.verify() == VerificationReport(
            ok=True, entries_checked=2, message="the audit log verified: 2 entries"
        )


@BOTH
def test_canonical_form_is_sorted_compact_utf8_json(db: Path, clock: FrozenClock) -> None:
    with AuditLog.open(db, KEY, clock=clock) as log:
        entry = log.append(actor="zoë", action="updated", evidence={"b": 1, "a": [1, "é"]})
    assert (
        entry.canonical()
        == (
            '{"action":"updated","actor":"zoë","at":"2026-01-01T00:00:00.000000Z","clause":null,'
            '"codes":[],"evidence":{"a":[1,"é"],"b":1},"integration_id":null,"seq":1}'
        ).encode()
    )
    (stored,) = raw(db).execute("SELECT CAST(body AS BLOB) FROM audit_log").fetchone()
    assert stored == entry.canonical()


@BOTH
def test_entries_filters_by_integration_and_since_seq(db: Path) -> None:
    fill(db, 12)
    with AuditLog.open(db, KEY) as log:
        with pytest.raises(ValidationError, match="since_seq"):
            log.entries(since_seq=-1)
        assert [e.seq for e in log.entries(integration_id="int-1")] == [2, 6, 10]
        assert [e.seq for e in log.entries(since_seq=9)] == [10, 11, 12]
        assert [e.seq for e in log.entries(since_seq=5, integration_id="int-1")] == [6, 10]
        assert list(log.entries(integration_id="nope")) == []


@BOTH
def test_empty_log_verifies_and_has_no_head(db: Path) -> None:
    with AuditLog.open(db, KEY) as log:
        assert log.head() is None
        assert log.verify().ok
        assert log.checkpoint().seq == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"actor": "", "action": "revoked"}, "actor"),
        ({"actor": "   ", "action": "revoked"}, "actor"),
        ({"actor": "a\nb", "action": "revoked"}, "actor"),
        ({"actor": 7, "action": "revoked"}, "actor"),
        ({"actor": "alice", "action": "Revoked"}, "action"),
        ({"actor": "alice", "action": "a" * 65}, "action"),
        ({"actor": "alice", "action": "revoked", "clause": "one"}, "clause"),
        ({"actor": "alice", "action": "revoked", "integration_id": ""}, "integration_id"),
        ({"actor": "alice", "action": "revoked", "codes": "LICENCE_EXPIRED"}, "codes"),
        ({"actor": "alice", "action": "revoked", "codes": [""]}, "codes[0]"),
        ({"actor": "alice", "action": "revoked", "evidence": {"blob": b"x"}}, "evidence.blob"),
        (
            {"actor": "alice", "action": "revoked", "evidence": {"o": {"x": object()}}},
            "evidence.o.x",
        ),
        ({"actor": "alice", "action": "revoked", "evidence": {"f": float("nan")}}, "evidence.f"),
        (
            {"actor": "alice", "action": "revoked", "evidence": {"t": datetime(2026, 1, 1)}},  # noqa: DTZ001
            "evidence.t",
        ),
        ({"actor": "alice", "action": "revoked", "evidence": {1: "x"}}, "evidence"),
        ({"actor": "alice", "action": "revoked", "evidence": ["x"]}, "evidence"),
    ],
)
def test_invalid_fields_are_rejected_naming_the_field_and_nothing_is_written(
    db: Path, kwargs: dict[str, Any], field: str
) -> None:
    with AuditLog.open(db, KEY) as log:
        with pytest.raises(ValidationError) as info:
            log.append(**kwargs)
        assert info.value.field == field
        assert log.head() is None


def test_documented_and_pattern_actions_are_accepted(db: Path) -> None:
    with AuditLog.open(db, KEY) as log:
        for action in sorted(KNOWN_ACTIONS):
            log.append(actor="ops", action=action)
        log.append(actor="ops", action="custom_thing_2")
        assert "credential_revealed" in AuditEntry.KNOWN_ACTIONS
        assert log.verify().entries_checked == len(KNOWN_ACTIONS) + 1


@BOTH
def test_append_many_is_all_or_nothing_and_names_the_bad_event(db: Path) -> None:
    with AuditLog.open(db, KEY) as log:
        with pytest.raises(ValidationError) as info:
            log.append_many([{"actor": "a", "action": "updated"}, {"actor": "", "action": "x"}])
        assert info.value.field == "events[1].actor"
        with pytest.raises(ValidationError, match="unknown fields"):
            log.append_many([{"actor": "a", "action": "updated", "secret": "x"}])
        with pytest.raises(ValidationError, match="needs 'actor'"):
            log.append_many([{"action": "updated"}])
        assert log.head() is None
        assert [e.seq for e in log.append_many([{"actor": "a", "action": "updated"}] * 3)] == [
            1,
            2,
            3,
        ]


@BOTH
def test_secrets_become_fingerprints_and_urls_are_redacted(db: Path) -> None:
    secret = Secret("sk-live-abcdefghijklmnop", label="Aware key")
    with AuditLog.open(db, KEY) as log:
        entry = log.append(
            actor="alice",
            action="credential_replaced",
            evidence={
                "old": secret,
                "nested": {"list": [secret, "https://bob:pw@api.example.com:8443/v1/x?key=zz#t"]},
                "when": datetime(2026, 1, 1, 1, tzinfo=UTC),
            },
        )
    assert entry.evidence["old"] == secret.fingerprint
    assert entry.evidence["nested"]["list"] == [
        secret.fingerprint,
        "https://api.example.com:8443/v1/x?key=[redacted]",
    ]
    assert entry.evidence["when"] == "2026-01-01T01:00:00.000000Z"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://api.example.com/v1/users", "https://api.example.com/v1/users"),
        ("https://u:p@h.example/p?a=1&b=2", "https://h.example/p?a=[redacted]&b=[redacted]"),
        ("https://h.example/p?TOKENONLY", "https://h.example/p?[redacted]"),
        ("http://[::1]:8080/x#frag", "http://[::1]:8080/x"),
        ("http://[::1/x", "<unparseable URL>"),
    ],
)
def test_url_evidence_keeps_scheme_host_path_only(db: Path, url: str, redacted: str) -> None:
    """URLs in evidence get the library's one URL redaction (``redact_url``)."""
    with AuditLog.open(db, KEY) as log:
        entry = log.append(actor="alice", action="call_sent", evidence={"url": url})
    assert entry.evidence["url"] == redacted


# -- tampering, each detected with the right problem and position ------------------


@BOTH
def test_modified_entry_content_is_detected_at_that_entry(db: Path) -> None:
    fill(db, 10)
    raw(db).execute(
        "UPDATE audit_log SET body = replace(body, '\"user-0\"', '\"user-9\"') WHERE seq = 4"
    )
    assert_problem(verify(db), P.CONTENT_MODIFIED, 4)


@BOTH
def test_deleted_entry_is_detected_as_missing(db: Path) -> None:
    fill(db, 10)
    raw(db).execute("DELETE FROM audit_log WHERE seq = 6")
    assert_problem(verify(db), P.ENTRY_MISSING, 6)


@BOTH
def test_deleted_and_renumbered_entries_are_detected_as_missing(db: Path) -> None:
    fill(db, 10)
    conn = raw(db)
    conn.execute("DELETE FROM audit_log WHERE seq = 6")
    conn.execute("UPDATE audit_log SET seq = seq + 1000 WHERE seq > 6")
    conn.execute("UPDATE audit_log SET seq = seq - 1001 WHERE seq > 1000")
    assert_problem(verify(db), P.ENTRY_MISSING, 6)


@BOTH
def test_deleted_last_entry_is_detected_by_the_authenticated_head(db: Path) -> None:
    fill(db, 10)
    raw(db).execute("DELETE FROM audit_log WHERE seq = 10")
    assert_problem(verify(db), P.ENTRY_MISSING, 10)


@BOTH
@pytest.mark.parametrize(("i", "j"), [(3, 7), (4, 5), (1, 10)])
def test_reordered_entries_are_detected(db: Path, i: int, j: int) -> None:
    fill(db, 10)
    conn = raw(db)
    conn.execute("UPDATE audit_log SET seq = 1000 WHERE seq = ?", (i,))
    conn.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (i, j))
    conn.execute("UPDATE audit_log SET seq = ? WHERE seq = 1000", (j,))
    assert_problem(verify(db), P.ENTRIES_REORDERED, i)


@BOTH
def test_entry_inserted_in_the_middle_is_detected_where_it_was_inserted(db: Path) -> None:
    fill(db, 10)
    conn = raw(db)
    body = forged_body(conn, 5, 5)
    (prev,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 4").fetchone()
    conn.execute("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 5")
    conn.execute("UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000")
    conn.execute(
        "INSERT INTO audit_log VALUES (5, ?, ?, ?, NULL)",
        (body.decode(), prev, hashlib.sha256(prev + body).digest()),
    )
    assert_problem(verify(db), P.ENTRY_INSERTED, 5)


@BOTH
def test_entry_inserted_after_the_head_is_detected(db: Path) -> None:
    fill(db, 10)
    conn = raw(db)
    body = forged_body(conn, 10, 11)
    (prev,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 10").fetchone()
    conn.execute(
        "INSERT INTO audit_log VALUES (11, ?, ?, ?, NULL)",
        (body.decode(), prev, hashlib.sha256(prev + body).digest()),
    )
    assert_problem(verify(db), P.ENTRY_INSERTED, 11)
    with AuditLog.open(db, KEY) as log, pytest.raises(AuditError, match="run verify"):
        log.append(actor="alice", action="updated")


@BOTH
def test_prev_hash_pointing_elsewhere_breaks_the_chain(db: Path) -> None:
    fill(db, 10)
    conn = raw(db)
    body, _, _, _ = rows(conn)[7]
    fake_prev = hashlib.sha256(b"elsewhere").digest()
    conn.execute(
        "UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE seq = 7",
        (fake_prev, hashlib.sha256(fake_prev + body).digest()),
    )
    assert_problem(verify(db), P.CHAIN_BROKEN, 7)


def rewrite_chain_from(conn: Any, start: int) -> None:
    """Change entry ``start`` and recompute every later hash (all a key-less attacker can do)."""
    stored = rows(conn)
    prev = stored[start][1]
    for seq in sorted(s for s in stored if s >= start):
        body = forged_body(conn, seq, seq) if seq == start else stored[seq][0]
        entry_hash = hashlib.sha256(prev + body).digest()
        conn.execute(
            "UPDATE audit_log SET body = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?",
            (body.decode(), prev, entry_hash, seq),
        )
        prev = entry_hash


@BOTH
def test_recomputed_chain_fails_at_the_next_sealed_entry(db: Path) -> None:
    fill(db, 10, seal_every=4)
    conn = raw(db)
    rewrite_chain_from(conn, 6)
    report = verify(db)
    assert_problem(report, P.AUTHENTICATOR_WRONG, 8)
    assert "5..8" in report.message  # nothing after the previous seal (4) is trusted


@BOTH
def test_recomputed_chain_after_the_last_seal_fails_at_the_head(db: Path) -> None:
    fill(db, 10, seal_every=4)
    rewrite_chain_from(raw(db), 9)
    assert_problem(verify(db), P.AUTHENTICATOR_WRONG, 9)


@BOTH
def test_altered_authenticator_is_detected_at_its_entry(db: Path) -> None:
    fill(db, 10, seal_every=4)
    raw(db).execute("UPDATE audit_log SET authenticator = zeroblob(32) WHERE seq = 8")
    assert_problem(verify(db), P.AUTHENTICATOR_WRONG, 8)


def test_removed_or_added_authenticators_are_detected(db: Path) -> None:
    fill(db, 10, seal_every=4)
    raw(db).execute("UPDATE audit_log SET authenticator = NULL WHERE seq = 4")
    assert_problem(verify(db), P.AUTHENTICATOR_WRONG, 4)
    fill(db.with_name("b.db"), 10, seal_every=4)
    raw(db.with_name("b.db")).execute(
        "UPDATE audit_log SET authenticator = (SELECT authenticator FROM audit_log WHERE seq = 4) "
        "WHERE seq = 5"
    )
    assert_problem(verify(db.with_name("b.db")), P.AUTHENTICATOR_WRONG, 5)


@BOTH
def test_wrong_key_is_detected_and_refused_for_writing(db: Path) -> None:
    fill(db, 5)
    assert_problem(verify(db, OTHER_KEY), P.WRONG_KEY, None)
    with AuditLog.open(db, OTHER_KEY) as log:
        with pytest.raises(AuditError, match="not the key"):
            log.append(actor="alice", action="updated")
        with pytest.raises(AuditError, match="not the key"):
            log.checkpoint()
    assert verify(db).ok


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": None}, "path"),
        ({"path": 42}, "path"),
        ({"timeout": "x"}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
    ],
)
def test_open_with_a_bad_path_or_timeout_names_the_field(
    db: Path, kwargs: dict[str, Any], field: str
) -> None:
    """A path or timeout of the wrong type or range is a ValidationError, never a TypeError."""
    with pytest.raises(ValidationError) as info:
        AuditLog.open(**{"path": db, "key": KEY, **kwargs})
    assert info.value.field == field


def test_checkpoint_and_export_paths_that_are_not_paths_name_the_field(db: Path) -> None:
    with AuditLog.open(db, KEY) as log:
        checkpoint = log.checkpoint()
        for call in (
            lambda: checkpoint.save(None),  # type: ignore[arg-type]
            lambda: Checkpoint.load(None),  # type: ignore[arg-type]
            lambda: log.export(None),  # type: ignore[arg-type]
        ):
            with pytest.raises(ValidationError, match=r"^path: must be a file path"):
                call()


@BOTH
def test_tampered_head_record_is_detected(db: Path) -> None:
    fill(db, 5)
    raw(db).execute("UPDATE audit_log_head SET seq = 4")
    assert_problem(verify(db), P.HEAD_INVALID, 4)
    raw(db).execute("DELETE FROM audit_log_head")
    assert_problem(verify(db), P.HEAD_INVALID, 1)


@pytest.mark.parametrize(
    "tamper",
    [
        "key_check = 'x'",
        "entry_hash = 'x'",
        "authenticator = 'x'",
        "seq = 'abc'",
        "seq = 1.5",
        "seal_every = 'x'",
        "seal_every = 0",
        "format = 'x'",
    ],
)
def test_a_malformed_head_record_is_an_audit_error_for_every_writer(db: Path, tamper: str) -> None:
    """Wrong column types in the head: verify reports it; every writer refuses, adding nothing."""
    fill(db, 3)
    raw(db).execute(f"UPDATE audit_log_head SET {tamper}")  # noqa: S608 - test-only SQL
    with AuditLog.open(db, KEY) as log:
        assert_problem(log.verify(), P.HEAD_INVALID, None)
        with pytest.raises(AuditError, match="head record is malformed; run verify"):
            log.append(actor="alice", action="updated")
        with pytest.raises(AuditError, match="head record is malformed; run verify"):
            log.checkpoint()
        with pytest.raises(AuditError, match="head record is malformed; run verify"):
            log.append_many([{"actor": "alice", "action": "updated"}])
    (count,) = raw(db).execute("SELECT count(*) FROM audit_log").fetchone()
    assert count == 3


@BOTH
def test_a_truncated_log_whose_head_does_not_verify_refuses_to_grow(db: Path) -> None:
    """Entries cut back to seq 3 with the head's seq and hash moved there: no writer extends it."""
    fill(db, 5)
    conn = raw(db)
    (third_hash,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 3").fetchone()
    conn.execute("DELETE FROM audit_log WHERE seq > 3")
    # The authenticator is left as it was: it still vouches for seq 5.
    conn.execute("UPDATE audit_log_head SET seq = 3, entry_hash = ?", (third_hash,))
    with AuditLog.open(db, KEY) as log:
        with pytest.raises(AuditError, match="head record does not verify; run verify"):
            log.append(actor="alice", action="updated")
        with pytest.raises(AuditError, match="head record does not verify; run verify"):
            log.append_many([{"actor": "alice", "action": "updated"}])
        with pytest.raises(AuditError, match="head record does not verify; run verify"):
            log.checkpoint()
        assert_problem(log.verify(), P.HEAD_INVALID, 3)
    (count,) = conn.execute("SELECT count(*) FROM audit_log").fetchone()
    assert count == 3


@BOTH
def test_truncation_behind_a_restored_head_is_caught_by_a_checkpoint(
    db: Path, tmp_path: Path
) -> None:
    fill(db, 15)
    conn = raw(db)
    saved_head = conn.execute("SELECT * FROM audit_log_head").fetchone()
    with AuditLog.open(db, KEY) as log:
        log.append_many({"actor": "alice", "action": "call_sent"} for _ in range(5))
        log.checkpoint().save(tmp_path / "cp.json")
    # The attacker removes the last five entries and puts back the head of that time:
    # without a checkpoint held elsewhere the log looks complete.
    conn.execute("DELETE FROM audit_log WHERE seq > 15")
    conn.execute("DELETE FROM audit_log_head")
    conn.execute("INSERT INTO audit_log_head VALUES (?, ?, ?, ?, ?, ?, ?)", saved_head)
    assert verify(db).ok
    report = verify(db, checkpoint=Checkpoint.load(tmp_path / "cp.json"))
    assert_problem(report, P.TRUNCATED_AFTER_CHECKPOINT, 16)
    assert report.entries_checked == 15


@BOTH
def test_checkpoint_stays_valid_as_the_log_grows(db: Path) -> None:
    fill(db, 5)
    with AuditLog.open(db, KEY) as log:
        checkpoint = log.checkpoint()
        log.append(actor="alice", action="updated")
        assert log.verify(checkpoint).ok


def test_forged_or_foreign_checkpoints_are_rejected(db: Path) -> None:
    fill(db, 5)
    with AuditLog.open(db, KEY) as log:
        checkpoint = log.checkpoint()
    forged = Checkpoint(
        seq=3,
        head_hash=checkpoint.head_hash,
        authenticator=checkpoint.authenticator,
        at=checkpoint.at,
    )
    assert_problem(verify(db, checkpoint=forged), P.CHECKPOINT_MISMATCH, None)
    other = db.with_name("other.db")
    fill(other, 5, key=OTHER_KEY)
    with AuditLog.open(other, OTHER_KEY) as log:
        foreign = log.checkpoint()
    assert_problem(verify(db, checkpoint=foreign), P.CHECKPOINT_MISMATCH, None)


def test_log_rewritten_with_the_key_since_a_checkpoint_is_caught(db: Path) -> None:
    """Even the key holder cannot silently rebuild the log: the checkpoint pins the old head."""
    fill(db, 5)
    with AuditLog.open(db, KEY) as log:
        checkpoint = log.checkpoint()
    db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    fill(db, 6)
    assert_problem(verify(db, checkpoint=checkpoint), P.CHECKPOINT_MISMATCH, 5)


def test_checkpoint_json_round_trips_and_rejects_garbage(tmp_path: Path, db: Path) -> None:
    fill(db, 3)
    with AuditLog.open(db, KEY) as log:
        checkpoint = log.checkpoint()
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    checkpoint.save(tmp_path / "cp.json")
    assert Checkpoint.load(tmp_path / "cp.json") == checkpoint
    with pytest.raises(ValidationError, match="checkpoint"):
        Checkpoint.from_json("{}")
    with pytest.raises(ValidationError, match="checkpoint"):
        Checkpoint.from_json("not json")
    data = json.loads(checkpoint.to_json())
    data["head_hash"] = "zz"
    with pytest.raises(ValidationError, match="head_hash"):
        Checkpoint.from_json(json.dumps(data))
    with pytest.raises(AuditError, match="cannot read checkpoint"):
        Checkpoint.load(tmp_path / "missing.json")


def test_a_checkpoint_that_is_a_fifo_or_too_large_is_refused_without_blocking(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "cp.fifo"
    os.mkfifo(fifo)
    with pytest.raises(AuditError, match="not a regular file: it is a named pipe"):
        Checkpoint.load(fifo)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_CHECKPOINT_SIZE + 1))
    with pytest.raises(AuditError, match="larger than the 64 KiB limit"):
        Checkpoint.load(big)


def test_export_replaces_only_a_regular_file(tmp_path: Path, db: Path) -> None:
    """A FIFO, a device or a symbolic link at the target is never replaced by a file."""
    fill(db, 2)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with AuditLog.open(db, KEY) as log:
        for target in (fifo, Path("/dev/full"), link, tmp_path):
            with pytest.raises(AuditError, match=r"not a regular file|symbolic link"):
                log.export(target)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert link.is_symlink()
        assert real.read_text(encoding="utf-8") == "old\n"
        assert log.export(link, follow_symlinks=True) == 2
        assert link.is_symlink()
        assert len(real.read_text(encoding="utf-8").splitlines()) == 2
        stream = io.StringIO()
        assert log.export(stream) == 2
    assert stream.getvalue() == real.read_text(encoding="utf-8")


# -- property tests -------------------------------------------------------------------

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
)
evidence_st = st.dictionaries(
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=10),
    st.recursive(
        json_leaf,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
        ),
        max_leaves=6,
    ),
    max_size=4,
)
event_st = st.fixed_dictionaries(
    {
        "actor": st.text(
            st.characters(whitelist_categories=("L", "N", "P")), min_size=1, max_size=20
        ),
        "action": st.sampled_from(sorted(KNOWN_ACTIONS))
        | st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    },
    optional={
        "integration_id": st.sampled_from(["aware-prod", "incydr", "engage-eu"]),
        "clause": st.sampled_from(["1.1", "1.1.1", "1.1.2", "1.1.3", "1.5"]),
        "codes": st.lists(st.sampled_from(["LICENCE_EXPIRED", "KEY_REVOKED", "OK"]), max_size=3),
        "evidence": evidence_st,
    },
)
batches_st = st.lists(st.lists(event_st, min_size=1, max_size=4), min_size=1, max_size=5)


@contextlib.contextmanager
def new_db() -> Iterator[Path]:
    """A fresh database per hypothesis example (function-scoped fixtures are shared)."""
    with tempfile.TemporaryDirectory(prefix="audit-hyp-") as name:
        yield Path(name) / "audit.db"


@settings(max_examples=settings().max_examples // 2)  # a database per example: half the profile's
@given(batches=batches_st, seal_every=st.integers(1, 4))
def test_any_sequence_of_appends_verifies_and_exports_round_trip(
    batches: list[list[dict[str, Any]]], seal_every: int
) -> None:
    with new_db() as path:
        with AuditLog.open(path, KEY, seal_every=seal_every) as log:
            written: list[AuditEntry] = []
            for batch in batches:
                if len(batch) == 1:
                    written.append(log.append(**batch[0]))
                else:
                    written.extend(log.append_many(batch))
            report = log.verify()
            assert report.ok, report
            assert report.entries_checked == len(written)
            stored = list(log.entries())
            assert stored == written
            assert [e.seq for e in stored] == list(range(1, len(written) + 1))
            bodies = [b for b, _, _, _ in rows(raw(path)).values()]
            assert bodies == [e.canonical() for e in written]
            assert log.export(path.with_suffix(".jsonl")) == len(written)
        lines = path.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()
        parsed = [json.loads(line) for line in lines]
        assert all(set(p) == EXPORT_FIELDS for p in parsed)
        assert [AuditEntry.from_dict(p) for p in parsed] == stored


EXPORT_FIELDS = {
    "seq",
    "at",
    "actor",
    "action",
    "integration_id",
    "clause",
    "codes",
    "evidence",
    "prev_hash",
    "entry_hash",
    "authenticator",
}


@given(
    events=st.lists(event_st, min_size=1, max_size=8),
    seal_every=st.integers(1, 3),
    data=st.data(),
)
def test_any_single_byte_change_to_any_stored_field_fails_at_that_entry(
    events: list[dict[str, Any]], seal_every: int, data: st.DataObject
) -> None:
    with new_db() as path:
        with AuditLog.open(path, KEY, seal_every=seal_every) as log:
            log.append_many(events)
        conn = raw(path)
        target = data.draw(st.integers(1, len(events)), label="seq")
        body, prev, entry_hash, tag = rows(conn)[target]
        fields = ["seq", "body", "prev_hash", "entry_hash"] + (["authenticator"] if tag else [])
        field = data.draw(st.sampled_from(fields), label="field")
        value = {
            "seq": target.to_bytes(8, "big"),
            "body": body,
            "prev_hash": prev,
            "entry_hash": entry_hash,
            "authenticator": tag,
        }[field]
        assert value is not None
        index = data.draw(st.integers(0, len(value) - 1), label="byte")
        flip = data.draw(st.integers(1, 255), label="xor")
        changed = bytearray(value)
        changed[index] ^= flip
        try:
            if field == "seq":
                new_seq = int.from_bytes(changed, "big", signed=True)
                conn.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (new_seq, target))
            elif field == "body":
                conn.execute(
                    "UPDATE audit_log SET body = CAST(? AS TEXT) WHERE seq = ?",
                    (bytes(changed), target),
                )
            else:
                sql = f"UPDATE audit_log SET {field} = ? WHERE seq = ?"  # noqa: S608
                conn.execute(sql, (bytes(changed), target))
        except sqlite3.IntegrityError:
            assume(False)  # the new seq is taken or below 1: SQLite refuses the change itself
        report = verify(path)
        assert not report.ok
        assert report.first_bad_seq == target, report


# -- secrets never reach the file -----------------------------------------------------------


def encodings(secret: str) -> set[bytes]:
    data = secret.encode()
    return {
        data,
        data.hex().encode(),
        data.hex().upper().encode(),
        base64.b64encode(data),
        base64.urlsafe_b64encode(data),
        base64.b64encode(data).rstrip(b"="),
        base64.urlsafe_b64encode(data).rstrip(b"="),
        urllib.parse.quote(secret, safe="").encode(),
        urllib.parse.quote_plus(secret).encode(),
    }


def file_bytes(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


@given(st.lists(st.binary(min_size=16, max_size=40), min_size=1, max_size=4))
def test_secret_values_never_reach_the_database_or_the_export(raw_secrets: list[bytes]) -> None:
    values = [base64.urlsafe_b64encode(b).decode().rstrip("=") + "~!" for b in raw_secrets]
    secrets = [Secret(v, label="canary") for v in values]
    with new_db() as path:
        with AuditLog.open(path, KEY, seal_every=2) as log:
            for value, secret in zip(values, secrets, strict=True):
                quoted = urllib.parse.quote(value, safe="")
                log.append(
                    actor="alice",
                    action="credential_rotated",
                    integration_id="aware-prod",
                    evidence={
                        "old": secret,
                        "all": [secret, {"inner": secret}],
                        "endpoint": f"https://svc:{quoted}@api.example.com/v2/token?api_key={quoted}",
                        "callback": f"https://hooks.example.com/cb?x=1&sig={quoted}#{quoted}",
                    },
                )
            log.append_many(
                [
                    {"actor": "bob", "action": "credential_revealed", "evidence": {"s": s}}
                    for s in secrets
                ]
            )
            log.export(path.with_suffix(".jsonl"))
            blobs = [file_bytes(path), path.with_suffix(".jsonl").read_bytes()]
            assert log.verify().ok
        blobs.append(file_bytes(path))
        for value in values:
            for form in encodings(value):
                for blob in blobs:
                    assert form not in blob
        assert secrets[0].fingerprint.encode() in blobs[1]


def test_exceptions_about_evidence_never_quote_values() -> None:
    conn = sqlite3.connect(":memory:")
    log = AuditLog(conn, KEY)
    with pytest.raises(ValidationError) as info:
        log.append(actor="a", action="updated", evidence={"token": b"sk-very-secret"})
    assert "sk-very-secret" not in str(info.value)
    with pytest.raises(ValidationError) as info2:
        log.append(actor=Secret("sk-very-secret"), action="updated")  # type: ignore[arg-type]
    assert "sk-very-secret" not in str(info2.value)


# -- the registry's contract: a borrowed connection and its transaction --------------------


def registry_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS integrations (id TEXT PRIMARY KEY, state TEXT)")
    return conn


def test_entry_appended_in_a_rolled_back_transaction_leaves_no_trace(db: Path) -> None:
    conn = registry_conn(db)
    log = AuditLog(conn, KEY)
    conn.execute("INSERT INTO integrations VALUES ('aware', 'ACTIVE')")
    log.append(actor="alice", action="activated", integration_id="aware", within_transaction=True)
    assert conn.in_transaction  # the log did not commit
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM integrations").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
    assert log.head() is None
    assert log.verify().ok

    conn.execute("INSERT INTO integrations VALUES ('aware', 'ACTIVE')")
    entry = log.append(actor="alice", action="activated", within_transaction=True)
    conn.commit()
    assert entry.seq == 1
    assert verify(db).ok
    with AuditLog.open(db, KEY) as other:
        assert other.head() == entry


def test_rollback_after_several_appends_keeps_the_chain_appendable(db: Path) -> None:
    conn = registry_conn(db)
    log = AuditLog(conn, KEY, seal_every=2)
    log.append_many([{"actor": "a", "action": "registered"}] * 3)
    conn.execute("UPDATE integrations SET state = 'REVOKED'")
    log.append_many([{"actor": "a", "action": "revoked"}] * 4, within_transaction=True)
    conn.rollback()
    assert log.append(actor="a", action="revoked").seq == 4
    assert log.verify().entries_checked == 4


def test_failed_append_inside_a_transaction_leaves_the_callers_work_intact(db: Path) -> None:
    conn = registry_conn(db)
    log = AuditLog(conn, KEY)
    log.append(actor="a", action="registered")
    # Make the head update fail after the entry row was inserted.
    conn.execute(
        "CREATE TRIGGER boom BEFORE UPDATE ON audit_log_head BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    conn.execute("INSERT INTO integrations VALUES ('aware', 'ACTIVE')")
    with pytest.raises(AuditError, match="boom"):
        log.append(actor="a", action="activated", within_transaction=True)
    assert conn.in_transaction
    assert conn.execute("SELECT count(*) FROM integrations").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
    conn.commit()
    conn.execute("DROP TRIGGER boom")
    assert log.verify().ok


def test_transaction_mode_mismatches_are_refused(db: Path) -> None:
    conn = registry_conn(db)
    log = AuditLog(conn, KEY)
    with pytest.raises(AuditError, match="no open transaction"):
        log.append(actor="a", action="updated", within_transaction=True)
    conn.execute("INSERT INTO integrations VALUES ('x', 'ACTIVE')")
    with pytest.raises(AuditError, match="open transaction"):
        log.append(actor="a", action="updated")
    conn.rollback()
    assert log.head() is None


def test_ensure_schema_is_idempotent_and_joins_the_callers_transaction(db: Path) -> None:
    conn = registry_conn(db)
    AuditLog.ensure_schema(conn)
    AuditLog.ensure_schema(conn)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"audit_log", "audit_log_head", "integrations"} <= tables


def test_sqlite_errors_become_audit_errors(db: Path) -> None:
    conn = sqlite3.connect(db)
    log = AuditLog(conn, KEY)
    conn.close()
    with pytest.raises(AuditError):
        log.append(actor="a", action="updated")
    with pytest.raises(AuditError):
        log.verify()
    with pytest.raises(AuditError):
        list(log.entries())
    with pytest.raises(AuditError, match="cannot open"):
        AuditLog.open(db.parent / "missing-dir" / "x.db", KEY)
    closed = sqlite3.connect(":memory:")
    closed.close()
    with pytest.raises(AuditError):
        AuditLog(closed, KEY)


def test_constructor_validates_key_and_options() -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(ValidationError, match="key"):
        AuditLog(conn, b"short")
    with pytest.raises(ValidationError, match="seal_every"):
        AuditLog(conn, KEY, seal_every=0)
    with pytest.raises(ValidationError, match="connection"):
        AuditLog("gov.db", KEY)  # type: ignore[arg-type]
    log = AuditLog(conn, Secret(KEY))
    assert log.append(actor="a", action="updated").seq == 1
    assert "Secret" not in repr(log)
    assert KEY.hex() not in repr(log)


def test_a_shared_lock_is_used_and_checked() -> None:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    with pytest.raises(ValidationError, match="lock"):
        AuditLog(conn, KEY, lock="not a lock")  # type: ignore[arg-type]
    lock = threading.RLock()
    log = AuditLog(conn, KEY, lock=lock)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    appended: list[int] = []
    writer = threading.Thread(
        target=lambda: appended.append(log.append(actor="a", action="updated").seq)
    )
    writer.start()
    writer.join(0.2)
    assert appended == []  # waits for the lock's holder
    release.set()
    writer.join(5)
    holder.join(5)
    assert appended == [1]


def test_export_is_atomic_and_rejects_unknown_formats(db: Path, tmp_path: Path) -> None:
    fill(db, 3)
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")
    with AuditLog.open(db, KEY) as log:
        with pytest.raises(ValidationError, match="format"):
            log.export(target, format="csv")  # type: ignore[arg-type]
        with pytest.raises(AuditError, match="cannot write"):
            log.export(tmp_path / "no-such-dir" / "x.jsonl")
        assert target.read_text() == "previous\n"
        assert log.export(target) == 3
    first = json.loads(target.read_text().splitlines()[0])
    assert first["at"].endswith("Z")
    assert first["seq"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# -- several processes ---------------------------------------------------------------------

WORKER = """
import os, sys
from hf_api_governance import AuditLog
path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
key = bytes.fromhex(os.environ["AUDIT_TEST_KEY"])
with AuditLog.open(path, key, seal_every=7) as log:
    done = 0
    ready = False
    while count < 0 or done < count:
        if done % 3 == 0:
            log.append_many(
                [{"actor": name, "action": "call_sent", "evidence": {"i": i}} for i in range(5)]
            )
            done += 5
        else:
            log.append(actor=name, action="call_allowed", evidence={"i": done})
            done += 1
        if done >= 50 and count < 0 and not ready:
            print("ready", flush=True)
            ready = True
"""


def spawn(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "AUDIT_TEST_KEY": KEY.hex(), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), name, str(count)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_concurrent_processes_keep_one_unbroken_chain(db: Path) -> None:
    AuditLog.open(db, KEY, seal_every=7).close()
    workers = [spawn(db, f"worker-{n}", 300) for n in range(4)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    with AuditLog.open(db, KEY) as log:
        report = log.verify()
        assert report.ok, report
        seqs = [e.seq for e in log.entries()]
        actors = [e.actor for e in log.entries()]
    assert seqs == list(range(1, len(seqs) + 1))
    for n in range(4):
        assert actors.count(f"worker-{n}") >= 300


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_process_killed_mid_append_leaves_a_verifying_chain(db: Path, delay: float) -> None:
    worker = spawn(db, "doomed", -1)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    with AuditLog.open(db, KEY) as log:
        report = log.verify()
        assert report.ok, report
        assert report.entries_checked >= 50
        assert log.append(actor="survivor", action="updated").seq == report.entries_checked + 1
        assert log.verify().ok


def test_entry_times_come_from_the_clock_in_utc(db: Path) -> None:
    paris = FrozenClock(datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(microseconds=7))
    with AuditLog.open(db, KEY, clock=paris) as log:
        entry = log.append(actor="a", action="updated")
        assert log.export(db.with_suffix(".jsonl")) == 1
    assert entry.at == datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC)
    line = json.loads(db.with_suffix(".jsonl").read_text())
    assert line["at"] == "2026-03-01T12:00:00.000007Z"
