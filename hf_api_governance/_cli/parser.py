"""The ``hf-gov`` grammar: commands, options and help; ``--at`` parsing; :class:`UsageError`.

:func:`build_parser` names each command's handler by its command line
(``"check"``, ``"keys set"``) in the ``handler`` default, so this module does
not import the commands: they are in :mod:`hf_api_governance._cli.commands`
and ``main`` dispatches to them. ``docs/_tools/cli_reference.py`` writes
docs/cli.md from this parser.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from hf_api_governance._cli.output import JSON_SCHEMA_ID
from hf_api_governance._defaults import DEFAULT_REGISTRY, KEYSTORE_FILE, PASSPHRASE_ENV

__all__ = ["EXAMPLES", "UsageError", "build_parser", "parse_at"]

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
    "audit": """examples:
  hf-gov audit verify --checkpoint /mnt/elsewhere/audit-checkpoint.json
  hf-gov audit checkpoint /mnt/elsewhere/audit-2026-06-01.json
  hf-gov audit public-key audit-public-key.pem
  hf-gov audit verify --checkpoint audit-2026-06-01.json --public-key audit-public-key.pem""",
}


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


def parse_at(text: str) -> datetime:
    """Parse ``--at``: a date (start of that day, UTC) or an ISO 8601 instant with offset.

    Args:
        text: The option's value, e.g. ``2026-12-31`` or ``2026-12-31T09:00:00Z``.

    Returns:
        The instant, in UTC.

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


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (exposed for documentation and tests).

    Returns:
        The ``hf-gov`` parser. Each command's parser sets the ``handler``
        default to its command line (``"check"``, ``"keys set"``), the key of
        :data:`hf_api_governance._cli.commands.COMMANDS`.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help=f"registry database (default: {DEFAULT_REGISTRY.as_posix()})")
    common.add_argument(
        "--keystore", help=f"keystore file (default: {KEYSTORE_FILE} beside the database)"
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
        f"use stdin, a prompt or {PASSPHRASE_ENV}.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, help_text: str, epilog: str | None = None, *, group: bool = False
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if not group:
            p.set_defaults(handler=name)
        return p

    p = add("check", "evaluate every integration and report decisions", EXAMPLES["check"])
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

    add("init", "create the registry database and the keystore", "example:\n  hf-gov init")
    p = add(
        "sync",
        "apply an inventory file to the registry",
        "example:\n  hf-gov sync examples/inventory.toml",
    )
    p.add_argument("inventory")
    p = add("list", "list integrations")
    p.add_argument("--json", action="store_true")
    p = add(
        "show",
        "show one integration: state, licences, history",
        "example:\n  hf-gov show okta-directory",
    )
    p.add_argument("id")
    p = add(
        "revoke",
        "record a revocation (clause 1.1.1)",
        "example:\n  hf-gov revoke mimecast-aware --by mimecast --reason 'key revoked by Mimecast'",
    )
    p.add_argument("id")
    p.add_argument("--by", choices=["mimecast", "customer", "third_party"], required=True)
    p.add_argument("--reason", required=True)
    p = add(
        "suspend",
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
        "lift a suspension",
        "example:\n  hf-gov reinstate slack-aware --reason 'fixed'",
    )
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p = add(
        "verify-info",
        "confirm the enablement information is correct and current (clause 1.1)",
    )
    p.add_argument("id")

    keys = add(
        "keys",
        "manage keystore entries (values only from stdin or a prompt)",
        EXAMPLES["keys"],
        group=True,
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
    p.set_defaults(handler="keys set")
    p = ksub.add_parser(
        "list", help="names, classifications and fingerprints (never values)", parents=[common]
    )
    p.set_defaults(handler="keys list")
    p = ksub.add_parser(
        "change-passphrase",
        help="protect the keystore with a new passphrase (its keys are re-wrapped)",
        parents=[common],
    )
    p.set_defaults(handler="keys change-passphrase")

    audit = add(
        "audit",
        "verify, checkpoint or export the audit log",
        EXAMPLES["audit"],
        group=True,
    )
    asub = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    p = asub.add_parser(
        "verify",
        help="verify the hash chain and authenticators, and cross-check the registry's events",
        parents=[common],
    )
    p.add_argument("--checkpoint", help="a checkpoint file kept elsewhere (HMAC or signed)")
    p.add_argument(
        "--public-key",
        metavar="FILE",
        help="verify with this public key only (PEM, from 'hf-gov audit public-key') against "
        "a signed --checkpoint: no keystore, no passphrase",
    )
    p.add_argument(
        "--save-checkpoint", help="write a fresh checkpoint here after a good verification"
    )
    p.set_defaults(handler="audit verify")
    p = asub.add_parser(
        "checkpoint",
        help="verify, then write a checkpoint signed with the audit log's Ed25519 key",
        parents=[common],
    )
    p.add_argument("path", metavar="FILE")
    p.set_defaults(handler="audit checkpoint")
    p = asub.add_parser(
        "public-key",
        help="print (or write to FILE) the public key that checks signed checkpoints",
        parents=[common],
    )
    p.add_argument("path", metavar="FILE", nargs="?")
    p.set_defaults(handler="audit public-key")
    p = asub.add_parser(
        "adopt",
        help="record, once, the registry events the audit log does not cover (an old registry)",
        parents=[common],
    )
    p.add_argument("--reason", required=True)
    p.set_defaults(handler="audit adopt")
    p = asub.add_parser("export", help="export as JSON lines for a SIEM", parents=[common])
    p.add_argument("path")
    p.set_defaults(handler="audit export")
    return parser
