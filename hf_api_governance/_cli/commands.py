"""What each ``hf-gov`` command does: ``cmd_*(args, out, err) -> exit code``.

:data:`COMMANDS` maps a command line (``"check"``, ``"keys set"``) to its
handler; ``main`` dispatches through it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hf_api_governance._cli.output import isatty as _isatty
from hf_api_governance._cli.output import print_report as _print_report
from hf_api_governance._cli.output import report_json as _report_json
from hf_api_governance._cli.output import show_progress as _progress
from hf_api_governance._cli.parser import UsageError, parse_at

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Governance, Report

_CHUNK = 500

# ------------------------------------------------------------------------- opening


def _home(args: argparse.Namespace) -> Path:
    return Path(args.db).parent if args.db else Path(".hf-gov")


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else Path(".hf-gov") / "registry.db"


def _keystore_path(args: argparse.Namespace) -> Path:
    return Path(args.keystore) if args.keystore else _home(args) / "keystore.hfks"


def _passphrase(
    args: argparse.Namespace, *, confirm: bool = False, prompt: str = "Keystore passphrase: "
) -> Any:
    from hf_api_governance._confidential.secret import Classification, Secret

    env = os.environ.get("HF_GOV_PASSPHRASE")
    if env:
        return Secret(env, Classification.CUSTOMER_DATA, "keystore passphrase")
    if not sys.stdin.isatty():
        raise UsageError(
            "set HF_GOV_PASSPHRASE or run on a terminal to be prompted for the passphrase"
        )
    import getpass

    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise UsageError("the passphrases differ")
    if not first:
        raise UsageError("the passphrase must not be empty")
    return Secret(first, Classification.CUSTOMER_DATA, "keystore passphrase")


def _open(
    args: argparse.Namespace, *, need_keystore: bool = False, hooks: Sequence[Any] = ()
) -> Governance:
    from hf_api_governance._facade import Governance

    ks_path = _keystore_path(args)
    use_keystore = need_keystore or ks_path.exists()
    db = _db_path(args)
    if not db.exists() and args.command not in ("init",):
        raise UsageError(f"{db}: no registry database; run 'hf-gov init' or give --db")
    if need_keystore and not ks_path.exists():
        # Never create a keystore by accident (a typo in --keystore would
        # otherwise start an empty one): only 'hf-gov init' creates it.
        raise UsageError(f"{ks_path}: no keystore; run 'hf-gov init' or give --keystore")
    passphrase = _passphrase(args) if use_keystore else None
    return Governance.open(
        db,
        keystore=ks_path if use_keystore else None,
        passphrase=passphrase,
        actor=args.actor,
        hooks=hooks,
    )


# ------------------------------------------------------------------------ commands


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._policy.engine import Action

    action = Action(args.action)
    at = parse_at(args.at) if args.at else None
    target = Path(args.target)
    if not target.exists():
        raise UsageError(f"{target}: no such file")
    hooks = _load_hooks(args.hooks)
    if target.suffix.lower() == ".toml":
        report = _check_inventory(target, action, at, hooks, err)
    else:
        args.db = str(target)
        with _open(args, hooks=hooks) as gov:
            report = _evaluate(
                gov.engine, gov.registry.integrations(), action, at or gov.clock.now(), err
            )
    if args.json:
        # One write: json.dump would write each of some 50 tokens per integration.
        out.write(json.dumps(_report_json(report, args.only_problems), indent=2, sort_keys=True))
        out.write("\n")
    else:
        _print_report(report, out, only_problems=args.only_problems)
    return 0 if report.ok else 1


def _load_hooks(modules: Sequence[str]) -> tuple[Any, ...]:
    """Import ``--hooks`` modules; any failure is a one-line usage error (exit 2)."""
    if not modules:
        return ()
    from hf_api_governance._policy.engine import PolicyEngine, load_hooks
    from hf_api_governance.exceptions import PolicyError

    try:
        hooks = load_hooks(*modules)
        PolicyEngine(hooks=hooks)  # duplicate codes across modules are refused here
    except PolicyError as exc:
        hint = " (is its directory on PYTHONPATH?)" if "ModuleNotFoundError" in str(exc) else ""
        raise UsageError(f"--hooks: {exc}{hint}") from None
    return hooks


def _evaluate(
    engine: Any, integrations: Sequence[Any], action: Any, at: datetime, err: TextIO
) -> Report:
    """Evaluate integrations in id order, showing progress on a terminal for large sets."""
    from hf_api_governance._facade import Report

    ordered = sorted(integrations, key=lambda i: i.id)
    total = len(ordered)
    decisions: list[Any] = []
    for start in range(0, total, _CHUNK):
        decisions.extend(engine.evaluate_all(ordered[start : start + _CHUNK], action, at=at))
        _progress(err, "evaluating", len(decisions), total)
    return Report(at=at, action=action, decisions=tuple(decisions), integrations=tuple(ordered))


def _check_inventory(
    path: Path, action: Any, at: datetime | None, hooks: tuple[Any, ...], err: TextIO
) -> Report:
    """Evaluate an inventory file as if every declared integration were enabled (ACTIVE).

    Each declaration gets the state and history that registering and then
    activating it in an empty registry would give it (REGISTERED, ACTIVATED,
    now, by ``hf-gov check``), built directly: no database round trip.
    """
    import attrs

    from hf_api_governance._base.clock import SystemClock
    from hf_api_governance._model.values import CLAUSES, Event, EventKind, IntegrationState
    from hf_api_governance._policy.engine import PolicyEngine
    from hf_api_governance._registry.inventory import load_inventory

    declared = load_inventory(path)
    clock = SystemClock()
    now = clock.now()
    actor = "hf-gov check"
    reg, act = EventKind.REGISTERED, EventKind.ACTIVATED
    enabled = [
        attrs.evolve(
            integration,
            state=IntegrationState.ACTIVE,
            history=(
                Event(integration.id, reg, now, actor, "inventory sync", CLAUSES[reg]),
                Event(integration.id, act, now, actor, "evaluate as enabled", CLAUSES[act]),
            ),
        )
        for integration in declared
    ]
    engine = PolicyEngine(hooks=hooks, clock=clock)
    return _evaluate(engine, enabled, action, at or now, err)


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    db = _db_path(args)
    ks = _keystore_path(args)
    if db.exists():
        raise UsageError(f"{db}: already initialised")
    passphrase = (
        None if ks.exists() else _passphrase(args, confirm=True, prompt="New keystore passphrase: ")
    )
    from hf_api_governance._facade import Governance

    db.parent.mkdir(parents=True, exist_ok=True)
    if passphrase is None:
        passphrase = _passphrase(args)
    with Governance.open(db, keystore=ks, passphrase=passphrase, actor=args.actor):
        pass
    out.write(f"initialised {db} and {ks}\n")
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._registry.inventory import load_inventory

    declared = load_inventory(args.inventory)
    with _open(args) as gov:
        # One transaction: progress can only say "started" and "done".
        _progress(err, "syncing", 0, len(declared))
        result = gov.sync(declared)
        _progress(err, "syncing", len(declared), len(declared))
    for label, ids in (
        ("added", result.added),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("no longer declared", result.undeclared),
    ):
        out.write(
            f"{label}: {len(ids)}"
            + (f" ({', '.join(ids)})" if ids and label != "unchanged" else "")
            + "\n"
        )
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as gov:
        integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    if args.json:
        json.dump(
            [
                {
                    "id": i.id,
                    "service": i.service.value,
                    "kind": i.kind.value,
                    "state": i.state.value,
                    "vendor": i.vendor,
                }
                for i in integrations
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return 0
    width = max([len(i.id) for i in integrations] + [2])
    for i in integrations:
        out.write(
            f"{i.id:<{width}}  {i.service.value:<7}  {i.kind.value:<15}  "
            f"{i.state.value:<9}  {i.vendor}\n"
        )
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as gov:
        i = gov.registry.get(args.id)
    out.write(f"{i.id}: {i.name}\n  service {i.service.value}, {i.kind.value}, vendor {i.vendor}\n")
    out.write(f"  state {i.state.value}\n  base_url {i.base_url}\n  owner {i.owner}\n")
    out.write(f"  credential entries: {', '.join(i.credential_entries) or '(none)'}\n")
    verified = i.info_verified_at.isoformat() if i.info_verified_at else "never"
    out.write(f"  enablement information verified: {verified}\n  licences:\n")
    for lic in i.licences:
        out.write(
            f"    {lic.grantor} / {lic.scope}: {lic.valid_from} .. {lic.valid_until or 'no end'}\n"
        )
    out.write("  history:\n")
    for e in i.history:
        out.write(
            f"    {e.at.isoformat()} {e.kind.value} by {e.actor}"
            + (f": {e.reason}" if e.reason else "")
            + "\n"
        )
    return 0


def cmd_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._model.values import Revoker

    with _open(args) as gov:
        gov.revoke(args.id, by=Revoker(args.by), reason=args.reason)
    out.write(f"{args.id}: revoked (by {args.by})\n")
    return 0


def cmd_suspend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._model.values import SuspensionCause

    with _open(args) as gov:
        gov.suspend(args.id, cause=SuspensionCause(args.cause), reason=args.reason)
    out.write(f"{args.id}: suspended ({args.cause})\n")
    return 0


def cmd_reinstate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as gov:
        gov.reinstate(args.id, reason=args.reason)
    out.write(f"{args.id}: reinstated\n")
    return 0


def cmd_verify_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as gov:
        gov.registry.verify_info(args.id, actor=gov.actor)
    out.write(f"{args.id}: enablement information verified\n")
    return 0


def cmd_keys_set(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import getpass

    from hf_api_governance._confidential.secret import Classification, Secret
    from hf_api_governance._model.values import check_entry_name

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
    with _open(args, need_keystore=True) as gov:
        ks = gov.keystore
        assert ks is not None  # noqa: S101 - need_keystore
        for name in sorted(ks.names()):
            secret = ks.get(name)
            label = f"  {secret.label}" if secret.label else ""
            out.write(f"{name}  {secret.classification.value}  {secret.fingerprint}{label}\n")
    return 0


def cmd_keys_change_passphrase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._confidential.secret import Classification, Secret

    with _open(args, need_keystore=True) as gov:
        assert gov.keystore is not None  # noqa: S101 - need_keystore
        new_env = os.environ.get("HF_GOV_NEW_PASSPHRASE")
        if new_env:
            new = Secret(new_env, Classification.CUSTOMER_DATA, "keystore passphrase")
        else:
            os.environ.pop("HF_GOV_PASSPHRASE", None)
            new = _passphrase(args, confirm=True, prompt="New keystore passphrase: ")
        gov.keystore.change_passphrase(new)
    out.write("passphrase changed\n")
    return 0


def cmd_audit_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hf_api_governance._audit.log import Checkpoint

    checkpoint = Checkpoint.load(args.checkpoint) if args.checkpoint else None
    with _open(args, need_keystore=True) as gov:
        if gov.audit is None:
            raise UsageError("no audit key: open with the keystore or set HF_GOV_AUDIT_KEY")
        total = _audit_size(gov.audit) if _isatty(err) else 0
        _progress(err, "verifying the audit log", 0, total)
        report = gov.audit.verify(checkpoint)
        _progress(err, "verifying the audit log", total, total)
        if report.ok and args.save_checkpoint:
            gov.audit.checkpoint().save(args.save_checkpoint)
    if report.ok:
        out.write(f"audit log verified: {report.entries_checked} entries\n")
        return 0
    err.write(f"audit log FAILED verification: {report.message}\n")
    return 1


def _audit_size(audit: Any) -> int:
    """The number of entries, for progress only: a damaged head is verify's to report."""
    try:
        head = audit.head()
    except Exception:
        return 0
    return 0 if head is None else int(head.seq)


def cmd_audit_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args, need_keystore=True) as gov:
        if gov.audit is None:
            raise UsageError("no audit key: open with the keystore or set HF_GOV_AUDIT_KEY")
        count = gov.audit.export(args.path)
    out.write(f"exported {count} entries to {args.path}\n")
    return 0


Command = Callable[[argparse.Namespace, TextIO, TextIO], int]
"""A command handler: parsed arguments, output stream, error stream; returns the exit code."""

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
