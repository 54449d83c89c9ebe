"""The ``hf-gov`` command line (also ``python -m hf_api_governance``).

Exit codes: 0 when nothing is denied (or the command succeeded), 1 when
something is denied (or verification failed), 2 for bad input or usage.

Heavy modules (requests, cryptography) are imported only by the commands that
need them, so ``hf-gov --help`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Governance, Report

__all__ = ["main"]

JSON_SCHEMA_ID = "hf-gov/check/v1"

EXAMPLES = {
    "check": """examples:
  hf-gov check examples/inventory.toml
  hf-gov check examples/inventory.toml --at 2026-12-26 --only-problems
  hf-gov check .hf-gov/registry.db --action provision --json
  PYTHONPATH=examples/policies hf-gov check examples/inventory.toml --hooks acme_policies""",
    "keys": """examples:
  printf '%s' "$OKTA_TOKEN" | hf-gov keys set okta-api-token \
      --classification third_party_confidential
  hf-gov keys list""",
}


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


# ------------------------------------------------------------------ output helpers


class _Style:
    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


PROGRESS_THRESHOLD = 500
"""Operations on more items than this show progress (on a terminal only)."""

_CHUNK = 500


def _progress(stream: TextIO, label: str, done: int, total: int) -> None:
    """Show ``label: done/total`` on one rewritten line of ``stream`` when it is a terminal.

    Nothing is written when ``stream`` is not a TTY (a pipe, a file, CI) or
    for small jobs; the line ends when ``done`` reaches ``total``.
    """
    if total <= PROGRESS_THRESHOLD or not _isatty(stream):
        return
    stream.write(f"\r{label}: {done}/{total}")
    if done >= total:
        stream.write("\n")
    stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def parse_at(text: str) -> datetime:
    """Parse ``--at``: a date (start of that day, UTC) or an ISO 8601 instant with offset.

    Raises:
        UsageError: Not a date or an aware instant.
    """
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--at: not a date or instant: {text!r} (use 2026-12-31 or 2026-12-31T09:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise UsageError("--at: give a timezone (2026-12-31T09:00:00Z) or a plain date")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise UsageError(
            "--at: out of range (in UTC it falls outside the years 1 to 9999)"
        ) from None


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
    from hf_api_governance._policy import Action

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
    from hf_api_governance._policy import PolicyEngine, load_hooks
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
    from hf_api_governance._model.lifecycle import CLAUSES
    from hf_api_governance._model.values import Event, EventKind, IntegrationState
    from hf_api_governance._policy import PolicyEngine
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


def _report_json(report: Report, only_problems: bool) -> dict[str, Any]:
    rows = []
    for integration, decision in zip(report.integrations, report.decisions, strict=True):
        if only_problems and decision.allowed and not decision.warnings:
            continue
        rows.append(
            {
                "id": integration.id,
                "name": integration.name,
                "service": integration.service.value,
                "kind": integration.kind.value,
                "state": integration.state.value,
                "allowed": decision.allowed,
                "findings": [
                    {
                        "code": f.code,
                        "clause": f.clause,
                        "severity": f.severity.value,
                        "message": f.message,
                    }
                    for f in decision.findings
                ],
            }
        )
    return {
        "schema": JSON_SCHEMA_ID,
        "at": report.at.isoformat().replace("+00:00", "Z"),
        "action": report.action.value,
        "summary": {
            "integrations": len(report.decisions),
            "allowed": sum(d.allowed for d in report.decisions),
            "denied": len(report.denied),
            "with_warnings": sum(bool(d.warnings) for d in report.decisions),
        },
        "integrations": rows,
    }


def _print_report(report: Report, out: TextIO, *, only_problems: bool) -> None:
    style = _Style(out)
    out.write(
        f"hf-gov check: action {report.action.value} "
        f"at {report.at.isoformat().replace('+00:00', 'Z')}\n\n"
    )
    width = max([len(i.id) for i in report.integrations] + [2])
    out.write(f"{'ID':<{width}}  {'SERVICE':<7}  {'STATE':<9}  DECISION\n")
    for integration, decision in zip(report.integrations, report.decisions, strict=True):
        if only_problems and decision.allowed and not decision.warnings:
            continue
        if not decision.allowed:
            verdict = style("DENY", "31;1")
        elif decision.warnings:
            verdict = style("WARN", "33;1")
        else:
            verdict = style("ALLOW", "32")
        out.write(
            f"{integration.id:<{width}}  {integration.service.value:<7}  "
            f"{integration.state.value:<9}  {verdict}\n"
        )
        for f in decision.findings:
            out.write(
                f"{'':<{width}}    {f.severity.value.upper():<5} "
                f"{f.code} ({f.clause or '-'}): {f.message}\n"
            )
    total = len(report.decisions)
    denied = len(report.denied)
    warned = sum(1 for d in report.decisions if d.allowed and d.warnings)
    out.write(
        f"\n{total} integrations: {total - denied} allowed ({warned} with warnings), "
        f"{denied} denied\n"
    )


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
    from hf_api_governance._model.rules import check_entry_name

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


# -------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (exposed for documentation and tests)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="registry database (default: .hf-gov/registry.db)")
    common.add_argument(
        "--keystore", help="keystore file (default: keystore.hfks beside the database)"
    )
    common.add_argument(
        "--actor", help="who acts, recorded on every change (default: your user name)"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")

    parser = argparse.ArgumentParser(
        prog="hf-gov",
        description="Govern the API integrations of Mimecast Human Factors services "
        "(Engage, Aware, Incydr).",
        epilog="Secrets are never read from the command line: "
        "use stdin, a prompt or HF_GOV_PASSPHRASE.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Any, help_text: str, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add(
        "check", cmd_check, "evaluate every integration and report decisions", EXAMPLES["check"]
    )
    p.add_argument(
        "target", metavar="INVENTORY_OR_DB", help="an inventory .toml file or a registry database"
    )
    p.add_argument(
        "--at", help="evaluate at this date or instant instead of now (what breaks in 30 days?)"
    )
    p.add_argument("--action", choices=["call", "provision"], default="call")
    p.add_argument(
        "--json", action="store_true", help=f"print a JSON document (schema {JSON_SCHEMA_ID})"
    )
    p.add_argument(
        "--only-problems", action="store_true", help="omit integrations allowed without warnings"
    )
    p.add_argument(
        "--hooks",
        action="append",
        default=[],
        metavar="MODULE",
        help="also run the policy hooks of this importable module (repeatable), "
        "e.g. --hooks acme_policies",
    )

    add(
        "init", cmd_init, "create the registry database and the keystore", "example:\n  hf-gov init"
    )
    p = add(
        "sync",
        cmd_sync,
        "apply an inventory file to the registry",
        "example:\n  hf-gov sync examples/inventory.toml",
    )
    p.add_argument("inventory")
    p = add("list", cmd_list, "list integrations")
    p.add_argument("--json", action="store_true")
    p = add(
        "show",
        cmd_show,
        "show one integration: state, licences, history",
        "example:\n  hf-gov show okta-directory",
    )
    p.add_argument("id")
    p = add(
        "revoke",
        cmd_revoke,
        "record a revocation (clause 1.1.1)",
        "example:\n  hf-gov revoke mimecast-aware --by mimecast --reason 'key revoked by Mimecast'",
    )
    p.add_argument("id")
    p.add_argument("--by", choices=["mimecast", "customer", "third_party"], required=True)
    p.add_argument("--reason", required=True)
    p = add(
        "suspend",
        cmd_suspend,
        "suspend interoperability (clause 1.1.2)",
        "example:\n  hf-gov suspend slack-aware --cause api_changed --reason 'v1 removed'",
    )
    p.add_argument("id")
    p.add_argument(
        "--cause",
        choices=["api_changed", "unreasonable_requirements", "sunset", "manual"],
        required=True,
    )
    p.add_argument("--reason", required=True)
    p = add(
        "reinstate",
        cmd_reinstate,
        "lift a suspension",
        "example:\n  hf-gov reinstate slack-aware --reason 'fixed'",
    )
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p = add(
        "verify-info",
        cmd_verify_info,
        "confirm the enablement information is correct and current (clause 1.1)",
    )
    p.add_argument("id")

    keys = add(
        "keys",
        lambda *_: 2,
        "manage keystore entries (values only from stdin or a prompt)",
        EXAMPLES["keys"],
    )
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    p = ksub.add_parser(
        "set", help="store a value read from stdin or a hidden prompt", parents=[common]
    )
    p.add_argument("name")
    p.add_argument(
        "--classification",
        choices=["mimecast_confidential", "third_party_confidential", "customer_data"],
        default="mimecast_confidential",
    )
    p.add_argument("--label")
    p.set_defaults(func=cmd_keys_set)
    p = ksub.add_parser(
        "list", help="names, classifications and fingerprints (never values)", parents=[common]
    )
    p.set_defaults(func=cmd_keys_list)
    p = ksub.add_parser(
        "change-passphrase",
        help="protect the keystore with a new passphrase (its keys are re-wrapped)",
        parents=[common],
    )
    p.set_defaults(func=cmd_keys_change_passphrase)

    audit = add("audit", None, "verify or export the audit log")
    asub = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    p = asub.add_parser("verify", help="verify the hash chain and authenticators", parents=[common])
    p.add_argument("--checkpoint", help="a checkpoint file kept elsewhere")
    p.add_argument(
        "--save-checkpoint", help="write a fresh checkpoint here after a good verification"
    )
    p.set_defaults(func=cmd_audit_verify)
    p = asub.add_parser("export", help="export as JSON lines for a SIEM", parents=[common])
    p.add_argument("path")
    p.set_defaults(func=cmd_audit_export)
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``hf-gov``; return the exit code.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
        out: Where results go (default: stdout).
        err: Where errors go (default: stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    try:
        result: int = args.func(args, out, err)
        return result
    except UsageError as exc:
        err.write(f"hf-gov: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("hf-gov: interrupted\n")
        return 130
    except Exception as exc:
        if args.debug:
            raise
        from hf_api_governance.exceptions import GovernanceError, InventoryError, ValidationError

        if isinstance(exc, InventoryError | ValidationError):
            err.write(f"hf-gov: {exc}\n")
            return 2
        if isinstance(exc, GovernanceError):
            err.write(f"hf-gov: {type(exc).__name__}: {exc}\n")
            return 1
        err.write(f"hf-gov: unexpected {type(exc).__name__} (run with --debug for details)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
