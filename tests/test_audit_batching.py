"""Batched call records: what a facade session writes to the audit log, and when.

A session made by ``Governance.session`` keeps its call records in memory
and writes them in batches; denials, revocations and suspensions are written
durably, after the records before them, before the exception reaches the
caller. Every test reads the log through a connection of its own (what an
auditor or another process sees), never through the writer's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hf_api_governance import (
    AccessDenied,
    AuditLog,
    CredentialRevoked,
    Integration,
    InteroperabilitySuspended,
    Keystore,
    Licence,
    RetryPolicy,
    Secret,
    SuspensionCause,
    ValidationError,
)
from hf_api_governance._facade import Governance
from tests.servers import LocalServer, Received, Reply

KEY = b"batched-audit-test-key-32-bytes!"
TOKEN = "tok-Batch7Qz8v1LrN3xKp0aW"
FAST = RetryPolicy(max_attempts=2, base_wait=0.0, max_wait=0.01, total_timeout=5.0)
ITEMS = Reply(200, body={"data": [1, 2, 3]})


def _acme(url: str) -> Integration:
    return Integration(
        id="acme-api",
        name="Acme directory",
        service="aware",
        kind="third_party_api",
        vendor="Acme",
        base_url=url,
        owner="platform-team",
        credential="acme-token",
        licences=(Licence("Acme", "Directory API", date(2020, 1, 1), None),),
    )


def _open(where: str, tmp_path: Path) -> Governance:
    keys = tmp_path / "keys.hfks"
    keystore = Keystore.open(keys, key=KEY) if keys.exists() else Keystore.create(keys, key=KEY)
    if "acme-token" not in keystore:
        keystore.put("acme-token", Secret(TOKEN, label="acme token"))
    return Governance.open(where, keystore=keystore, audit_key=KEY, actor="alice")


@pytest.fixture
def gov(store_url: str, tmp_path: Path, server: LocalServer) -> Iterator[Governance]:
    g = _open(store_url, tmp_path)
    g.registry.register(_acme(server.url), actor="alice")
    g.registry.activate("acme-api", actor="alice")
    g.verify_info("acme-api")
    server.route("GET", "/v1/items", ITEMS)
    yield g
    g.close()


def _seen(where: str) -> list[str]:
    """The actions in the log, read through a connection of its own."""
    with AuditLog.open(where, KEY) as other:
        assert other.verify().ok
        return [entry.action for entry in other.entries()]


def _calls(where: str) -> list[str]:
    return [action for action in _seen(where) if action.startswith("call_")]


def test_call_records_wait_in_memory_and_are_written_on_session_close(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    session = gov.session("acme-api", retry=FAST)
    for _ in range(3):
        assert session.get(server.url + "/v1/items").status_code == 200
    assert _calls(store_url) == []  # nothing durable yet: the batch waits
    session.close()
    assert _calls(store_url) == ["call_sent"] * 3
    entries = [e for e in gov.audit.entries() if e.action == "call_sent"]  # type: ignore[union-attr]
    assert [e.integration_id for e in entries] == ["acme-api"] * 3
    assert entries[0].evidence["status"] == 200
    assert gov.verify_audit().ok  # the chain, and the cross-check with the registry's events
    assert gov.audit is not None
    checkpoint = gov.audit.signed_checkpoint()
    assert gov.verify_audit(checkpoint, public_key=gov.audit.public_key()).ok


def test_a_full_batch_is_written_without_waiting_for_close(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    assert gov.audit is not None
    gov.audit.set_batching(size=3, interval=3600)
    with gov.session("acme-api", retry=FAST) as session:
        for _ in range(4):
            session.get(server.url + "/v1/items")
        assert _calls(store_url) == ["call_sent"] * 3  # the fourth waits for the next batch
    assert _calls(store_url) == ["call_sent"] * 4


def test_the_interval_writes_a_batch_while_the_session_stays_open(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    assert gov.audit is not None
    gov.audit.set_batching(interval=0.05, size=1000)
    with gov.session("acme-api", retry=FAST) as session:
        session.get(server.url + "/v1/items")
        deadline = time.monotonic() + 30  # a bound for a loaded machine, not a timing claim
        while not _calls(store_url) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _calls(store_url) == ["call_sent"]


def test_strict_mode_writes_each_call_before_it_returns(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    with gov.session("acme-api", retry=FAST, audit="strict") as session:
        session.get(server.url + "/v1/items")
        assert _calls(store_url) == ["call_sent"]
        session.get(server.url + "/v1/items")
        assert _calls(store_url) == ["call_sent"] * 2


def test_an_unknown_audit_mode_names_the_field(gov: Governance) -> None:
    with pytest.raises(ValidationError) as info:
        gov.session("acme-api", audit="sometimes")  # type: ignore[arg-type]
    assert info.value.field == "audit"


def test_a_denial_is_durable_with_the_calls_before_it_when_the_exception_arrives(
    gov: Governance, server: LocalServer, store_url: str, tmp_path: Path
) -> None:
    with gov.session("acme-api", retry=FAST) as session:
        session.get(server.url + "/v1/items")
        session.get(server.url + "/v1/items")
        with _open(store_url, tmp_path) as other:  # another process suspends it
            other.suspend("acme-api", cause=SuspensionCause.MANUAL, reason="maintenance")
        try:
            session.get(server.url + "/v1/items")
        except AccessDenied:
            seen = _seen(store_url)
        else:  # pragma: no cover - the assertion below explains
            pytest.fail("the suspended integration was called")
    assert seen[-4:] == ["suspended", "call_sent", "call_sent", "call_denied"]


def test_a_suspension_is_durable_with_the_calls_before_it_when_the_exception_arrives(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    server.route("GET", "/v1/old", Reply(410, body={"error": "gone"}))
    with gov.session("acme-api", retry=FAST) as session:
        session.get(server.url + "/v1/items")
        try:
            session.get(server.url + "/v1/old")
        except InteroperabilitySuspended:
            seen = _seen(store_url)
        else:  # pragma: no cover - the assertion below explains
            pytest.fail("a 410 did not suspend")
    assert seen[-3:] == ["call_sent", "call_sent", "suspended"]


def test_a_revocation_is_durable_with_the_calls_before_it_when_the_exception_arrives(
    store_url: str, tmp_path: Path, server: LocalServer
) -> None:
    from tests.test_facade import _integration

    answers = [
        Reply(200, body={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}),
        Reply(401, body={"fail": [{"code": "InvalidClientIdentifier", "message": "revoked"}]}),
    ]
    server.route(
        "POST", "/oauth/token", lambda _r: answers.pop(0) if len(answers) > 1 else answers[0]
    )
    calls = [Reply(200, body={"data": [], "fail": []})]

    def account(_: Received) -> Reply:
        if calls:
            return calls.pop()
        return Reply(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, {"fail": []})

    server.route("GET", "/api/account", account)
    with _open(store_url, tmp_path) as g:
        assert g.keystore is not None
        g.keystore.put("mc-aware-client-id", Secret("client-id-value"))
        g.keystore.put("mc-aware-client-secret", Secret("cs-Revoke9Qz8Nw2Lk7Rb4"))
        g.registry.register(_integration(server.url), actor="alice")
        g.registry.activate("mimecast-aware", actor="alice")
        with g.session("mimecast-aware", retry=FAST) as session:
            session.get(server.url + "/api/account")
            try:
                session.get(server.url + "/api/account")
            except CredentialRevoked:
                seen = _seen(store_url)
            else:  # pragma: no cover - the assertion below explains
                pytest.fail("the refused client was not revoked")
    assert seen[-3:] == ["call_sent", "call_sent", "revoked"]


def test_two_threads_sharing_one_governance_lose_and_fork_nothing(
    gov: Governance, server: LocalServer, store_url: str
) -> None:
    assert gov.audit is not None
    gov.audit.set_batching(size=7, interval=0.01)
    shared = gov.session("acme-api", retry=FAST)
    failures: list[BaseException] = []

    def work(session_of_its_own: bool) -> None:
        try:
            session = gov.session("acme-api", retry=FAST) if session_of_its_own else shared
            for _ in range(40):
                session.get(server.url + "/v1/items")
            if session_of_its_own:
                session.close()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(flag,)) for flag in (True, False, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared.close()
    assert failures == []
    assert _calls(store_url) == ["call_sent"] * 120
    seqs = [e.seq for e in gov.audit.entries()]
    assert seqs == list(range(1, len(seqs) + 1))


_EXIT_SCRIPT = """
import sys
from datetime import date
from hf_api_governance import Integration, Keystore, Licence, Secret
from hf_api_governance._facade import Governance

where, keys, url, key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].encode()
gov = Governance.open(where, keystore=Keystore.open(keys, key=key), audit_key=key)
session = gov.session("acme-api")
for _ in range(5):
    session.get(url + "/v1/items").raise_for_status()
# No close: the interpreter exits with the batch waiting.
"""


def test_records_waiting_at_normal_interpreter_exit_are_written(
    gov: Governance, server: LocalServer, store_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "calls.py"
    script.write_text(_EXIT_SCRIPT)
    assert gov.keystore is not None
    gov.keystore.close()
    subprocess.run(
        [
            sys.executable,
            str(script),
            store_url,
            str(tmp_path / "keys.hfks"),
            server.url,
            KEY.decode(),
        ],
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert _calls(store_url) == ["call_sent"] * 5


_KILL_SCRIPT = """
import sys
from hf_api_governance import AuditLog

log = AuditLog.open(sys.argv[1], sys.argv[2].encode())
log.set_batching(size=10, interval=3600)
i = 0
while True:
    log.defer(actor="bench", action="call_sent", evidence={"i": i})
    i += 1
    if i % 7 == 0:
        print(i, flush=True)
"""


def test_kill_9_loses_at_most_the_waiting_batch_and_the_log_still_verifies(
    tmp_path: Path,
) -> None:
    where = tmp_path / "audit.db"
    AuditLog.open(where, KEY).close()
    script = tmp_path / "defer.py"
    script.write_text(textwrap.dedent(_KILL_SCRIPT))
    child = subprocess.Popen(
        [sys.executable, str(script), str(where), KEY.decode()],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert child.stdout is not None
    deferred = 0
    for line in child.stdout:
        deferred = int(line)
        if deferred >= 700:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close()
    with AuditLog.open(where, KEY) as log:
        assert log.verify().ok
        kept = [entry.evidence["i"] for entry in log.entries()]
    # A prefix, in order, missing at most the batch that was waiting (size - 1 records)
    # beyond what the child had announced.
    assert kept == list(range(len(kept)))
    assert len(kept) >= deferred - 9
    assert len(kept) % 10 == 0  # only whole batches were written: none half-written


def test_defer_checks_its_fields_and_records_unrecordable_evidence_as_such(
    tmp_path: Path,
) -> None:
    with AuditLog.open(tmp_path / "audit.db", KEY) as log:
        with pytest.raises(ValidationError) as info:
            log.defer(actor="", action="call_sent")
        assert info.value.field == "actor"
        with pytest.raises(ValidationError) as info:
            log.defer(actor="a", action="Not An Action")
        assert info.value.field == "action"
        with pytest.raises(ValidationError) as info:
            log.defer(actor="a", action="call_sent", evidence=["not", "a", "mapping"])  # type: ignore[arg-type]
        assert info.value.field == "evidence"
        log.defer(actor="a", action="call_sent", evidence={"x": float("nan")})
        appended = log.append(actor="a", action="checked")
        entries = list(log.entries())
    assert [e.action for e in entries] == ["call_sent", "checked"]
    assert "unrecordable_evidence" in entries[0].evidence
    assert appended.seq == 2
    assert entries[0].at <= entries[1].at


def test_append_many_writes_the_waiting_records_first_in_one_chain(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "audit.db", KEY) as log:
        log.defer(actor="a", action="call_sent", evidence={"n": 1})
        log.defer(actor="a", action="call_failed", evidence={"n": 2})
        written = log.append_many(
            [{"actor": "a", "action": "checked"}, {"actor": "a", "action": "revoked"}]
        )
        assert [e.seq for e in written] == [3, 4]
        assert log.flush() == 0
        assert [e.action for e in log.entries()] == [
            "call_sent",
            "call_failed",
            "checked",
            "revoked",
        ]
        assert log.verify().ok
