"""Verification of the audit log: stream the chain, check every tag, diagnose the first fault.

:func:`verify_chain` is what :meth:`AuditLog.verify
<hf_api_governance.AuditLog.verify>` runs inside its read snapshot: one pass
in ``seq`` order at constant memory (one SHA-256 per entry, one HMAC per
``seal_every`` entries), then the head and the checkpoint. The first entry
that fails is classified once, on a slow path (:func:`_diagnose`), into a
:class:`~hf_api_governance.VerificationProblem`. :func:`verify_without_key`
runs it for an auditor holding no secret, against a signed checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import NamedTuple

from hf_api_governance._audit.chain import FORMAT, GENESIS, Tags, head_well_formed
from hf_api_governance._audit.entries import (
    Checkpoint,
    VerificationProblem,
    VerificationReport,
    format_at,
)
from hf_api_governance._audit.signing import SignedCheckpoint, signature_problem
from hf_api_governance._audit.storage import AuditStorage
from hf_api_governance._audit.storages import storage_for
from hf_api_governance.exceptions import AuditError, ValidationError

__all__ = ["Pin", "signed_pin", "verify_chain", "verify_without_key"]


class Pin(NamedTuple):
    """A head an authenticated checkpoint vouches for: the log must still hold it."""

    seq: int
    head_hash: bytes
    at: datetime


def verify_chain(
    storage: AuditStorage,
    tags: Tags | None,
    checkpoint: Checkpoint | None,
    pin: Pin | None = None,
) -> VerificationReport:
    """Check the chain, authenticators, head and an optional checkpoint; stop at the first problem.

    Reads in the caller's transaction (a snapshot) and holds no lock: the
    caller provides both, and maps the storage's errors.

    Args:
        storage: The storage holding the log's tables.
        tags: The authenticators under the key to verify with; ``None``
            verifies without the key (the public-key check): hashes and
            links only, the head record and the seals are not authenticated,
            so the result is only as strong as ``pin``.
        checkpoint: An HMAC checkpoint kept elsewhere, if any (needs ``tags``).
        pin: A head whose authenticity the caller already checked (a signed
            checkpoint's), if any.

    Returns:
        The report; ``report.ok`` is ``True`` when everything verified.
    """
    P = VerificationProblem
    keyed = tags is not None
    head = storage.read_head()
    if head is None:
        first = storage.first_seq()
        if first is not None:
            return _bad(0, first, P.HEAD_INVALID, "the log has entries but no head record")
    elif not head_well_formed(head):
        return _bad(0, None, P.HEAD_INVALID, "the head record is malformed")
    elif head.format != FORMAT:
        return _bad(0, None, P.HEAD_INVALID, f"unknown log format {head.format}")
    elif tags is not None and not hmac.compare_digest(head.key_check, tags.key_check):
        return _bad(0, None, P.WRONG_KEY, "this is not the key the log was written with")
    if checkpoint is not None:
        cp_hash = bytes.fromhex(checkpoint.head_hash)
        expected_tag = (
            None if tags is None else tags.checkpoint(checkpoint.seq, cp_hash, checkpoint.at)
        )
        if expected_tag is None or not hmac.compare_digest(
            bytes.fromhex(checkpoint.authenticator), expected_tag
        ):
            return _bad(
                0, None, P.CHECKPOINT_MISMATCH,
                "the checkpoint does not verify under this key: altered, or from another log",
            )  # fmt: skip
        pin = Pin(checkpoint.seq, cp_hash, checkpoint.at)
    if head is None:
        if pin is not None and pin.seq > 0:
            return _bad(
                0, 1, P.TRUNCATED_AFTER_CHECKPOINT,
                f"the log is empty but the checkpoint is at seq {pin.seq}",
            )  # fmt: skip
        return VerificationReport(ok=True, entries_checked=0, message="the audit log is empty")
    if tags is not None and not hmac.compare_digest(
        head.authenticator, tags.head(head.seal_every, head.seq, head.entry_hash)
    ):
        return _bad(0, head.seq, P.HEAD_INVALID, "the head record's authenticator is wrong")

    # Hot loop: one SHA-256 per entry, one HMAC per seal_every entries (none without the key).
    sha256 = hashlib.sha256
    seal_every = head.seal_every
    countdown = seal_every
    expected = 1
    prev = GENESIS
    last_sealed = 0
    for seq, body, ph, eh, tag in storage.rows(upto=head.seq):
        countdown -= 1
        if seq != expected or ph != prev or sha256(ph + body).digest() != eh:
            return _diagnose(
                storage, expected, prev, seq, body, ph, eh, tag, last_sealed, seal_every
            )
        if keyed and (countdown == 0 or tag is not None):
            assert tags is not None  # noqa: S101 - keyed
            if countdown != 0 or tag is None or tag != tags.entry(seq, eh):
                return _diagnose(
                    storage, expected, prev, seq, body, ph, eh, tag, last_sealed, seal_every
                )
            countdown = seal_every
            last_sealed = seq
        prev = eh
        expected += 1
    last = expected - 1
    head_name = "authenticated head" if keyed else "head record"

    if pin is not None and last < pin.seq:
        return _bad(
            last, last + 1, P.TRUNCATED_AFTER_CHECKPOINT,
            f"the log ends at seq {last} but the checkpoint taken "
            f"{format_at(pin.at)} is at seq {pin.seq}",
        )  # fmt: skip
    if last < head.seq:
        return _bad(
            last, last + 1, P.ENTRY_MISSING,
            f"the log ends at seq {last} but its {head_name} is at seq {head.seq}",
        )  # fmt: skip
    if prev != head.entry_hash:
        if not keyed:
            return _bad(
                last, head.seq, P.HEAD_INVALID,
                f"the head record does not hold the hash of entry {head.seq}",
            )  # fmt: skip
        return _bad(
            last_sealed, last_sealed + 1, P.AUTHENTICATOR_WRONG,
            f"entries {last_sealed + 1}..{last} do not lead to the authenticated head: "
            "rewritten by someone without the key",
        )  # fmt: skip
    beyond = storage.first_seq(after=head.seq)
    if beyond is not None:
        return _bad(
            last, beyond, P.ENTRY_INSERTED,
            f"entry {beyond} lies after the {head_name} (seq {head.seq})",
        )  # fmt: skip
    if pin is not None and pin.seq > 0:
        stored = storage.entry_hash(pin.seq)
        if stored is None or stored != pin.head_hash:
            return _bad(
                last, pin.seq, P.CHECKPOINT_MISMATCH,
                f"entry {pin.seq} no longer has the hash the checkpoint recorded: "
                "the log was rewritten since",
            )  # fmt: skip
    if keyed:
        message = f"the audit log verified: {last} entries"
    else:
        signed = 0 if pin is None else pin.seq
        message = (
            f"the audit log verified: {last} entries; entries 1..{signed} as signed "
            f"{'(no checkpoint)' if pin is None else 'at ' + format_at(pin.at)}"
        )
        if last > signed:
            message += (
                f"; entries {signed + 1}..{last} are hash-chained to them, but only the "
                "audit key can authenticate them"
            )
    return VerificationReport(ok=True, entries_checked=last, message=message)


def _body_seq(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("seq") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _stored_body_seq(storage: AuditStorage, seq: int) -> int | None:
    body = storage.body(seq)
    return None if body is None else _body_seq(body)


def _diagnose(
    storage: AuditStorage,
    expected: int,
    prev: bytes,
    seq: int,
    body: object,
    ph: object,
    eh: object,
    tag: object,
    last_sealed: int,
    seal_every: int,
) -> VerificationReport:
    """Classify the first failing entry (slow path, runs once)."""
    P = VerificationProblem
    ok_so_far = expected - 1
    if seq != expected:
        return _bad(ok_so_far, expected, P.ENTRY_MISSING, f"entry {expected} is missing")
    if not isinstance(body, bytes) or not isinstance(ph, bytes) or not isinstance(eh, bytes):
        return _bad(ok_so_far, seq, P.CONTENT_MODIFIED, f"entry {seq} has a mistyped field")
    if hashlib.sha256(ph + body).digest() != eh:
        return _bad(
            ok_so_far, seq, P.CONTENT_MODIFIED,
            f"entry {seq} does not match its hash: its content, prev_hash or entry_hash "
            "was changed",
        )  # fmt: skip
    body_seq = _body_seq(body)
    if body_seq is None:
        return _bad(ok_so_far, seq, P.CONTENT_MODIFIED, f"entry {seq} is not a valid entry")
    if body_seq != seq:
        shift = seq - body_seq
        following = _stored_body_seq(storage, seq + 1)
        if following is not None and following + shift != seq + 1:
            return _bad(
                ok_so_far, seq, P.ENTRIES_REORDERED,
                f"entry {seq} holds the entry written as {body_seq}",
            )  # fmt: skip
        if shift < 0:
            return _bad(
                ok_so_far, seq, P.ENTRY_MISSING,
                f"entries {seq}..{body_seq - 1} were removed and the rest renumbered",
            )  # fmt: skip
        return _bad(
            ok_so_far, body_seq, P.ENTRY_INSERTED,
            f"{shift} entr{'y' if shift == 1 else 'ies'} inserted before the entry "
            f"written as {body_seq}",
        )  # fmt: skip
    if ph != prev:
        return _bad(
            ok_so_far, seq, P.CHAIN_BROKEN,
            f"entry {seq}'s prev_hash is not the hash of entry {seq - 1}",
        )  # fmt: skip
    if _stored_body_seq(storage, seq + 1) == seq:
        return _bad(
            ok_so_far, seq, P.ENTRY_INSERTED,
            f"entry {seq} was inserted: the original entry {seq} now sits at {seq + 1}",
        )  # fmt: skip
    if tag is None:
        what = "has no authenticator"
    elif seq % seal_every != 0:
        what = "carries an unexpected authenticator"
    else:
        what = "has a wrong authenticator"
    return _bad(
        ok_so_far, seq, P.AUTHENTICATOR_WRONG,
        f"entry {seq} {what}: altered, or entries {last_sealed + 1}..{seq} were rewritten "
        "by someone without the key",
    )  # fmt: skip


def _bad(
    checked: int, first_bad: int | None, problem: VerificationProblem, message: str
) -> VerificationReport:
    return VerificationReport(
        ok=False,
        entries_checked=checked,
        first_bad_seq=first_bad,
        problem=problem,
        message=message,
    )


def signed_pin(checkpoint: SignedCheckpoint, public_key: bytes | str) -> Pin | VerificationReport:
    """What a signed checkpoint vouches for, once its signature verifies; else the failed report.

    Raises:
        ValidationError: ``public_key`` is not an Ed25519 public key in PEM form.
    """
    problem = signature_problem(checkpoint, public_key)
    if problem is not None:
        return VerificationReport(
            ok=False,
            entries_checked=0,
            problem=VerificationProblem.CHECKPOINT_MISMATCH,
            message=problem,
        )
    return Pin(checkpoint.seq, bytes.fromhex(checkpoint.head_hash), checkpoint.at)


def verify_without_key(
    connection: object, checkpoint: SignedCheckpoint, public_key: bytes | str
) -> VerificationReport:
    """Check a log against a signed checkpoint with its public key only: no secret needed.

    The signature must verify under ``public_key``; then every entry is
    re-hashed and linked, and the entry at the checkpoint's seq must still
    have its hash. Entries up to the checkpoint are thus exactly those the key
    holder signed for; later ones are hash-chained to them but cannot be
    authenticated without the key (the report says so). Reads in the
    caller's transaction when one is open, else in a snapshot of its own.

    Args:
        connection: The connection holding the log's tables (the registry's): a
            :class:`sqlite3.Connection`, or a PostgreSQL registry's connection
            handle (what ``Store.share`` gives).
        checkpoint: The signed checkpoint, kept where the database's writers
            cannot change it.
        public_key: The log's public key, PEM (``hf-gov audit public-key``).

    Returns:
        The report.

    Raises:
        AuditError: The database cannot be read.
        ValidationError: ``public_key`` is not an Ed25519 public key in PEM
            form, ``checkpoint`` not a :class:`SignedCheckpoint`, or
            ``connection`` not a connection the log can use.
    """
    if not isinstance(checkpoint, SignedCheckpoint):
        raise ValidationError("checkpoint", "must be a SignedCheckpoint (hf-gov audit checkpoint)")
    pin = signed_pin(checkpoint, public_key)
    if isinstance(pin, VerificationReport):
        return pin
    storage = storage_for(connection)
    try:
        with storage.reading():
            if not storage.present():
                if checkpoint.seq > 0:
                    return VerificationReport(
                        ok=False,
                        entries_checked=0,
                        first_bad_seq=1,
                        problem=VerificationProblem.TRUNCATED_AFTER_CHECKPOINT,
                        message=f"the audit log is missing but the checkpoint is at seq "
                        f"{checkpoint.seq}",
                    )
                return VerificationReport(
                    ok=True, entries_checked=0, message="the audit log is missing (empty)"
                )
            return verify_chain(storage, None, None, pin)
    except storage.errors as exc:
        raise AuditError(f"cannot read the audit log: {storage.message(exc)}") from exc
