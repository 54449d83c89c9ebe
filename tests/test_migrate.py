"""Copying a registry between stores (``hf-gov db migrate``): all or nothing, and proven."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hf_api_governance import (
    AuditError,
    EventKind,
    FrozenClock,
    Registry,
    Revoker,
    StoreError,
    SuspensionCause,
    ValidationError,
)
from hf_api_governance import _migrate as migrate
from hf_api_governance._migrate import copy_registry
from hf_api_governance.testing import NOW, make_integration

KEY = bytes(range(32))
ROOT = Path(__file__).resolve().parent.parent


def populate(location: str) -> tuple[Any, ...]:
    """A registry with history, a revocation, a suspension and audited changes."""
    with Registry.open(location, clock=FrozenClock(NOW)) as registry:
        log = registry.attach_audit(KEY, seal_every=3)
        for ident in ("aware", "engage", "okta"):
            registry.register(make_integration(id=ident, credential=f"{ident}-token"), actor="a")
            registry.activate(ident, actor="a")
        registry.revoke("aware", by=Revoker.MIMECAST, reason="revoked by Mimecast")
        registry.suspend("engage", cause=SuspensionCause.API_CHANGED, reason="v1", actor="b")
        registry.record("okta", EventKind.SIGNAL_RECORDED, reason="429 seen", actor="client")
        log.append(actor="svc", action="call_denied", integration_id="aware")
        return snapshot(registry), log.head()


def snapshot(registry: Registry) -> tuple[Any, ...]:
    return tuple(registry.integrations()), registry.revoked_credentials()


@pytest.mark.parametrize(("first", "second"), [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_a_copy_holds_everything_and_its_audit_chain_ends_at_the_same_head(
    first: str, second: str, tmp_path: Path, pg_url: str
) -> None:
    where = {"sqlite": str(tmp_path / "registry.db"), "postgresql": pg_url}
    source, target = where[first], where[second]
    before, head = populate(source)
    report = copy_registry(source, target, audit_key=KEY)
    assert (report.integrations, report.events, report.revoked) == (3, 9, 1)
    assert (report.audit_entries, report.head_seq) == (10, 10)
    assert report.head_hash == head.entry_hash
    assert report.verified_with_key
    with Registry.open(target) as copied:
        assert snapshot(copied) == before
        assert copied.is_credential_revoked("aware-token")
        log = copied.attach_audit(KEY)
        assert log.verify().ok
        assert log.head() == head
        # The copy goes on where the source stopped.
        copied.reinstate("engage", reason="fixed", actor="b")
        last = log.head()
        assert last is not None
        assert last.seq == 11
        assert log.verify().ok


def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(
    tmp_path: Path, pg_url: str
) -> None:
    source = str(tmp_path / "source.db")
    populate(source)
    with Registry.open(pg_url) as target:
        target.register(make_integration(id="already-here"), actor="x")
        before = snapshot(target)
    with pytest.raises(StoreError, match="is not empty"):
        copy_registry(source, pg_url, audit_key=KEY)
    with Registry.open(pg_url) as target:
        assert snapshot(target) == before
    with pytest.raises(ValidationError, match="source itself"):
        copy_registry(source, source)


def test_a_copy_that_does_not_check_out_is_rolled_back_entirely(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(tmp_path / "source.db")
    populate(source)

    def broken(*_: Any) -> tuple[int, str]:
        raise AuditError("the copied audit chain breaks at entry 4; nothing was written")

    monkeypatch.setattr(migrate, "_check_chain", broken)
    with pytest.raises(AuditError, match="breaks at entry 4"):
        copy_registry(source, pg_url)
    with Registry.open(pg_url) as target:
        assert snapshot(target) == ((), frozenset())
        assert target.attach_audit(KEY).head() is None


def test_a_source_whose_audit_log_was_tampered_with_is_not_copied(
    tmp_path: Path, pg_url: str
) -> None:
    import sqlite3

    source = str(tmp_path / "source.db")
    populate(source)
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE audit_log SET body = replace(body, '\"a\"', '\"m\"') WHERE seq = 2")
    with pytest.raises(AuditError, match="does not verify"):
        copy_registry(source, pg_url, audit_key=KEY)
    # Without the key, the copy's hashes are still checked against the source's head:
    # the tampered entry no longer hashes to the recorded value.
    with pytest.raises(AuditError, match="breaks at entry 2"):
        copy_registry(source, pg_url)
    with Registry.open(pg_url) as target:
        assert snapshot(target) == ((), frozenset())


def test_a_registry_without_an_audit_log_is_copied_too(tmp_path: Path, pg_url: str) -> None:
    source = str(tmp_path / "plain.db")
    with Registry.open(source) as registry:
        registry.register(make_integration(), actor="x")
        before = snapshot(registry)
    report = copy_registry(source, pg_url)
    assert (report.integrations, report.audit_entries, report.head_seq) == (1, 0, 0)
    with Registry.open(pg_url) as copied:
        assert snapshot(copied) == before


def hf_gov(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    return subprocess.run(
        [sys.executable, "-m", "hf_api_governance", *args],
        cwd=cwd,
        env={**inherited, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hf_gov_db_migrate_moves_a_sqlite_registry_to_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    env = {"HF_GOV_PASSPHRASE": "migration test passphrase"}
    assert hf_gov("init", cwd=tmp_path, env=env).returncode == 0
    inventory = str(ROOT / "examples" / "inventory.toml")
    assert hf_gov("sync", inventory, cwd=tmp_path, env=env).returncode == 0
    moved = hf_gov(
        "db", "migrate", "--from", ".hf-gov/registry.db", "--to", pg_url, cwd=tmp_path, env=env
    )
    assert moved.returncode == 0, moved.stderr
    assert "copied 8 integrations, 8 events, 0 revoked credentials and 8 audit entries" in (
        moved.stdout
    )
    assert "with the audit key" in moved.stdout
    assert pg_url.split("host=")[1] not in moved.stdout  # the URL's query values are not shown
    verify = hf_gov("--db", pg_url, "audit", "verify", cwd=tmp_path, env=env)
    assert verify.returncode == 0, verify.stderr
    assert "audit log verified: 8 entries" in verify.stdout
    again = hf_gov(
        "db", "migrate", "--from", ".hf-gov/registry.db", "--to", pg_url, cwd=tmp_path, env=env
    )
    assert again.returncode == 1
    assert "is not empty" in again.stderr
    missing = hf_gov("db", "migrate", "--from", "nope.db", "--to", pg_url, cwd=tmp_path, env=env)
    assert missing.returncode == 2
    assert "no such registry database" in missing.stderr
