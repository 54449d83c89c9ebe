"""What each ``hf-gov`` command does: ``cmd_*(args, out, err) -> exit code``, through the facade.

Every command opens a :class:`Governance` (or, for ``check`` on an inventory
file, asks it for a report without a database) and prints with
:mod:`~hf_api_governance._cli.output`. The default files, passphrase
variables and actor come from :mod:`hf_api_governance._defaults`, as for the
facade. :data:`COMMANDS` maps a command line (``"check"``, ``"keys set"``) to
its handler; ``main`` dispatches through it.

Start-up: the modules imported here are the ones ``import hf_api_governance``
loads anyway. The heavy ones stay lazy in the facade: cryptography when a
keystore is opened, requests only for a governed session (no command uses
one), so ``hf-gov --help`` imports neither.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hf_api_governance._audit.entries import VerificationReport
from hf_api_governance._audit.signing import SignedCheckpoint, load_checkpoint
from hf_api_governance._base.files import atomic_write
from hf_api_governance._cli.output import (
    isatty,
    print_integration,
    print_integrations,
    print_sync,
    show_progress,
    write_report,
)
from hf_api_governance._cli.parser import UsageError, parse_at
from hf_api_governance._confidential.secret import Classification, Secret
from hf_api_governance._defaults import (
    AUDIT_KEY_ENV,
    DEFAULT_REGISTRY,
    KEYSTORE_FILE,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    passphrase_from_env,
    passphrase_secret,
)
from hf_api_governance._facade import Governance
from hf_api_governance._model.rules import check_entry_name
from hf_api_governance._model.values import Revoker, SuspensionCause
from hf_api_governance._policy import Action, PolicyEngine, load_hooks
from hf_api_governance._registry.inventory import load_inventory
from hf_api_governance.exceptions import PolicyError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._policy import PolicyHook

__all__ = [
    "COMMANDS",
    "INVENTORY_CHECK_ACTOR",
    "Command",
    "cmd_audit_adopt",
    "cmd_audit_checkpoint",
    "cmd_audit_export",
    "cmd_audit_public_key",
    "cmd_audit_verify",
    "cmd_check",
    "cmd_init",
    "cmd_keys_change_passphrase",
    "cmd_keys_list",
    "cmd_keys_set",
    "cmd_list",
    "cmd_reinstate",
    "cmd_revoke",
    "cmd_show",
    "cmd_suspend",
    "cmd_sync",
    "cmd_verify_info",
]

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]
"""A command handler: parsed arguments, output stream, error stream; returns the exit code."""

INVENTORY_CHECK_ACTOR = "hf-gov check"
"""The actor in the history ``check`` builds for an inventory file's integrations."""

# ------------------------------------------------------------------------- opening


def _registry_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else DEFAULT_REGISTRY


def _keystore_path(args: argparse.Namespace) -> Path:
    """``--keystore``, else the keystore file beside the registry database."""
    return Path(args.keystore) if args.keystore else _registry_path(args).parent / KEYSTORE_FILE


def _passphrase(*, confirm: bool = False, prompt: str = "Keystore passphrase: ") -> Secret:
    """The passphrase from the environment, else from a hidden prompt on a terminal.

    Raises:
        UsageError: No variable and no terminal, the two entries differ
            (``confirm``), or the entry is empty.
    """
    from_env = passphrase_from_env()
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        raise UsageError(
            f"set {PASSPHRASE_ENV} or run on a terminal to be prompted for the passphrase"
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise UsageError("the passphrases differ")
    if not first:
        raise UsageError("the passphrase must not be empty")
    return passphrase_secret(first)


def _open(
    args: argparse.Namespace,
    *,
    need_keystore: bool = False,
    keystore: bool = True,
    hooks: Sequence[PolicyHook] = (),
) -> Governance:
    """Open the registry of ``--db``, with the keystore when it exists (or is needed).

    ``keystore=False`` never opens one (nor asks a passphrase).

    Raises:
        UsageError: No registry database, or ``need_keystore`` and no keystore
            (only ``hf-gov init`` creates one: a typo must not start an empty one).
    """
    ks_path = _keystore_path(args)
    use_keystore = keystore and (need_keystore or ks_path.exists())
    db = _registry_path(args)
    if not db.exists() and args.command not in ("init",):
        raise UsageError(f"{db}: no registry database; run 'hf-gov init' or give --db")
    if need_keystore and not ks_path.exists():
        raise UsageError(f"{ks_path}: no keystore; run 'hf-gov init' or give --keystore")
    passphrase = _passphrase() if use_keystore else None
    return Governance.open(
        db,
        keystore=ks_path if use_keystore else None,
        passphrase=passphrase,
        actor=args.actor,
        hooks=hooks,
    )


def _audit_of(gov: Governance) -> AuditLog:
    """The open audit log.

    Raises:
        UsageError: There is none (no keystore and no audit key variable).
    """
    if gov.audit is None:
        raise UsageError(f"no audit key: open with the keystore or set {AUDIT_KEY_ENV}")
    return gov.audit


# ------------------------------------------------------------------------ commands


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov check``: report every decision of an inventory file or a registry database.

    Returns:
        0 when nothing is denied, 1 otherwise.

    Raises:
        UsageError: A bad ``--at``, a missing target, or unusable ``--hooks``.
    """
    action = Action(args.action)
    at = parse_at(args.at) if args.at else None
    target = Path(args.target)
    if not target.exists():
        raise UsageError(f"{target}: no such file")
    hooks = _load_hooks(args.hooks)

    def progress(done: int, total: int) -> None:
        show_progress(err, "evaluating", done, total)

    if target.suffix.lower() == ".toml":
        report = Governance.report_inventory(
            load_inventory(target),
            at,
            action,
            hooks=hooks,
            actor=INVENTORY_CHECK_ACTOR,
            progress=progress,
        )
    else:
        args.db = str(target)
        with _open(args, hooks=hooks) as gov:
            report = gov.report(at, action, progress=progress)
    write_report(report, out, as_json=args.json, only_problems=args.only_problems)
    return 0 if report.ok else 1


def _load_hooks(modules: Sequence[str]) -> tuple[PolicyHook, ...]:
    """Import ``--hooks`` modules; any failure is a one-line usage error (exit 2)."""
    if not modules:
        return ()
    try:
        hooks = load_hooks(*modules)
        PolicyEngine(hooks=hooks)  # duplicate codes across modules are refused here
    except PolicyError as exc:
        hint = " (is its directory on PYTHONPATH?)" if "ModuleNotFoundError" in str(exc) else ""
        raise UsageError(f"--hooks: {exc}{hint}") from None
    return hooks


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov init``: create the registry database and the keystore (asking a new passphrase).

    Raises:
        UsageError: The database exists, or no passphrase could be read.
    """
    db = _registry_path(args)
    ks = _keystore_path(args)
    if db.exists():
        raise UsageError(f"{db}: already initialised")
    passphrase = (
        None if ks.exists() else _passphrase(confirm=True, prompt="New keystore passphrase: ")
    )
    db.parent.mkdir(parents=True, exist_ok=True)
    if passphrase is None:
        passphrase = _passphrase()
    with Governance.open(db, keystore=ks, passphrase=passphrase, actor=args.actor):
        pass
    out.write(f"initialised {db} and {ks}\n")
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov sync``: apply an inventory file to the registry."""
    declared = load_inventory(args.inventory)
    with _open(args) as gov:
        # One transaction: progress can only say "started" and "done".
        show_progress(err, "syncing", 0, len(declared))
        result = gov.sync(declared)
        show_progress(err, "syncing", len(declared), len(declared))
    print_sync(result, out)
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov list``: one line (or JSON object) per integration, in id order."""
    with _open(args) as gov:
        integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    print_integrations(integrations, out, as_json=args.json)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov show``: one integration's state, licences and history."""
    with _open(args) as gov:
        integration = gov.registry.get(args.id)
    print_integration(integration, out)
    return 0


def cmd_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov revoke``: record a revocation (clause 1.1.1)."""
    with _open(args) as gov:
        gov.revoke(args.id, by=Revoker(args.by), reason=args.reason)
    out.write(f"{args.id}: revoked (by {args.by})\n")
    return 0


def cmd_suspend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov suspend``: suspend interoperability (clause 1.1.2)."""
    with _open(args) as gov:
        gov.suspend(args.id, cause=SuspensionCause(args.cause), reason=args.reason)
    out.write(f"{args.id}: suspended ({args.cause})\n")
    return 0


def cmd_reinstate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov reinstate``: lift a suspension."""
    with _open(args) as gov:
        gov.reinstate(args.id, reason=args.reason)
    out.write(f"{args.id}: reinstated\n")
    return 0


def cmd_verify_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov verify-info``: record that the enablement information is current (clause 1.1)."""
    with _open(args) as gov:
        gov.verify_info(args.id)
    out.write(f"{args.id}: enablement information verified\n")
    return 0


def cmd_keys_set(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys set``: store a value read from stdin or a hidden prompt, never argv.

    Raises:
        UsageError: The value is empty, or there is no keystore.
    """
    check_entry_name("NAME", args.name)
    if sys.stdin.isatty():
        value = getpass.getpass(f"Value for {args.name} (hidden): ")
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
    if not value:
        raise UsageError(
            "the value is empty (give it on stdin or at the prompt, never as an argument)"
        )
    secret = Secret(value, Classification(args.classification), args.label)
    del value
    with _open(args, need_keystore=True) as gov:
        assert gov.keystore is not None  # noqa: S101 - need_keystore
        gov.keystore.put(args.name, secret)
        fp = gov.keystore.fingerprint(args.name)
    out.write(f"stored {args.name} ({fp})\n")
    return 0


def cmd_keys_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys list``: names, classifications and fingerprints, never values."""
    with _open(args, need_keystore=True) as gov:
        ks = gov.keystore
        assert ks is not None  # noqa: S101 - need_keystore
        for name in sorted(ks.names()):
            secret = ks.get(name)
            label = f"  {secret.label}" if secret.label else ""
            out.write(f"{name}  {secret.classification.value}  {secret.fingerprint}{label}\n")
    return 0


def cmd_keys_change_passphrase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys change-passphrase``: re-wrap the keystore's keys with a new passphrase.

    The new passphrase comes from :data:`~hf_api_governance._defaults.NEW_PASSPHRASE_ENV`,
    else from a prompt (asked twice).
    """
    with _open(args, need_keystore=True) as gov:
        assert gov.keystore is not None  # noqa: S101 - need_keystore
        new = passphrase_from_env(NEW_PASSPHRASE_ENV)
        if new is None:
            os.environ.pop(PASSPHRASE_ENV, None)
            new = _passphrase(confirm=True, prompt="New keystore passphrase: ")
        gov.keystore.change_passphrase(new)
    out.write("passphrase changed\n")
    return 0


def cmd_audit_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit verify``: check the audit log and cross-check it with the registry.

    With ``--public-key`` (and a signed ``--checkpoint``) no keystore is
    opened and no passphrase asked: the auditor's check.

    Returns:
        0 when the log verifies and matches the registry, 1 otherwise.

    Raises:
        UsageError: No audit key; or ``--public-key`` without a signed
            ``--checkpoint``, or with ``--save-checkpoint``.
    """
    checkpoint = load_checkpoint(args.checkpoint) if args.checkpoint else None
    if args.public_key:
        if not isinstance(checkpoint, SignedCheckpoint):
            raise UsageError(
                "--public-key checks a signed checkpoint: give --checkpoint FILE written by "
                "'hf-gov audit checkpoint'"
            )
        if args.save_checkpoint:
            raise UsageError("--save-checkpoint needs the audit key; not with --public-key")
        public_key = _read_public_key(args.public_key)
        with _open(args, keystore=False) as gov:
            report = gov.verify_audit(checkpoint, public_key=public_key)
    else:
        with _open(args, need_keystore=True) as gov:
            audit = _audit_of(gov)
            total = _audit_size(audit) if isatty(err) else 0
            show_progress(err, "verifying the audit log", 0, total)
            report = gov.verify_audit(checkpoint)
            show_progress(err, "verifying the audit log", total, total)
            if report.ok and args.save_checkpoint:
                audit.checkpoint().save(args.save_checkpoint)
    if report.ok:
        out.write(
            f"audit log verified: {report.message.removeprefix('the audit log verified: ')}\n"
        )
        return 0
    _write_failure(report, err)
    return 1


def _write_failure(report: VerificationReport, err: TextIO, what: str = "") -> None:
    """The failure line, then each registry mismatch with its positions (at most 20)."""
    err.write(f"audit log FAILED verification{what}: {report.message}\n")
    if len(report.mismatches) > 1:
        for mismatch in report.mismatches[:20]:
            err.write(f"  {mismatch.problem.value}: {mismatch.message}\n")


def _read_public_key(path: str) -> bytes:
    """The PEM bytes of ``--public-key`` (checked when used).

    Raises:
        UsageError: The file cannot be read.
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"--public-key: cannot read {path}: {exc.strerror or exc}") from None


def cmd_audit_checkpoint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit checkpoint``: verify, then write a signed checkpoint (no secret in it).

    Returns:
        0 when written, 1 when the log fails verification (nothing is written).

    Raises:
        UsageError: No audit key.
    """
    with _open(args, need_keystore=True) as gov:
        audit = _audit_of(gov)
        report = gov.verify_audit()
        if not report.ok:
            _write_failure(report, err, ", no checkpoint written")
            return 1
        checkpoint = audit.signed_checkpoint()
        checkpoint.save(args.path)
    out.write(
        f"signed checkpoint written to {args.path}: {checkpoint.seq} entries, "
        f"key {checkpoint.key_id[:16]}\n"
    )
    return 0


def cmd_audit_public_key(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit public-key``: the PEM public key of signed checkpoints (not a secret).

    Raises:
        UsageError: No audit key, or FILE cannot be written.
    """
    with _open(args, need_keystore=True) as gov:
        pem = _audit_of(gov).public_key()
    if not args.path:
        out.write(pem)
        return 0
    try:
        atomic_write(Path(args.path), [pem.encode("ascii")], mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write {args.path}: {exc.strerror or exc}") from None
    out.write(f"public key written to {args.path}\n")
    return 0


def cmd_audit_adopt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov audit adopt``: record, once, the registry events the audit log does not cover.

    Raises:
        UsageError: No audit key.
    """
    with _open(args, need_keystore=True) as gov:
        _audit_of(gov)
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
    """``hf-gov audit export``: write the audit log as JSON lines for a SIEM.

    Raises:
        UsageError: No audit key.
    """
    with _open(args, need_keystore=True) as gov:
        count = _audit_of(gov).export(args.path)
    out.write(f"exported {count} entries to {args.path}\n")
    return 0


COMMANDS: dict[str, Command] = {
    "check": cmd_check,
    "init": cmd_init,
    "sync": cmd_sync,
    "list": cmd_list,
    "show": cmd_show,
    "revoke": cmd_revoke,
    "suspend": cmd_suspend,
    "reinstate": cmd_reinstate,
    "verify-info": cmd_verify_info,
    "keys set": cmd_keys_set,
    "keys list": cmd_keys_list,
    "keys change-passphrase": cmd_keys_change_passphrase,
    "audit verify": cmd_audit_verify,
    "audit checkpoint": cmd_audit_checkpoint,
    "audit public-key": cmd_audit_public_key,
    "audit adopt": cmd_audit_adopt,
    "audit export": cmd_audit_export,
}
"""Every command's handler, by its command line (the parser's ``handler`` default)."""
