"""Reading the audit log: entries, export, checkpoints, verification (:class:`LogReader`).

:class:`~hf_api_governance.AuditLog` is a :class:`LogReader` (this module:
what only reads the log) and a writer (:mod:`hf_api_governance._audit.log`:
opening, appends, batches). The reader checks the authenticated head the
writer extends (:meth:`LogReader._writable_head`).
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, TextIO

from hf_api_governance._audit.chain import FORMAT, GENESIS, Head, Tags, head_well_formed
from hf_api_governance._audit.entries import (
    AuditEntry,
    Checkpoint,
    VerificationReport,
    _atomic_write,
    _dumps,
)
from hf_api_governance._audit.signing import (
    SignedCheckpoint,
    public_key_pem,
    sign_checkpoint,
)
from hf_api_governance._audit.storage import AuditStorage, Row
from hf_api_governance._audit.verify import signed_pin, verify_chain
from hf_api_governance._base.checks import check_optional_text, check_path
from hf_api_governance._base.clock import Clock, ensure_aware
from hf_api_governance.exceptions import AuditError, ValidationError

__all__ = ["LogReader"]


class LogReader:
    """What reads an audit log: the half of :class:`~hf_api_governance.AuditLog` that never writes.

    Every method holds the log's lock around its use of the connection and
    maps database errors to :class:`~hf_api_governance.exceptions.AuditError`.
    """

    __slots__ = ()

    _storage: AuditStorage
    _tags: Tags
    _clock: Clock
    _seal_every: int
    _lock: AbstractContextManager[Any]

    def _writable_head(self, *, for_update: bool = True) -> tuple[int, bytes, int, bool]:
        """Check the head before extending the chain; return (seq, hash, seal_every, new).

        ``for_update`` locks the head row until the end of the write transaction.
        """
        head = self._storage.read_head(for_update=for_update)
        last = self._storage.last()
        if head is None:
            if last is not None:
                raise AuditError("the audit log has entries but no head record; run verify()")
            return 0, GENESIS, self._seal_every, True
        if not head_well_formed(head):
            # Wrong column types (the table is not STRICT) would otherwise escape
            # as TypeError/AttributeError from the comparisons below.
            raise AuditError("the audit log's head record is malformed; run verify()")
        if head.format != FORMAT:
            raise AuditError(
                f"the audit log has format {head.format}; this version writes {FORMAT}"
            )
        if not hmac.compare_digest(head.key_check, self._tags.key_check):
            raise AuditError("the key given is not the key this audit log was written with")
        if not hmac.compare_digest(
            head.authenticator, self._tags.head(head.seal_every, head.seq, head.entry_hash)
        ):
            raise AuditError("the audit log's head record does not verify; run verify()")
        if last is None or last[0] != head.seq or last[1] != head.entry_hash:
            raise AuditError("the audit log's last entry is not its head; run verify()")
        return head.seq, head.entry_hash, head.seal_every, False

    def head(self) -> AuditEntry | None:
        """Return the last entry, or ``None`` for an empty log.

        Raises:
            AuditError: The log cannot be read.
        """
        with self._lock:
            try:
                last = self._storage.last()
                if last is None:
                    return None
                for row in self._storage.rows(after=last[0] - 1, upto=last[0]):
                    return self._entry_from_row(row)
            except self._storage.errors as exc:
                raise AuditError(
                    f"cannot read the audit log: {self._storage.message(exc)}"
                ) from exc
        return None

    def entries(
        self, *, since_seq: int = 0, integration_id: str | None = None
    ) -> Iterator[AuditEntry]:
        """Iterate over the entries after ``since_seq``, oldest first, streaming.

        This reads; it does not verify (use :meth:`verify`).

        Args:
            since_seq: Only entries with ``seq > since_seq``.
            integration_id: Only entries about this integration.

        Raises:
            AuditError: The log cannot be read or holds an unreadable entry.
        """
        if not isinstance(since_seq, int) or isinstance(since_seq, bool) or since_seq < 0:
            raise ValidationError("since_seq", "must be an integer >= 0")
        check_optional_text("integration_id", integration_id)
        if integration_id is None:
            return self._select(since_seq, None)
        return self._entries_about(since_seq, integration_id)

    def _entries_about(self, since_seq: int, integration_id: str) -> Iterator[AuditEntry]:
        needle = '"integration_id":' + json.dumps(integration_id, ensure_ascii=False)
        for entry in self._select(since_seq, needle):
            if entry.integration_id == integration_id:
                yield entry

    def _select(self, since_seq: int, containing: str | None) -> Iterator[AuditEntry]:
        storage = self._storage
        try:
            for row in storage.rows(after=since_seq, containing=containing):
                yield self._entry_from_row(row)
        except storage.errors as exc:
            raise AuditError(f"cannot read the audit log: {storage.message(exc)}") from exc

    @staticmethod
    def _entry_from_row(row: Row) -> AuditEntry:
        seq, body, prev, entry_hash, tag = row
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError
            return AuditEntry.from_dict(
                {
                    **data,
                    "seq": seq,
                    "prev_hash": bytes(prev).hex(),
                    "entry_hash": bytes(entry_hash).hex(),
                    "authenticator": bytes(tag).hex() if tag is not None else None,
                }
            )
        except (ValueError, TypeError) as exc:
            raise AuditError(f"audit entry {seq} is unreadable; run verify()") from exc

    def export(
        self,
        path: str | os.PathLike[str] | TextIO,
        format: Literal["jsonl"] = "jsonl",
        *,
        follow_symlinks: bool = False,
    ) -> int:
        """Write every entry to ``path`` as JSON Lines, atomically (or to an open text stream).

        One JSON object per line (sorted keys, UTF-8) with the fields ``seq``,
        ``at``, ``actor``, ``action``, ``integration_id``, ``clause``,
        ``codes``, ``evidence``, ``prev_hash``, ``entry_hash`` and
        ``authenticator`` (see ``docs/audit.md``).

        Only a regular file is ever replaced: a FIFO, a device or a directory
        at ``path`` is refused, and so is a symbolic link unless
        ``follow_symlinks`` (then its target is written and the link stays).

        Args:
            path: The file to write (replaced atomically), or a text stream
                (``sys.stdout``) to write the lines to as they are read.
            format: Only ``"jsonl"``.
            follow_symlinks: Write the target of a symbolic link at ``path``.

        Returns:
            The number of entries written.

        Raises:
            ValidationError: Unknown format, or ``path`` is not a path.
            AuditError: The log cannot be read or the file cannot be written
                (or is not a regular file).
        """
        if format != "jsonl":
            raise ValidationError("format", "only 'jsonl' is supported")
        stream = (
            path if not isinstance(path, str | os.PathLike) and hasattr(path, "write") else None
        )
        where = None if stream is not None else Path(check_path("path", path))
        count = 0

        def lines() -> Iterator[str]:
            nonlocal count
            for entry in self.entries():
                count += 1
                yield _dumps(entry.to_dict()).decode() + "\n"

        with self._lock:
            if stream is not None:
                for line in lines():
                    stream.write(line)
            else:
                assert where is not None  # noqa: S101 - a path when not a stream
                _atomic_write(where, lines(), follow_symlinks=follow_symlinks)
        return count

    @contextmanager
    def _snapshot(self) -> Iterator[AuditStorage]:
        """The storage in a read snapshot, under the lock; database errors become AuditError."""
        storage = self._storage
        with self._lock:
            try:
                with storage.reading():
                    yield storage
            except storage.errors as exc:
                raise AuditError(f"cannot read the audit log: {storage.message(exc)}") from exc

    def _current_head(self) -> tuple[int, bytes]:
        """The head ``(seq, entry_hash)`` after checking it under the key (for checkpoints)."""
        with self._snapshot() as storage:
            head = _stored_head(storage)
            if head is None:
                return 0, GENESIS
            self._writable_head(for_update=False)
            return head.seq, head.entry_hash

    def checkpoint(self) -> Checkpoint:
        """Return an authenticated checkpoint of the current head.

        Keep a copy elsewhere (:meth:`Checkpoint.save`); give it back to
        :meth:`verify` to prove nothing up to it was removed or rewritten.
        Only the key holder can check it; :meth:`signed_checkpoint` makes one
        that an auditor checks with the public key only.

        Raises:
            AuditError: The head does not verify (the log was tampered with,
                or the key is wrong) or cannot be read.
        """
        seq, head_hash = self._current_head()
        at = ensure_aware(self._clock.now(), "clock.now()")
        tag = self._tags.checkpoint(seq, head_hash, at)
        return Checkpoint(seq=seq, head_hash=head_hash.hex(), authenticator=tag.hex(), at=at)

    def signed_checkpoint(self) -> SignedCheckpoint:
        """Return a checkpoint of the current head signed with the log's Ed25519 key.

        The key is derived from the log's key (never stored, see
        docs/audit.md); :meth:`public_key` gives its public half. Anyone with
        the public key checks the checkpoint, and a copy of the database
        against it, without any secret (:meth:`Registry.verify_audit
        <hf_api_governance.Registry.verify_audit>`). It only vouches for the
        head: verify the log (and cross-check it with the registry) first,
        as ``hf-gov audit checkpoint`` does.

        Raises:
            AuditError: The head does not verify (the log was tampered with,
                or the key is wrong) or cannot be read.
        """
        seq, head_hash = self._current_head()
        at = ensure_aware(self._clock.now(), "clock.now()")
        return sign_checkpoint(self._tags.signing_seed(), seq, head_hash, at)

    def public_key(self) -> str:
        """The PEM public key that checks this log's :meth:`signed_checkpoint` files.

        Not secret: hand it to auditors (``hf-gov audit public-key``). It is
        derived from the log's key, so it stays the same for the life of the log.
        """
        return public_key_pem(self._tags.signing_seed())

    @property
    def key_check(self) -> str:
        """Hex HMAC of a fixed label under the log's key: names the key, reveals nothing of it.

        The same value is stored in the log's head record and in the
        registry's audit mark.
        """
        return self._tags.key_check.hex()

    def key_matches(self) -> bool | None:
        """Whether the stored log was written with this log's key; ``None`` when it is empty.

        One read of the head record; no verification (:meth:`verify` does that).

        Raises:
            AuditError: The log has entries but no readable head record, or
                cannot be read.
        """
        with self._snapshot() as storage:
            head = _stored_head(storage)
        if head is None:
            return None
        if not head_well_formed(head):
            raise AuditError("the audit log's head record is malformed; run verify()")
        return hmac.compare_digest(head.key_check, self._tags.key_check)

    def verify(
        self,
        checkpoint: Checkpoint | SignedCheckpoint | None = None,
        *,
        public_key: bytes | str | None = None,
    ) -> VerificationReport:
        """Check the whole log: chain, authenticators, head and an optional checkpoint.

        Streams the entries (constant memory). Stops at the first problem.
        This checks the log alone: :meth:`Registry.verify_audit
        <hf_api_governance.Registry.verify_audit>` also cross-checks it with
        the registry's events.

        Args:
            checkpoint: A checkpoint kept elsewhere (HMAC or signed); proves
                that the log still holds, unchanged, every entry up to its seq.
            public_key: For a signed checkpoint, the PEM public key to check
                its signature with (default: this log's own, :meth:`public_key`).

        Returns:
            The report; ``report.ok`` is ``True`` when everything verified.

        Raises:
            AuditError: The database cannot be read.
            ValidationError: ``checkpoint`` is not a checkpoint, or
                ``public_key`` not an Ed25519 public key in PEM form.
        """
        if checkpoint is not None and not isinstance(checkpoint, Checkpoint | SignedCheckpoint):
            raise ValidationError("checkpoint", "must be a Checkpoint or a SignedCheckpoint")
        pin = None
        hmac_checkpoint = checkpoint if isinstance(checkpoint, Checkpoint) else None
        if isinstance(checkpoint, SignedCheckpoint):
            signed = signed_pin(
                checkpoint, public_key if public_key is not None else self.public_key()
            )
            if isinstance(signed, VerificationReport):
                return signed
            pin = signed
        with self._snapshot() as storage:
            return verify_chain(storage, self._tags, hmac_checkpoint, pin)


def _stored_head(storage: AuditStorage) -> Head | None:
    """The head record, or ``None`` for an empty log.

    Raises:
        AuditError: The log has entries but no head record.
    """
    head = storage.read_head()
    if head is None and storage.first_seq() is not None:
        raise AuditError("the audit log has entries but no head record; run verify()")
    return head
