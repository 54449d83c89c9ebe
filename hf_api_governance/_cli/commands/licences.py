"""``hf-gov licence add|remove|list``: licences on integrations (clause 1.1.2)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import TextIO

from hf_api_governance._cli.commands.opening import (
    open_governance,
)
from hf_api_governance._cli.output import (
    print_licences,
    when,
)
from hf_api_governance._cli.parser import UsageError, parse_at, parse_day_or_instant
from hf_api_governance._model.values import (
    Licence,
)
from hf_api_governance._policy import PolicySettings


def _licence_args(
    args: argparse.Namespace,
) -> tuple[date | datetime | None, date | datetime | None]:
    start = parse_day_or_instant("--from", args.valid_from) if args.valid_from else None
    end = parse_day_or_instant("--until", args.valid_until) if args.valid_until else None
    return start, end


def cmd_licence_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov licence add``: record a licence on an integration (clause 1.1.2)."""
    start, end = _licence_args(args)
    assert start is not None  # noqa: S101 - --from is required
    licence = Licence(
        args.grantor, args.scope, start, end, holder=args.holder, reference=args.reference
    )
    with open_governance(args, audited=True) as gov:
        gov.add_licence(args.id, licence, reason=args.reason or "")
    span = f"{when(licence.valid_from)} .. {when(licence.valid_until, 'no end')}"
    out.write(f"{args.id}: licence added ({licence.grantor}, {licence.scope}, {span})\n")
    return 0


def cmd_licence_remove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov licence remove``: remove the one licence matching the options given.

    Raises:
        UsageError: No licence matches, or several do (give ``--from``/``--until``).
    """
    start, end = _licence_args(args)
    with open_governance(args, audited=True) as gov:
        licences = gov.registry.get(args.id).licences
        matches = [
            lic
            for lic in licences
            if lic.grantor == args.grantor
            and lic.scope == args.scope
            and (start is None or lic.valid_from == start)
            and (end is None or lic.valid_until == end)
        ]
        if not matches:
            raise UsageError(
                f"{args.id}: no licence matches (hf-gov licence list {args.id} shows them)"
            )
        if len(set(matches)) > 1:
            raise UsageError(
                f"{args.id}: {len(matches)} licences match; tell them apart with --from/--until"
            )
        gov.remove_licence(args.id, matches[0], reason=args.reason or "")
    out.write(f"{args.id}: licence removed ({args.grantor}, {args.scope})\n")
    return 0


def cmd_licence_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov licence list``: licences and their status now (or ``--at``); no passphrase."""
    at = parse_at(args.at) if args.at else datetime.now(UTC)
    warn = PolicySettings().licence_warning
    with open_governance(args, keystore="none") as gov:
        if args.id:
            integrations = [gov.registry.get(args.id)]
        else:
            integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    rows = [(i.id, lic, lic.status(at, warn).value) for i in integrations for lic in i.licences]
    print_licences(rows, out, as_json=args.json, at=at)
    return 0
