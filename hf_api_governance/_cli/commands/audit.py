"""``hf-gov audit ...``: verify, checkpoint, export and adopt into the audit log."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from hf_api_governance._audit.signing import SignedCheckpoint, load_checkpoint
from hf_api_governance._base.files import (
    atomic_write,
    read_regular_file,
)
from hf_api_governance._cli.output import (
    isatty,
    print_verification,
    show_progress,
)
from hf_api_governance._cli.parser import UsageError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog
from hf_api_governance._cli.commands.opening import (
    audit_of,
    input_file,
    open_governance,
    output_file,
)


def cmd_audit_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit verify``: check the audit log and cross-check it with the registry.

    With ``--public-key`` (and a signed ``--checkpoint``) no keystore is
    opened and no passphrase asked: the auditor's check.

    Returns:
        0 when the log verifies and matches the registry, 1 otherwise.

    Raises:
        UsageError: No audit key; a checkpoint or key file that is missing or
            not a regular file; or ``--public-key`` without a signed
            ``--checkpoint``, or with ``--save-checkpoint``.
    """
    checkpoint = (
        load_checkpoint(input_file(args.checkpoint, "--checkpoint")) if args.checkpoint else None
    )
    if args.public_key:
        if not isinstance(checkpoint, SignedCheckpoint):
            raise UsageError(
                "--public-key checks a signed checkpoint: give --checkpoint FILE written by "
                "'hf-gov audit checkpoint'"
            )
        if args.save_checkpoint:
            raise UsageError("--save-checkpoint needs the audit key; not with --public-key")
        public_key = _read_public_key(args.public_key)
        with open_governance(args, keystore="none") as gov:
            report = gov.verify_audit(checkpoint, public_key=public_key)
    else:
        save = output_file(args.save_checkpoint) if args.save_checkpoint else None
        with open_governance(args, audited=True) as gov:
            audit = audit_of(gov)
            total = _audit_size(audit) if isatty(err) else 0
            show_progress(err, "verifying the audit log", 0, total)
            report = gov.verify_audit(checkpoint)
            show_progress(err, "verifying the audit log", total, total)
            if report.ok and save is not None:
                audit.checkpoint().save(save)
    print_verification(report, out, err, as_json=args.json)
    return 0 if report.ok else 1


MAX_PUBLIC_KEY_SIZE = 16 * 1024
"""The largest ``--public-key`` file read (a PEM Ed25519 public key is 113 bytes)."""


def _read_public_key(path: str) -> bytes:
    """The PEM bytes of ``--public-key`` (checked when used).

    Raises:
        UsageError: The file is missing, not a regular file, too large or unreadable.
    """
    where = input_file(path, "--public-key")
    try:
        return read_regular_file(where, limit=MAX_PUBLIC_KEY_SIZE)
    except OSError as exc:
        raise UsageError(f"--public-key: cannot read {where}: {exc.strerror or exc}") from None


def cmd_audit_checkpoint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit checkpoint``: verify, then write a signed checkpoint (no secret in it).

    Returns:
        0 when written, 1 when the log fails verification (nothing is written).

    Raises:
        UsageError: No audit key, or FILE is not a regular file (or a symbolic link).
    """
    target = output_file(args.path)
    with open_governance(args, audited=True) as gov:
        audit = audit_of(gov)
        report = gov.verify_audit()
        if not report.ok:
            print_verification(report, out, err, as_json=False, what=", no checkpoint written")
            return 1
        checkpoint = audit.signed_checkpoint()
        checkpoint.save(target)
    out.write(
        f"signed checkpoint written to {target}: {checkpoint.seq} entries, "
        f"key {checkpoint.key_id[:16]}\n"
    )
    return 0


def cmd_audit_public_key(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit public-key``: the PEM public key of signed checkpoints (not a secret).

    Raises:
        UsageError: No audit key, or FILE is not a regular file (or a symbolic link).
    """
    target = output_file(args.path) if args.path else None
    with open_governance(args, audited=True) as gov:
        pem = audit_of(gov).public_key()
    if target is None:
        out.write(pem)
        return 0
    try:
        atomic_write(target, [pem.encode("ascii")], mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    out.write(f"public key written to {target}\n")
    return 0


def cmd_audit_adopt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit adopt``: record, once, the registry events the audit log does not cover.

    Raises:
        UsageError: No audit key.
    """
    with open_governance(args, audited=True) as gov:
        audit_of(gov)
        count = gov.adopt_audit(reason=args.reason)
    out.write(f"adopted {count} registry events into the audit log\n")
    return 0


def _audit_size(audit: AuditLog) -> int:
    """The number of entries, for progress only: a damaged head is verify's to report."""
    try:
        head = audit.head()
    except Exception:
        return 0
    return 0 if head is None else int(head.seq)


def cmd_audit_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit export``: write the audit log as JSON lines for a SIEM (``-``: stdout).

    Raises:
        UsageError: The target exists and is not a regular file, or is a
            symbolic link without ``--follow-symlinks``.
    """
    to_stdout = args.path == "-"
    target = (
        None
        if to_stdout
        else output_file(args.path, follow_option="--follow-symlinks", follow=args.follow_symlinks)
    )
    with open_governance(args, audited=True) as gov:
        audit = audit_of(gov)
        count = audit.export(out if target is None else target)
    if to_stdout:
        err.write(f"exported {count} entries to standard output\n")
    else:
        out.write(f"exported {count} entries to {args.path}\n")
    return 0
