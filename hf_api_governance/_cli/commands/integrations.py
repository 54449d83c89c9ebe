"""``hf-gov`` commands on integrations: ``init``, ``sync``, ``list``, ``show``, the lifecycle.

The lifecycle commands (``provision``, ``revoke``, ``replace-credential``,
``suspend``, ``reinstate``, ``retire``, ``verify-info``) are each one audited
facade call.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hf_api_governance._cli.output import (
    finding_lines,
    print_integration,
    print_integrations,
    print_sync,
    show_progress,
    table,
)
from hf_api_governance._cli.parser import UsageError
from hf_api_governance._facade import Governance
from hf_api_governance._model.values import (
    IntegrationState,
    Revoker,
    SuspensionCause,
)
from hf_api_governance._registry.inventory import load_inventory
from hf_api_governance._storage.store import describe_location
from hf_api_governance.exceptions import AccessDenied, IllegalTransition

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._policy import Finding
from hf_api_governance._cli.commands.opening import (
    actor_of,
    exists_as_file,
    keystore_path,
    open_governance,
    read_passphrase,
    registry_path,
)


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov list``: one row (or JSON object) per integration, in id order; no passphrase."""
    with open_governance(args, keystore="none") as gov:
        integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    print_integrations(integrations, out, as_json=args.json)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov show``: one integration's state, licences and history; no passphrase."""
    with open_governance(args, keystore="none") as gov:
        integration = gov.registry.get(args.id)
    print_integration(integration, out, as_json=args.json)
    return 0


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov init``: create the registry database and the keystore (asking a new passphrase).

    With ``--example [DIR]`` it writes the example material instead
    (:mod:`hf_api_governance._cli.examples`).

    Raises:
        UsageError: The database exists, a path is not a regular file, or no
            passphrase could be read.
    """
    if args.example is not None:  # hf-gov init --example [DIR]: no registry, no passphrase
        from hf_api_governance._cli.examples import run_init_example

        return run_init_example(args.example, out)
    db = registry_path(args)
    ks = keystore_path(args)
    if isinstance(db, Path) and exists_as_file(db, "the registry database"):
        raise UsageError(f"{db}: already initialised")
    ks_exists = exists_as_file(ks, "the keystore")
    passphrase = (
        read_passphrase()
        if ks_exists
        else read_passphrase(confirm=True, prompt="New keystore passphrase: ")
    )
    with Governance.open(db, keystore=ks, passphrase=passphrase, actor=actor_of(args)):
        pass
    out.write(f"initialised {describe_location(db)} and {ks}\n")
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov sync``: apply an inventory file to the registry (``--dry-run``: write nothing)."""
    declared = load_inventory(args.inventory)
    dry = args.dry_run
    with open_governance(args, keystore="none" if dry else "if-present", audited=not dry) as gov:
        # One transaction: progress can only say "started" and "done".
        show_progress(err, "syncing", 0, len(declared))
        result = gov.sync(declared, dry_run=dry)
        show_progress(err, "syncing", len(declared), len(declared))
    print_sync(result, out, dry_run=dry, as_json=args.json)
    return 0


def cmd_provision(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov provision``: a PROVISION decision per integration; activate the allowed ones.

    Every id must exist before anything changes. Each activation is its own
    transaction with its event and audit entry; a refusal is audited too.

    Returns:
        0 when none was refused, 1 otherwise.
    """
    ids = list(dict.fromkeys(args.ids))
    reason = args.reason or "provisioned with hf-gov"
    rows: list[list[str]] = []
    findings: list[Sequence[Finding]] = []
    counts = {"activated": 0, "refused": 0, "already active": 0}
    with open_governance(args, audited=True) as gov:
        states = {ident: gov.registry.get(ident).state for ident in ids}
        for ident in ids:
            seen: Sequence[Finding] = ()
            if states[ident] is IntegrationState.ACTIVE:
                result = "already active"
            else:
                try:
                    seen = gov.provision(ident, reason=reason).findings
                    result = "activated"
                except AccessDenied as exc:
                    seen = exc.decision.findings
                    result = "refused"
                except IllegalTransition as exc:
                    result = f"refused: it is {exc.current}"
            counts[result.split(":")[0]] += 1
            rows.append([ident, states[ident].value, result])
            findings.append(seen)
    _print_rows_with_findings(out, ["ID", "WAS", "RESULT"], rows, findings)
    out.write("\n" + ", ".join(f"{n} {label}" for label, n in counts.items() if n) + "\n")
    return 1 if counts["refused"] else 0


def _print_rows_with_findings(
    out: TextIO, headers: list[str], rows: list[list[str]], findings: list[Sequence[Finding]]
) -> None:
    after = {index: finding_lines(found) for index, found in enumerate(findings)}
    table(out, headers, rows, after=after)


def cmd_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov revoke``: record a revocation (clause 1.1.1)."""
    with open_governance(args, audited=True) as gov:
        gov.revoke(args.id, by=Revoker(args.by), reason=args.reason)
    out.write(f"{args.id}: revoked (by {args.by})\n")
    return 0


def cmd_suspend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov suspend``: suspend interoperability (clause 1.1.2)."""
    with open_governance(args, audited=True) as gov:
        gov.suspend(args.id, cause=SuspensionCause(args.cause), reason=args.reason)
    out.write(f"{args.id}: suspended ({args.cause})\n")
    return 0


def cmd_reinstate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov reinstate``: lift a suspension (a revoked integration needs a new credential)."""
    with open_governance(args, audited=True) as gov:
        try:
            gov.reinstate(args.id, reason=args.reason)
        except IllegalTransition as exc:
            if exc.current != IntegrationState.REVOKED.value:
                raise
            err.write(
                f"hf-gov: IllegalTransition: {exc}; a revoked integration comes back with a new "
                f"credential: hf-gov replace-credential {args.id} --entry NEW-NAME\n"
            )
            return 1
    out.write(f"{args.id}: reinstated\n")
    return 0


def cmd_retire(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov retire``: retire an integration for good."""
    with open_governance(args, audited=True) as gov:
        gov.retire(args.id, reason=args.reason)
    out.write(f"{args.id}: retired\n")
    return 0


def cmd_replace_credential(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov replace-credential``: point an integration at new keystore entries.

    Raises:
        UsageError: Two ``--entry NAME`` for the credential, or one auth
            parameter given twice.
    """
    credential: str | None = None
    auth: dict[str, str] = {}
    for entry in args.entry:
        param, sep, name = entry.partition("=")
        if sep:
            if param in auth:
                raise UsageError(f"--entry: {param}= is given twice")
            auth[param] = name
        elif credential is not None:
            raise UsageError("--entry: give one NAME for the credential (PARAM=NAME for auth)")
        else:
            credential = entry
    with open_governance(args, keystore="required", audited=True) as gov:
        result = gov.replace_credential(
            args.id, credential, auth_entries=auth or None, reason=args.reason or ""
        )
    names = ", ".join(result.credential_entries)
    out.write(f"{args.id}: credential replaced ({names}); now {result.state.value}\n")
    return 0


def cmd_verify_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov verify-info``: record that the enablement information is current (clause 1.1)."""
    with open_governance(args, audited=True) as gov:
        gov.verify_info(args.id)
    out.write(f"{args.id}: enablement information verified\n")
    return 0
