"""The ``hf-gov`` grammar: commands, options, help; ``--at`` and dates; :class:`UsageError`.

:func:`build_parser` names each command's handler by its command line
(``"check"``, ``"keys set"``) in the ``handler`` default, so this module does
not import the commands: they are in :mod:`hf_api_governance._cli.commands`
and ``main`` dispatches to them. ``docs/_tools/cli_reference.py`` writes
docs/cli.md from this parser, and ``hf-gov completion`` writes shell
completion scripts from it.

Global options work before and after the command name: the top-level parser
holds their defaults, and every command's parser re-declares them with
``argparse.SUPPRESS`` defaults, so an option given after the command sets the
value and an option not given there leaves the top-level value alone.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, NamedTuple

from hf_api_governance._defaults import (
    ACTOR_ENV,
    DB_ENV,
    DEFAULT_REGISTRY,
    KEYSTORE_ENV,
    KEYSTORE_FILE,
    PASSPHRASE_ENV,
)
from hf_api_governance._report import FORMATS, JSON_SCHEMA_ID

__all__ = [
    "EXAMPLES",
    "GLOBAL_OPTIONS",
    "UsageError",
    "build_parser",
    "parse_at",
    "parse_day_or_instant",
]

EXAMPLES = {
    "check": """examples:
  hf-gov check examples/inventory.toml
  hf-gov check examples/inventory.toml --at +30d --only-problems
  hf-gov check examples/inventory.toml --at 2026-12-26
  hf-gov check .hf-gov/registry.db --action provision --json
  hf-gov check .hf-gov/registry.db --credentials    # also looks the keystore entries up
  hf-gov check examples/inventory.toml --format sarif --output hf-gov.sarif
  hf-gov check examples/inventory.toml --format markdown --only-problems >> "$GITHUB_STEP_SUMMARY"
  hf-gov check examples/inventory.toml --format html --output posture.html
  PYTHONPATH=examples/policies hf-gov check examples/inventory.toml --hooks acme_policies""",
    "keys": """examples:
  printf '%s' "$OKTA_TOKEN" | hf-gov keys set okta-api-token \\
      --classification third_party_confidential
  hf-gov keys list
  hf-gov keys rename okta-token-typo okta-api-token
  hf-gov keys delete okta-api-token-2024""",
    "audit": """examples:
  hf-gov audit verify --checkpoint /mnt/elsewhere/audit-checkpoint.json \\
      --save-checkpoint /mnt/elsewhere/audit-checkpoint.json
  hf-gov audit checkpoint /mnt/elsewhere/audit-2026-06-01.json
  hf-gov audit public-key audit-public-key.pem
  hf-gov audit verify --checkpoint audit-2026-06-01.json --public-key audit-public-key.pem
  hf-gov audit export /var/lib/hf-gov/export/audit.jsonl
  hf-gov audit export - | your-log-shipper""",
    "licence": """examples:
  hf-gov licence add okta-directory --grantor Okta --scope 'Workforce Identity API' \\
      --from 2027-01-01 --until 2027-12-31 --reference 'PO-2027-114'
  hf-gov licence list --at +30d
  hf-gov licence remove okta-directory --grantor Okta --scope 'Workforce Identity API' \\
      --until 2026-12-20""",
    "db": """examples:
  hf-gov db migrate --from .hf-gov/registry.db --to postgresql://hfgov@db.example.com/hfgov
  PGPASSWORD=... hf-gov db migrate --from postgresql://hfgov@old/hfgov --to backup.db""",
}

GLOBAL_OPTIONS = ("--db", "--keystore", "--actor", "--debug")
"""The options every command accepts, before or after the command name."""


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


# ------------------------------------------------------------------------ instants

_RELATIVE = re.compile(r"([+-])([0-9]{1,6})([hdw])", re.ASCII)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_at(text: str, now: datetime | None = None) -> datetime:
    """Parse ``--at``: a date (that day's start, UTC), an instant with offset, or an offset.

    Args:
        text: The option's value: ``2026-12-31``, ``2026-12-31T09:00:00Z``,
            or an offset from now in hours, days or weeks: ``+30d``,
            ``+12w``, ``+6h``, ``-7d`` (give a negative one as ``--at=-7d``).
        now: The instant a relative value counts from (default: the
            system clock, read once).

    Returns:
        The instant, in UTC.

    Raises:
        UsageError: Not a date, an aware instant or an offset, or out of range.
    """
    relative = _RELATIVE.fullmatch(text)
    try:
        if relative is not None:
            sign, count, unit = relative.groups()
            base = now if now is not None else datetime.now(UTC)
            step = _UNITS[unit] * int(count)
            return (base + step if sign == "+" else base - step).astimezone(UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--at: not a date, instant or offset: {text!r} "
            "(use 2026-12-31, 2026-12-31T09:00:00Z, +30d or +12w)"
        ) from None
    except OverflowError:
        raise UsageError("--at: out of range (outside the years 1 to 9999)") from None
    if value.tzinfo is None:
        raise UsageError("--at: give a timezone (2026-12-31T09:00:00Z) or a plain date")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise UsageError(
            "--at: out of range (in UTC it falls outside the years 1 to 9999)"
        ) from None


def parse_day_or_instant(option: str, text: str) -> date | datetime:
    """Parse a licence bound: a date (``2027-12-31``) or an aware instant.

    Raises:
        UsageError: Naming ``option``.
    """
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option}: not a date or instant: {text!r} (use 2027-12-31 or 2027-12-31T00:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise UsageError(f"{option}: give a timezone (2027-12-31T00:00:00Z) or a plain date")
    return value


# -------------------------------------------------------------------------- parser


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Declare the global options: real defaults at the top, SUPPRESS on every command."""

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--db",
        default=default(None),
        metavar="PATH_OR_URL",
        help="registry database: a SQLite file or a postgresql:// URL "
        f"(default: ${DB_ENV}, else {DEFAULT_REGISTRY.as_posix()})",
    )
    parser.add_argument(
        "--keystore",
        default=default(None),
        metavar="PATH",
        help=f"keystore file (default: ${KEYSTORE_ENV}, else {KEYSTORE_FILE} beside the database)",
    )
    parser.add_argument(
        "--actor",
        default=default(None),
        help=f"who acts, recorded on every change (default: ${ACTOR_ENV}, else your user name)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show tracebacks on errors",
    )


def _version() -> str:
    from hf_api_governance._base.version import VERSION

    return f"hf-gov {VERSION}"


_Option = tuple[tuple[str, ...], dict[str, Any]]


def _opt(*flags: str, **kwargs: Any) -> _Option:
    """One ``add_argument`` call, as data: its flags and its keyword arguments."""
    return flags, kwargs


class _Command(NamedTuple):
    """One command (or a group of commands) of the grammar, as data."""

    name: str
    help: str
    epilog: str | None = None
    options: tuple[_Option, ...] = ()
    group: tuple[_Command, ...] | None = None  # the commands of a group (it has no handler)


_ID = _opt("id", metavar="ID")
_JSON = _opt("--json", action="store_true", help="print JSON")
_WHY = "why, in words (recorded with the event)"
_REASON = _opt("--reason", required=True, default=None, help=_WHY)
_REASON_OPTIONAL = _opt("--reason", required=False, default=None, help=_WHY)
_FORCE = "{} it even while a live integration uses it"

_CHECK = _Command(
    "check",
    "evaluate every integration and report decisions",
    EXAMPLES["check"],
    (
        _opt(
            "target",
            metavar="INVENTORY_OR_DB",
            nargs="?",
            default=None,
            help="an inventory .toml file, or a registry database (file or postgresql:// URL); "
            "default: the registry database of --db, $HF_GOV_DB or .hf-gov/registry.db",
        ),
        _opt(
            "--at",
            help="evaluate at this date, instant or offset from now (+30d, +12w) instead of now",
        ),
        _opt("--action", choices=["call", "provision"], default="call"),
        _opt(
            "--format",
            choices=FORMATS,
            default=None,
            help=f"the report's format (default: table): json (schema {JSON_SCHEMA_ID}), "
            "sarif (SARIF 2.1.0, code scanning), junit (CI test reports), markdown "
            "(pull-request comments, job summaries), html (a self-contained page with an "
            "expiry timeline)",
        ),
        _opt(
            "--output",
            metavar="FILE",
            help="write the report to FILE (replaced atomically) instead of stdout; "
            "stdout then gets a one-line summary",
        ),
        _opt(
            "--json", action="store_true", help=f"short for --format json (schema {JSON_SCHEMA_ID})"
        ),
        _opt(
            "--only-problems",
            action="store_true",
            help="omit integrations allowed without warnings",
        ),
        _opt(
            "--credentials",
            action="store_true",
            help="on a registry database, also look every credential entry up in the keystore "
            "(asks for its passphrase); without it no keystore is opened",
        ),
        _opt(
            "--hooks",
            action="append",
            default=[],
            metavar="MODULE",
            help="also run the policy hooks of this importable module (repeatable), "
            "e.g. --hooks acme_policies",
        ),
        _opt(
            "--jobs",
            metavar="N",
            help="check an inventory file in N processes (table and JSON, no --hooks); "
            "default: the usable CPUs (at most 4) for a file of 1 MiB or more, else 1",
        ),
    ),
)

_REGISTRY = (
    _Command(
        "init",
        "create the registry database and the keystore",
        "examples:\n  hf-gov init\n"
        "  hf-gov init --example    # writes examples/: the inventory, policies, scripts",
        (
            _opt(
                "--example",
                nargs="?",
                const="examples",
                metavar="DIR",
                help="instead, write the example material that ships with the package "
                "(inventory, policy package, scripts) into DIR (default: examples); "
                "files already there are kept, and a file that differs stops it",
            ),
        ),
    ),
    _Command(
        "sync",
        "apply an inventory file to the registry",
        "examples:\n  hf-gov sync examples/inventory.toml --dry-run\n"
        "  hf-gov sync examples/inventory.toml",
        (
            _opt("inventory", metavar="INVENTORY"),
            _opt(
                "--dry-run", action="store_true", help="print what would change and write nothing"
            ),
            _JSON,
        ),
    ),
    _Command(
        "list",
        "list integrations (reads the registry only: no passphrase)",
        "example:\n  hf-gov list --json",
        (_JSON,),
    ),
    _Command(
        "show",
        "show one integration: state, credentials, licences, history (no passphrase)",
        "example:\n  hf-gov show okta-directory",
        (_ID, _JSON),
    ),
)

_LIFECYCLE = (
    _Command(
        "provision",
        "ask for a PROVISION decision for each integration; activate the allowed ones",
        "exit 1 when any integration is refused (it stays pending).\n"
        "example:\n  hf-gov provision okta-directory mimecast-aware",
        (_opt("ids", nargs="+", metavar="ID"), _REASON_OPTIONAL),
    ),
    _Command(
        "revoke",
        "record a revocation (clause 1.1.1)",
        "example:\n  hf-gov revoke mimecast-aware --by mimecast --reason 'key revoked by Mimecast'",
        (
            _ID,
            _opt("--by", choices=["mimecast", "customer", "third_party"], required=True),
            _REASON,
        ),
    ),
    _Command(
        "replace-credential",
        "point an integration at new keystore entries: the way out of REVOKED (clause 1.1.1)",
        "the new entries must be in the keystore (hf-gov keys set) and never revoked.\n"
        "examples:\n"
        "  hf-gov replace-credential okta-directory --entry okta-api-token-2026 \\\n"
        "      --reason 'new token from Okta'\n"
        "  hf-gov replace-credential mimecast-aware --entry client_id=mc-aware-id-2 \\\n"
        "      --entry client_secret=mc-aware-secret-2 --reason 'new API application'",
        (
            _ID,
            _opt(
                "--entry",
                action="append",
                required=True,
                metavar="NAME|PARAM=NAME",
                help="the new credential entry, or PARAM=NAME for an auth parameter (repeatable)",
            ),
            _REASON_OPTIONAL,
        ),
    ),
    _Command(
        "suspend",
        "suspend interoperability (clause 1.1.2)",
        "example:\n  hf-gov suspend slack-aware --cause api_changed --reason 'v1 removed'",
        (
            _ID,
            _opt(
                "--cause",
                choices=["api_changed", "unreasonable_requirements", "sunset", "manual"],
                required=True,
            ),
            _REASON,
        ),
    ),
    _Command(
        "reinstate",
        "lift a suspension (a revoked integration needs replace-credential instead)",
        "example:\n  hf-gov reinstate slack-aware --reason 'fixed'",
        (_ID, _REASON),
    ),
    _Command(
        "retire",
        "retire an integration for good (final: nothing changes it afterwards)",
        "example:\n  hf-gov retire workday-departures --reason 'replaced by the SCIM feed'",
        (_ID, _REASON),
    ),
    _Command(
        "verify-info",
        "confirm the enablement information is correct and current (clause 1.1)",
        "example:\n  hf-gov verify-info okta-directory",
        (_ID,),
    ),
)

_LICENCE = _Command(
    "licence",
    "record, remove and list licences (clause 1.1.2)",
    EXAMPLES["licence"],
    group=(
        _Command(
            "add",
            "record a licence (a renewal, a new grant)",
            options=(
                _ID,
                _opt(
                    "--grantor",
                    required=True,
                    help="who grants it (the vendor; Mimecast for the service subscription)",
                ),
                _opt("--scope", required=True, help="what it covers"),
                _opt(
                    "--from",
                    dest="valid_from",
                    required=True,
                    metavar="DATE",
                    help="first day (2027-01-01) or instant",
                ),
                _opt(
                    "--until",
                    dest="valid_until",
                    metavar="DATE",
                    help="last day, inclusive (2027-12-31), or end instant (default: no end)",
                ),
                _opt("--holder", help="who holds it"),
                _opt("--reference", help="where the evidence is (contract, order, URL)"),
                _REASON_OPTIONAL,
            ),
        ),
        _Command(
            "remove",
            "remove the one licence matching grantor, scope and any dates given",
            options=(
                _ID,
                _opt("--grantor", required=True),
                _opt("--scope", required=True),
                _opt("--from", dest="valid_from", metavar="DATE", help="to tell licences apart"),
                _opt("--until", dest="valid_until", metavar="DATE", help="to tell licences apart"),
                _REASON_OPTIONAL,
            ),
        ),
        _Command(
            "list",
            "licences and their status (no passphrase)",
            options=(
                _opt("id", nargs="?", metavar="ID", help="one integration (default: all)"),
                _opt("--at", help="status at this date, instant or offset (+30d) instead of now"),
                _JSON,
            ),
        ),
    ),
)

_KEYS = _Command(
    "keys",
    "manage keystore entries (values only from stdin or a prompt)",
    EXAMPLES["keys"],
    group=(
        _Command(
            "set",
            "store a value read from stdin or a hidden prompt (audited: name and fingerprint)",
            options=(
                _opt("name", metavar="NAME"),
                _opt(
                    "--classification",
                    choices=["mimecast_confidential", "third_party_confidential", "customer_data"],
                    default="mimecast_confidential",
                ),
                _opt("--label", help="a description shown by keys list (not secret)"),
                _opt("--replace", action="store_true", help="overwrite an existing entry"),
            ),
        ),
        _Command(
            "list", "names, classifications and fingerprints (never values)", options=(_JSON,)
        ),
        _Command(
            "delete",
            "delete an entry (audited)",
            options=(
                _opt("name", metavar="NAME"),
                _opt("--force", action="store_true", help=_FORCE.format("delete")),
            ),
        ),
        _Command(
            "rename",
            "rename an entry; the value is kept (audited)",
            options=(
                _opt("old", metavar="OLD"),
                _opt("new", metavar="NEW"),
                _opt("--force", action="store_true", help=_FORCE.format("rename")),
            ),
        ),
        _Command(
            "change-passphrase",
            "protect the keystore with a new passphrase (its keys are re-wrapped)",
        ),
    ),
)

_AUDIT = _Command(
    "audit",
    "verify, checkpoint or export the audit log",
    EXAMPLES["audit"],
    group=(
        _Command(
            "verify",
            "verify the hash chain and authenticators, and cross-check the registry's events",
            options=(
                _opt(
                    "--checkpoint",
                    metavar="FILE",
                    help="a checkpoint file kept elsewhere (HMAC or signed)",
                ),
                _opt(
                    "--public-key",
                    metavar="FILE",
                    help="verify with this public key only (PEM, from 'hf-gov audit public-key') "
                    "against a signed --checkpoint: no keystore, no passphrase",
                ),
                _opt(
                    "--save-checkpoint",
                    metavar="FILE",
                    help="write a fresh checkpoint here after a good verification",
                ),
                _JSON,
            ),
        ),
        _Command(
            "export",
            "export as JSON lines for a SIEM ('-' for standard output)",
            options=(
                _opt("path", metavar="PATH"),
                _opt(
                    "--follow-symlinks",
                    action="store_true",
                    help="when PATH is a symbolic link, write its target (refused otherwise)",
                ),
            ),
        ),
        _Command(
            "checkpoint",
            "verify, then write a checkpoint signed with the audit log's Ed25519 key",
            options=(_opt("path", metavar="FILE"),),
        ),
        _Command(
            "public-key",
            "print (or write to FILE) the public key that checks signed checkpoints",
            options=(_opt("path", metavar="FILE", nargs="?"),),
        ),
        _Command(
            "adopt",
            "record, once, the registry events the audit log does not cover (an old registry)",
            options=(_opt("--reason", required=True, help="why (recorded in the audit log)"),),
        ),
    ),
)

_DB = _Command(
    "db",
    "manage the registry database itself",
    EXAMPLES["db"],
    group=(
        _Command(
            "migrate",
            "copy a whole registry (integrations, events, revoked credentials, audit chain) "
            "into an empty one, and verify the copy",
            options=(
                _opt(
                    "--from",
                    dest="source",
                    required=True,
                    metavar="PATH_OR_URL",
                    help="the registry to copy",
                ),
                _opt(
                    "--to",
                    dest="target",
                    required=True,
                    metavar="PATH_OR_URL",
                    help="an empty registry (a new file, or an empty PostgreSQL database)",
                ),
            ),
        ),
    ),
)

_COMPLETION = _Command(
    "completion",
    "print a shell completion script, generated from this parser",
    "examples:\n"
    "  hf-gov completion bash > ~/.local/share/bash-completion/completions/hf-gov\n"
    "  hf-gov completion zsh > ~/.zfunc/_hf-gov\n"
    "  hf-gov completion fish > ~/.config/fish/completions/hf-gov.fish",
    (_opt("shell", choices=["bash", "zsh", "fish"]),),
)

_GRAMMAR: Final = (_CHECK, *_REGISTRY, *_LIFECYCLE, _LICENCE, _KEYS, _AUDIT, _DB, _COMPLETION)
"""Every command, in the order ``hf-gov --help`` lists them."""


def _declare(
    into: argparse._SubParsersAction,  # type: ignore[type-arg]
    commands: tuple[_Command, ...],
    common: argparse.ArgumentParser,
    prefix: str = "",
) -> None:
    """Add ``commands`` to ``into``: a leaf's ``handler`` is its command line, a group recurses."""
    for command in commands:
        p: argparse.ArgumentParser = into.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=command.epilog,
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for flags, kwargs in command.options:
            p.add_argument(*flags, **kwargs)
        line = f"{prefix}{command.name}"
        if command.group is None:
            p.set_defaults(handler=line)
        else:
            inner = p.add_subparsers(
                dest=f"{command.name}_command",
                required=True,
                metavar=f"{command.name.upper()}_COMMAND",
            )
            _declare(inner, command.group, common, prefix=f"{line} ")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (exposed for documentation, completion and tests).

    Returns:
        The ``hf-gov`` parser, declared from the command table. Each command's
        parser sets the ``handler`` default to its command line (``"check"``,
        ``"keys set"``), the key of
        :data:`hf_api_governance._cli.commands.COMMANDS`.
    """
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, top=False)

    parser = argparse.ArgumentParser(
        prog="hf-gov",
        description="Govern the API integrations of Mimecast Human Factors services "
        "(Engage, Aware, Incydr).",
        epilog="Secrets are never read from the command line: "
        f"use stdin, a prompt or {PASSPHRASE_ENV}.",
    )
    _global_options(parser, top=True)
    parser.add_argument(
        "--version", action="version", version=_version(), help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _declare(sub, _GRAMMAR, common)
    return parser
