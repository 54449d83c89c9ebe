"""``hf-gov db migrate``: copy a whole registry into an empty one and verify the copy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from hf_api_governance._cli.commands.opening import (
    keystore_path,
    read_passphrase,
)
from hf_api_governance._cli.output import (
    show_progress,
)
from hf_api_governance._cli.parser import UsageError
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._facade import AUDIT_KEY_ENTRY, Governance
from hf_api_governance._migrate import copy_registry
from hf_api_governance._storage.store import is_database_url


def cmd_db_migrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov db migrate``: copy a whole registry into an empty one and verify the copy.

    The audit key (for a full verification of the source and the copy) comes
    from the keystore when there is one (``--keystore``, or beside a ``--from``
    file), else from ``HF_GOV_AUDIT_KEY``; without it the copy's chain is
    re-hashed and compared with the source's head.

    Raises:
        UsageError: ``--from`` is a file that does not exist.
    """
    source, target = args.source, args.target
    if not is_database_url(source) and source != ":memory:" and not Path(source).exists():
        raise UsageError(f"--from {source}: no such registry database")
    args.db = source
    key = _migration_key(args)
    show_progress(err, "copying", 0, 1)
    report = copy_registry(source, target, audit_key=key)
    show_progress(err, "copying", 1, 1)
    out.write(
        f"copied {report.integrations} integrations, {report.events} events, "
        f"{report.revoked} revoked credentials and {report.audit_entries} audit entries "
        f"from {report.source} to {report.target}\n"
    )
    if report.head_seq:
        how = "with the audit key" if report.verified_with_key else "hashes only: no audit key"
        out.write(
            f"verified: the copy's audit chain ends at the source's head "
            f"(seq {report.head_seq}, {report.head_hash[:16]}...; {how})\n"
        )
    else:
        out.write("verified: the copy holds what the source holds (no audit log)\n")
    return 0


def _migration_key(args: argparse.Namespace) -> Secret | None:
    """The audit key from the keystore (when there is one), else from the environment."""
    ks_path = keystore_path(args)
    if ks_path.exists():
        from hf_api_governance._confidential.keystore import Keystore

        with Keystore.open(ks_path, read_passphrase()) as keystore:
            return keystore.get(AUDIT_KEY_ENTRY) if AUDIT_KEY_ENTRY in keystore else None
    return Governance._audit_key(None)
