"""Copy a whole registry between stores (``hf-gov db migrate``), and prove the copy.

:func:`copy_registry` reads the source in one snapshot and writes the target
in one transaction: integrations (with their licences and current state),
every event with its ``seq``, the revoked credential names, and the audit mark and the audit
chain with its authenticated head, byte for byte. Before that transaction
commits, the copy is checked from inside it: the same number of everything,
the same events, and an audit chain that hashes from the first entry to the
same head as the source's (with the audit key, the full verification too).
Anything wrong rolls the whole copy back: the target stays empty.

A target that holds anything at all is refused, so nothing is ever merged
or overwritten. The source is only read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import attrs

from hf_api_governance._audit.chain import GENESIS, Head
from hf_api_governance._audit.log import AuditLog
from hf_api_governance._audit.storage import AuditStorage, Row
from hf_api_governance._audit.storages import storage_for
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._storage.store import (
    Store,
    StoreSession,
    describe_location,
)
from hf_api_governance._storage.stores import open_store
from hf_api_governance.exceptions import AuditError, StoreError, ValidationError

__all__ = ["CopyReport", "copy_registry"]

_BATCH = 1000
"""Audit rows inserted per statement batch."""


@attrs.frozen
class CopyReport:
    """What :func:`copy_registry` copied and checked.

    Attributes:
        source: The source, without credentials.
        target: The target, without credentials.
        integrations: Integrations copied.
        events: Events copied.
        revoked: Revoked credential names copied.
        audit_entries: Audit entries copied.
        head_seq: The audit chain's head seq (0 for no audit log).
        head_hash: The head's entry hash, hex ("" for no audit log).
        verified_with_key: Whether the audit log was also verified with its key
            (chain, authenticators and head), in the source and in the copy.
    """

    source: str
    target: str
    integrations: int
    events: int
    revoked: int
    audit_entries: int
    head_seq: int
    head_hash: str
    verified_with_key: bool


def copy_registry(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    audit_key: bytes | Secret | None = None,
    timeout: float = 10.0,
) -> CopyReport:
    """Copy everything from the registry at ``source`` into the empty one at ``target``.

    Args:
        source: A SQLite file or a ``postgresql://`` URL (read only).
        target: A SQLite file or a ``postgresql://`` URL; created if it does
            not exist, refused if it holds anything.
        audit_key: The audit log's key: with it, the source's log is verified
            before the copy and the copy's after (authenticators included).
            Without it, the copy's chain is re-hashed and compared with the
            source's head.
        timeout: Seconds to wait for each database.

    Returns:
        What was copied and checked.

    Raises:
        StoreError: A database cannot be used, the target is not empty, or is
            the source; nothing was written.
        AuditError: The source's audit log does not verify with the key, or
            the copy does not match the source; nothing was written.
    """
    if _same(source, target):
        raise ValidationError("to", "is the source itself: give another database")
    src_name, dst_name = describe_location(source), describe_location(target)
    src = open_store(source, timeout=timeout)
    try:
        if audit_key is not None and src.share(lambda conn, lock: storage_for(conn).present()):
            report = src.share(lambda conn, lock: AuditLog(conn, audit_key, lock=lock)).verify()
            if not report.ok:
                raise AuditError(f"the audit log of {src_name} does not verify: {report.message}")
        dst = open_store(target, timeout=timeout)
        try:
            with src.read() as reading:
                source_audit = _audit_storage(src)
                totals = _copy(reading, source_audit, dst, dst_name, audit_key)
        finally:
            dst.close()
    finally:
        src.close()
    return CopyReport(src_name, dst_name, *totals, verified_with_key=audit_key is not None)


def _same(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> bool:
    a, b = os.fspath(source), os.fspath(target)
    if a == b:
        return True
    if a == ":memory:" or b == ":memory:" or "://" in a or "://" in b:
        return False
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def _audit_storage(store: Store) -> AuditStorage | None:
    """The store's audit storage, or ``None`` when it has no audit tables."""
    storage = store.share(lambda conn, lock: storage_for(conn))
    return storage if storage.present() else None


def _copy(
    reading: StoreSession,
    source_audit: AuditStorage | None,
    dst: Store,
    dst_name: str,
    audit_key: bytes | Secret | None,
) -> tuple[int, int, int, int, int, str]:
    """One write transaction on the target: refuse if not empty, copy, check; return the totals."""
    integrations = reading.select(service=None, kind=None, state=None, with_history=False)
    revoked = reading.revoked_records()
    mark = reading.audit_mark()
    head = source_audit.read_head() if source_audit is not None else None
    with dst.write() as tx:
        target_audit = dst.share(lambda conn, lock: storage_for(conn))
        target_audit.ensure_schema()
        if (
            tx.ids()
            or next(tx.events(), None) is not None
            or tx.revoked()
            or tx.audit_mark() is not None
        ):
            raise StoreError(f"registry database {dst_name} is not empty: give an empty target")
        if target_audit.read_head() is not None or target_audit.first_seq() is not None:
            raise StoreError(f"registry database {dst_name} already holds an audit log")
        for integration in integrations:
            tx.insert(integration)
        events = 0
        for batch in _batches(reading.events()):
            tx.import_events(batch)
            events += len(batch)
        tx.import_revoked(revoked)
        tx.import_audit_mark(mark)  # an audited registry stays audited
        entries = 0
        if source_audit is not None:
            for rows in _batches(source_audit.rows()):
                target_audit.insert(rows)
                entries += len(rows)
            if head is not None:
                target_audit.create_head(head)
        # Checked inside the transaction: a mismatch rolls the whole copy back.
        _check(reading, tx, len(integrations), events, len(revoked))
        if tx.audit_mark() != mark:
            raise StoreError(f"the copy in {dst_name} does not hold the source's audit mark")
        head_seq, head_hash = _check_chain(target_audit, head, entries)
        if audit_key is not None and head is not None:
            report = dst.share(lambda conn, lock: AuditLog(conn, audit_key, lock=lock)).verify()
            if not report.ok:
                raise AuditError(f"the copied audit log does not verify: {report.message}")
    return len(integrations), events, len(revoked), entries, head_seq, head_hash


def _batches(items: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _check(
    reading: StoreSession, written: StoreSession, integrations: int, events: int, revoked: int
) -> None:
    """The copy holds what the source holds (integrations, histories, revoked names)."""
    copied = written.select(service=None, kind=None, state=None, with_history=True)
    original = reading.select(service=None, kind=None, state=None, with_history=True)
    if (
        len(copied) != integrations
        or copied != original
        or [i.history for i in copied] != [i.history for i in original]
        or sum(len(i.history) for i in copied) != events
        or len(written.revoked_records()) != revoked
        or written.revoked_records() != reading.revoked_records()
    ):
        raise StoreError("the copy does not hold what the source holds; nothing was written")


def _check_chain(storage: AuditStorage, head: Head | None, entries: int) -> tuple[int, str]:
    """Re-hash the copied chain from the first entry; it must end at the source's head."""
    if head is None:
        if entries:
            raise AuditError("the source has audit entries but no head record; run audit verify")
        return 0, ""
    prev, count = GENESIS, 0
    row: Row
    for row in storage.rows():
        seq, body, prev_hash, entry_hash, _tag = row
        count += 1
        if seq != count or prev_hash != prev or hashlib.sha256(prev + body).digest() != entry_hash:
            raise AuditError(f"the copied audit chain breaks at entry {seq}; nothing was written")
        prev = entry_hash
    written = storage.read_head()
    if count != entries or written != head or (count, prev) != (head.seq, head.entry_hash):
        raise AuditError("the copied audit chain does not end at the source's head")
    return head.seq, head.entry_hash.hex()
