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
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hf_api_governance._audit.entries import Checkpoint
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
from hf_api_governance._registry.inventory import load_inventory, load_inventory_with_lines
from hf_api_governance._report import Source, redact_report, render
from hf_api_governance.exceptions import PolicyError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._policy import PolicyHook

__all__ = [
    "COMMANDS",
    "INVENTORY_CHECK_ACTOR",
    "Command",
    "cmd_audit_export",
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
    hooks: Sequence[PolicyHook] = (),
) -> Governance:
    """Open the registry of ``--db``, with the keystore when it exists (or is needed).

    Raises:
        UsageError: No registry database, or ``need_keystore`` and no keystore
            (only ``hf-gov init`` creates one: a typo must not start an empty one).
    """
    ks_path = _keystore_path(args)
    use_keystore = need_keystore or ks_path.exists()
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

    The report is written in ``--format`` (``--json`` is short for ``--format
    json``), on ``out`` or, with ``--output``, atomically to that file (``out``
    then gets a one-line summary).

    Returns:
        0 when nothing is denied, 1 otherwise.

    Raises:
        UsageError: A bad ``--at``, a missing target, unusable ``--hooks``,
            ``--json`` with another ``--format``, or an ``--output`` that
            cannot be written.
    """
    fmt = _check_format(args)
    action = Action(args.action)
    at = parse_at(args.at) if args.at else None
    target = Path(args.target)
    if not target.exists():
        raise UsageError(f"{target}: no such file")
    output = _check_output(args.output, target)
    hooks = _load_hooks(args.hooks)

    def progress(done: int, total: int) -> None:
        show_progress(err, "evaluating", done, total)

    if target.suffix.lower() == ".toml":
        declared, lines = load_inventory_with_lines(target)
        source = Source.inventory(args.target, lines)
        report = Governance.report_inventory(
            declared,
            at,
            action,
            hooks=hooks,
            actor=INVENTORY_CHECK_ACTOR,
            progress=progress,
        )
    else:
        args.db = str(target)
        source = Source.registry(args.target)
        with _open(args, hooks=hooks) as gov:
            report = gov.report(at, action, progress=progress)
    if fmt in ("table", "json"):
        buffer = io.StringIO() if output else out
        write_report(
            redact_report(report), buffer, as_json=fmt == "json", only_problems=args.only_problems
        )
        text = buffer.getvalue() if isinstance(buffer, io.StringIO) else ""
    else:
        text = render(fmt, report, source, only_problems=args.only_problems, hooks=hooks)
        if not output:
            out.write(text)
    if output:
        _write_output(output, text)
        denied = len(report.denied)
        out.write(
            f"{fmt} report written to {output}: {len(report.decisions)} integrations, "
            f"{denied} denied\n"
        )
    return 0 if report.ok else 1


def _check_format(args: argparse.Namespace) -> str:
    """``--format``, with ``--json`` as its short form; both, disagreeing, is a usage error."""
    fmt: str | None = args.format
    if args.json:
        if fmt not in (None, "json"):
            raise UsageError(f"--json is short for --format json; it cannot go with --format {fmt}")
        return "json"
    return fmt or "table"


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_output(value: str | None, target: Path) -> Path | None:
    """``--output`` as a path; a report is never written over what governance keeps.

    Refused: a directory, a missing folder, the checked file itself, and an
    existing registry database, keystore or inventory file (``.toml``).
    """
    if value is None:
        return None
    output = Path(value)
    if output.is_dir():
        raise UsageError(f"--output: {value} is a directory; name a file")
    if not output.parent.is_dir():
        raise UsageError(f"--output: {output.parent} is not a directory")
    if output.exists():
        if output.resolve() == target.resolve():
            raise UsageError(f"--output: {value} is the checked file itself; name another file")
        from hf_api_governance._confidential.keystore import MAGIC

        try:
            with output.open("rb") as existing:
                head = existing.read(16)
        except OSError:
            head = b""
        kept = head.startswith((_SQLITE_HEADER, MAGIC)) or output.suffix.lower() == ".toml"
        if kept:
            raise UsageError(
                f"--output: {value} is a database, keystore or inventory file; "
                "a report is never written over one"
            )
    return output


def _write_output(output: Path, text: str) -> None:
    """Write a report to ``output`` all or nothing (readable by others: reports hold no secret).

    Raises:
        UsageError: The file cannot be written.
    """
    try:
        atomic_write(output, [text.encode("utf-8")], mode=0o644)
    except OSError as exc:
        raise UsageError(f"--output: cannot write {output}: {exc.strerror or exc}") from None


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
    """``hf-gov audit verify``: check the audit log's hash chain and authenticators.

    Returns:
        0 when the log verifies, 1 otherwise.

    Raises:
        UsageError: No audit key.
    """
    checkpoint = Checkpoint.load(args.checkpoint) if args.checkpoint else None
    with _open(args, need_keystore=True) as gov:
        audit = _audit_of(gov)
        total = _audit_size(audit) if isatty(err) else 0
        show_progress(err, "verifying the audit log", 0, total)
        report = audit.verify(checkpoint)
        show_progress(err, "verifying the audit log", total, total)
        if report.ok and args.save_checkpoint:
            audit.checkpoint().save(args.save_checkpoint)
    if report.ok:
        out.write(f"audit log verified: {report.entries_checked} entries\n")
        return 0
    err.write(f"audit log FAILED verification: {report.message}\n")
    return 1


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
    "audit export": cmd_audit_export,
}
"""Every command's handler, by its command line (the parser's ``handler`` default)."""
