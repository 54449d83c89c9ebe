"""What each ``hf-gov`` command does: ``cmd_*(args, out, err) -> exit code``, through the facade.

Every command opens a :class:`Governance` (or, for ``check`` on an inventory
file, asks it for a report without a database) and prints with
:mod:`~hf_api_governance._cli.output`. The files, passphrase variables and
actor come from the global options, else the environment (``HF_GOV_DB``,
``HF_GOV_KEYSTORE``, ``HF_GOV_ACTOR``), else :mod:`hf_api_governance._defaults`.
:data:`COMMANDS` maps a command line (``"check"``, ``"keys set"``) to its
handler; ``main`` dispatches through it.

How each command opens the files:

- commands that only read the registry (``list``, ``show``, ``licence
  list``, ``sync --dry-run``) never open the keystore, so they never ask
  for a passphrase;
- commands that change something need the audit log (its key is in the
  keystore, or in ``HF_GOV_AUDIT_KEY``): every change is one registry
  transaction with its event and its audit entry;
- ``keys`` commands need the keystore.

Every input path is checked before use: a path that is not a regular file (a
directory, a FIFO, a device) is refused with exit 2, never opened blindly.

Start-up: the modules imported here are the ones ``import hf_api_governance``
loads anyway. The heavy ones stay lazy in the facade: cryptography when a
keystore is opened, requests only for a governed session (no command uses
one), so ``hf-gov --help`` imports neither.

Why one module of about 1,000 lines: one short handler per command line
(25 of them), each a few lines of argument checking around one facade call,
sharing the same few helpers (opening, input and output files); the
rendering is in :mod:`~hf_api_governance._cli.output` and the parser in
:mod:`~hf_api_governance._cli.parser`. Split it by command group when a
group grows logic of its own.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import io
import os
import stat
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from hf_api_governance._audit.signing import SignedCheckpoint, load_checkpoint
from hf_api_governance._base.files import (
    NotARegularFile,
    atomic_write,
    check_write_target,
    file_kind,
    read_regular_file,
)
from hf_api_governance._cli.output import (
    finding_lines,
    isatty,
    print_integration,
    print_integrations,
    print_keys,
    print_licences,
    print_sync,
    print_verification,
    show_progress,
    table,
    when,
    write_report,
)
from hf_api_governance._cli.parser import UsageError, parse_at, parse_day_or_instant
from hf_api_governance._confidential.secret import Classification, Secret
from hf_api_governance._defaults import (
    ACTOR_ENV,
    AUDIT_KEY_ENV,
    DB_ENV,
    DEFAULT_REGISTRY,
    KEYSTORE_ENV,
    KEYSTORE_FILE,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    RESERVED_ENTRY_PREFIX,
    passphrase_from_env,
    passphrase_secret,
)
from hf_api_governance._facade import AUDIT_KEY_ENTRY, Governance
from hf_api_governance._migrate import copy_registry
from hf_api_governance._model.rules import check_entry_name
from hf_api_governance._model.values import (
    IntegrationState,
    Licence,
    Revoker,
    SuspensionCause,
)
from hf_api_governance._policy import Action, PolicyEngine, PolicySettings, load_hooks
from hf_api_governance._registry.inventory import load_inventory, load_inventory_with_lines
from hf_api_governance._report import Source, redact_report, render
from hf_api_governance._storage.store import describe_location, is_database_url
from hf_api_governance.exceptions import AccessDenied, IllegalTransition, PolicyError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._policy import Finding, PolicyHook

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
    "cmd_completion",
    "cmd_db_migrate",
    "cmd_init",
    "cmd_keys_change_passphrase",
    "cmd_keys_delete",
    "cmd_keys_list",
    "cmd_keys_rename",
    "cmd_keys_set",
    "cmd_licence_add",
    "cmd_licence_list",
    "cmd_licence_remove",
    "cmd_list",
    "cmd_provision",
    "cmd_reinstate",
    "cmd_replace_credential",
    "cmd_retire",
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


def _registry_path(args: argparse.Namespace) -> Path | str:
    """``--db``, else ``$HF_GOV_DB``, else ``.hf-gov/registry.db``.

    A SQLite file is a :class:`Path`; a ``postgresql://`` URL stays text.
    """
    given = args.db or os.environ.get(DB_ENV)
    if given and is_database_url(given):
        return str(given)
    return Path(given) if given else DEFAULT_REGISTRY


def _keystore_path(args: argparse.Namespace) -> Path:
    """``--keystore``, else ``$HF_GOV_KEYSTORE``, else the keystore file beside the database.

    A registry on a database server has no "beside": the default home's keystore.
    """
    given = args.keystore or os.environ.get(KEYSTORE_ENV)
    if given:
        return Path(given)
    db = _registry_path(args)
    return (DEFAULT_REGISTRY.parent if isinstance(db, str) else db.parent) / KEYSTORE_FILE


def _actor(args: argparse.Namespace) -> str | None:
    """``--actor``, else ``$HF_GOV_ACTOR``, else ``None`` (the facade's default: the OS user)."""
    return args.actor or os.environ.get(ACTOR_ENV) or None


def _exists_as_file(path: Path, what: str) -> bool:
    """Whether ``path`` exists; when it does, it must be a regular file.

    Raises:
        UsageError: It exists but is a directory, FIFO, device or socket (a
            FIFO would block whoever opened it), or cannot be examined.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UsageError(f"{path}: cannot use {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: {what} must be a regular file; this is {file_kind(st.st_mode)}")
    return True


def _input_file(path: str, what: str) -> Path:
    """An existing regular file given on the command line.

    Raises:
        UsageError: Missing, or not a regular file.
    """
    where = Path(path)
    if not _exists_as_file(where, what):
        raise UsageError(f"{where}: no such file")
    return where


def _output_file(path: str, *, follow_option: str | None = None, follow: bool = False) -> Path:
    """Where a file given on the command line may be written (see ``check_write_target``).

    Args:
        path: The path given.
        follow_option: The option that would follow a symbolic link, if the
            command has one (named in the message).
        follow: That option was given: write a link's target.

    Raises:
        UsageError: It exists and is not a regular file, or is a symbolic
            link (without ``follow``).
    """
    try:
        return check_write_target(path, follow_symlinks=follow)
    except NotARegularFile as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link, not followed
            how = f" (give {follow_option} to write its target)" if follow_option else ""
            raise UsageError(f"{path}: is a symbolic link: refusing to replace it{how}") from None
        raise UsageError(f"{path}: {exc.strerror}") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


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


KeystoreUse = Literal["none", "if-present", "required"]


def _open(
    args: argparse.Namespace,
    *,
    keystore: KeystoreUse = "if-present",
    audited: bool = False,
    hooks: Sequence[PolicyHook] = (),
) -> Governance:
    """Open the registry of ``--db``, with the keystore as ``keystore`` says.

    Args:
        args: The parsed arguments (global options).
        keystore: ``"none"`` for commands that only read the registry (no
            passphrase is asked), ``"if-present"`` to use it when it exists,
            ``"required"`` for commands that cannot work without it.
        audited: The command changes something: an audit log is required.
        hooks: Policy hooks for the engine.

    Raises:
        UsageError: No registry database, a path that is not a regular file,
            no keystore when required (only ``hf-gov init`` creates one: a
            typo must not start an empty one), or no audit key when audited.
    """
    db = _registry_path(args)
    if isinstance(db, Path) and not _exists_as_file(db, "the registry database"):
        raise UsageError(f"{db}: no registry database; run 'hf-gov init' or give --db")
    ks_path = _keystore_path(args)
    ks_exists = keystore != "none" and _exists_as_file(ks_path, "the keystore")
    if keystore == "required" and not ks_exists:
        raise UsageError(f"{ks_path}: no keystore; run 'hf-gov init' or give --keystore")
    passphrase = _passphrase() if ks_exists else None
    gov = Governance.open(
        db,
        keystore=ks_path if ks_exists else None,
        passphrase=passphrase,
        actor=_actor(args),
        hooks=hooks,
    )
    if audited and gov.audit is None:
        gov.close()
        raise UsageError(
            f"no audit log: every change is audited, with the key kept in the keystore "
            f"({ks_path}) or in {AUDIT_KEY_ENV}"
        )
    return gov


def _audit_of(gov: Governance) -> AuditLog:
    """The open audit log (``_open(..., audited=True)`` guarantees one)."""
    assert gov.audit is not None  # noqa: S101 - audited=True
    return gov.audit


# ------------------------------------------------------------------------ reading


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
    server = is_database_url(args.target)
    target = Path(args.target) if server else _input_file(args.target, "the target")
    output = _check_output(args.output, None if server else target)
    hooks = _load_hooks(args.hooks)

    def progress(done: int, total: int) -> None:
        show_progress(err, "evaluating", done, total)

    if not server and target.suffix.lower() == ".toml":
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
        args.db = args.target if server else str(target)
        # A URL is named without its credentials (a report may be published).
        source = Source.registry(describe_location(args.target))
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


def _check_output(value: str | None, target: Path | None) -> Path | None:
    """``--output`` as a path; a report is never written over what governance keeps.

    Refused: a directory, a missing folder, anything but a regular file (a
    FIFO, a device, a symbolic link), the checked file itself, and an
    existing registry database, keystore or inventory file (``.toml``).
    """
    if value is None:
        return None
    output = Path(value)
    if output.is_dir():
        raise UsageError(f"--output: {value} is a directory; name a file")
    if not output.parent.is_dir():
        raise UsageError(f"--output: {output.parent} is not a directory")
    output = _output_file(value)  # a regular file or nothing: never a FIFO to block on
    if output.exists():
        if target is not None and output.resolve() == target.resolve():
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


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov list``: one row (or JSON object) per integration, in id order; no passphrase."""
    with _open(args, keystore="none") as gov:
        integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    print_integrations(integrations, out, as_json=args.json)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov show``: one integration's state, licences and history; no passphrase."""
    with _open(args, keystore="none") as gov:
        integration = gov.registry.get(args.id)
    print_integration(integration, out, as_json=args.json)
    return 0


# ------------------------------------------------------------------------ changes


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
    db = _registry_path(args)
    ks = _keystore_path(args)
    if isinstance(db, Path) and _exists_as_file(db, "the registry database"):
        raise UsageError(f"{db}: already initialised")
    ks_exists = _exists_as_file(ks, "the keystore")
    passphrase = (
        _passphrase()
        if ks_exists
        else _passphrase(confirm=True, prompt="New keystore passphrase: ")
    )
    with Governance.open(db, keystore=ks, passphrase=passphrase, actor=_actor(args)):
        pass
    out.write(f"initialised {describe_location(db)} and {ks}\n")
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov sync``: apply an inventory file to the registry (``--dry-run``: write nothing)."""
    declared = load_inventory(args.inventory)
    dry = args.dry_run
    with _open(args, keystore="none" if dry else "if-present", audited=not dry) as gov:
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
    with _open(args, audited=True) as gov:
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
    with _open(args, audited=True) as gov:
        gov.revoke(args.id, by=Revoker(args.by), reason=args.reason)
    out.write(f"{args.id}: revoked (by {args.by})\n")
    return 0


def cmd_suspend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov suspend``: suspend interoperability (clause 1.1.2)."""
    with _open(args, audited=True) as gov:
        gov.suspend(args.id, cause=SuspensionCause(args.cause), reason=args.reason)
    out.write(f"{args.id}: suspended ({args.cause})\n")
    return 0


def cmd_reinstate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov reinstate``: lift a suspension (a revoked integration needs a new credential)."""
    with _open(args, audited=True) as gov:
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
    with _open(args, audited=True) as gov:
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
    with _open(args, keystore="required", audited=True) as gov:
        result = gov.replace_credential(
            args.id, credential, auth_entries=auth or None, reason=args.reason or ""
        )
    names = ", ".join(result.credential_entries)
    out.write(f"{args.id}: credential replaced ({names}); now {result.state.value}\n")
    return 0


def cmd_verify_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov verify-info``: record that the enablement information is current (clause 1.1)."""
    with _open(args, audited=True) as gov:
        gov.verify_info(args.id)
    out.write(f"{args.id}: enablement information verified\n")
    return 0


# ------------------------------------------------------------------------ licences


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
    with _open(args, audited=True) as gov:
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
    with _open(args, audited=True) as gov:
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
    with _open(args, keystore="none") as gov:
        if args.id:
            integrations = [gov.registry.get(args.id)]
        else:
            integrations = sorted(gov.registry.integrations(with_history=False), key=lambda i: i.id)
    rows = [(i.id, lic, lic.status(at, warn).value) for i in integrations for lic in i.licences]
    print_licences(rows, out, as_json=args.json, at=at)
    return 0


# ------------------------------------------------------------------------ keystore


def _read_value(name: str) -> str:
    """The value for ``keys set``: a hidden prompt on a terminal, else stdin (size-capped).

    One trailing line ending (LF or CR LF) is dropped. Never argv.

    Raises:
        UsageError: Empty, larger than the keystore's value limit (1 MiB), or
            not UTF-8 text.
    """
    from hf_api_governance._confidential.keystore import MAX_VALUE_SIZE

    if sys.stdin.isatty():
        value = getpass.getpass(f"Value for {name} (hidden): ")
        raw = value.encode("utf-8", "surrogatepass")
    else:
        raw = sys.stdin.buffer.read(MAX_VALUE_SIZE + 3)
        for ending in (b"\r\n", b"\n"):
            if raw.endswith(ending):
                raw = raw[: -len(ending)]
                break
    if not raw:
        raise UsageError(
            "the value is empty (give it on stdin or at the prompt, never as an argument)"
        )
    if len(raw) > MAX_VALUE_SIZE:
        raise UsageError("the value is larger than the 1 MiB limit of a keystore entry")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("the value is not UTF-8 text") from None


def cmd_keys_set(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys set``: store a value read from stdin or a hidden prompt, never argv; audited.

    Raises:
        UsageError: The name is reserved, the entry exists without
            ``--replace``, the value is empty or too large, or there is no
            keystore.
    """
    check_entry_name("NAME", args.name)
    if args.name.startswith(RESERVED_ENTRY_PREFIX):
        raise UsageError(
            f"NAME: names starting with {RESERVED_ENTRY_PREFIX!r} are reserved for hf-gov's "
            "own keys (the audit key)"
        )
    with _open(args, keystore="required", audited=True) as gov:
        assert gov.keystore is not None  # noqa: S101 - keystore="required"
        gov.check_key_name(args.name, field="NAME")
        existed = args.name in gov.keystore
        if existed and not args.replace:
            raise UsageError(
                f"keystore entry {args.name!r} already exists; give --replace to overwrite it"
            )
        value = _read_value(args.name)
        secret = Secret(value, Classification(args.classification), args.label)
        del value
        fingerprint = gov.store_key(args.name, secret, replace=args.replace)
    out.write(f"{'replaced' if existed else 'stored'} {args.name} ({fingerprint})\n")
    return 0


def cmd_keys_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys list``: names, classifications and fingerprints, never values."""
    with _open(args, keystore="required") as gov:
        ks = gov.keystore
        assert ks is not None  # noqa: S101 - keystore="required"
        entries = [(name, ks.get(name)) for name in ks.names()]
    print_keys(entries, out, as_json=args.json)
    return 0


def cmd_keys_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys delete``: delete an entry (refused while in use, unless ``--force``)."""
    with _open(args, keystore="required", audited=True) as gov:
        fingerprint = gov.delete_key(args.name, force=args.force)
    out.write(f"deleted {args.name} ({fingerprint})\n")
    return 0


def cmd_keys_rename(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys rename``: rename an entry, keeping its value."""
    with _open(args, keystore="required", audited=True) as gov:
        fingerprint = gov.rename_key(args.old, args.new, force=args.force)
    out.write(f"renamed {args.old} to {args.new} ({fingerprint})\n")
    return 0


def cmd_keys_change_passphrase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys change-passphrase``: re-wrap the keystore's keys with a new passphrase.

    The new passphrase comes from :data:`~hf_api_governance._defaults.NEW_PASSPHRASE_ENV`,
    else from a prompt (asked twice).
    """
    with _open(args, keystore="required") as gov:
        assert gov.keystore is not None  # noqa: S101 - keystore="required"
        new = passphrase_from_env(NEW_PASSPHRASE_ENV)
        if new is None:
            os.environ.pop(PASSPHRASE_ENV, None)
            new = _passphrase(confirm=True, prompt="New keystore passphrase: ")
        gov.keystore.change_passphrase(new)
    out.write("passphrase changed\n")
    return 0


# ------------------------------------------------------------------------ audit


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
        load_checkpoint(_input_file(args.checkpoint, "--checkpoint")) if args.checkpoint else None
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
        with _open(args, keystore="none") as gov:
            report = gov.verify_audit(checkpoint, public_key=public_key)
    else:
        save = _output_file(args.save_checkpoint) if args.save_checkpoint else None
        with _open(args, audited=True) as gov:
            audit = _audit_of(gov)
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
    where = _input_file(path, "--public-key")
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
    target = _output_file(args.path)
    with _open(args, audited=True) as gov:
        audit = _audit_of(gov)
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
    target = _output_file(args.path) if args.path else None
    with _open(args, audited=True) as gov:
        pem = _audit_of(gov).public_key()
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
    with _open(args, audited=True) as gov:
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
    """``hf-gov audit export``: write the audit log as JSON lines for a SIEM (``-``: stdout).

    Raises:
        UsageError: The target exists and is not a regular file, or is a
            symbolic link without ``--follow-symlinks``.
    """
    to_stdout = args.path == "-"
    target = (
        None
        if to_stdout
        else _output_file(args.path, follow_option="--follow-symlinks", follow=args.follow_symlinks)
    )
    with _open(args, audited=True) as gov:
        audit = _audit_of(gov)
        count = audit.export(out if target is None else target)
    if to_stdout:
        err.write(f"exported {count} entries to standard output\n")
    else:
        out.write(f"exported {count} entries to {args.path}\n")
    return 0


# ------------------------------------------------------------------------ shell


def cmd_completion(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov completion``: print a completion script generated from the parser."""
    from hf_api_governance._cli.completion import completion_script
    from hf_api_governance._cli.parser import build_parser

    out.write(completion_script(build_parser(), args.shell))
    return 0


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
    ks_path = _keystore_path(args)
    if ks_path.exists():
        from hf_api_governance._confidential.keystore import Keystore

        with Keystore.open(ks_path, _passphrase()) as keystore:
            return keystore.get(AUDIT_KEY_ENTRY) if AUDIT_KEY_ENTRY in keystore else None
    return Governance._audit_key(None)


COMMANDS: dict[str, Command] = {
    "check": cmd_check,
    "init": cmd_init,
    "sync": cmd_sync,
    "list": cmd_list,
    "show": cmd_show,
    "provision": cmd_provision,
    "revoke": cmd_revoke,
    "replace-credential": cmd_replace_credential,
    "suspend": cmd_suspend,
    "reinstate": cmd_reinstate,
    "retire": cmd_retire,
    "verify-info": cmd_verify_info,
    "licence add": cmd_licence_add,
    "licence remove": cmd_licence_remove,
    "licence list": cmd_licence_list,
    "keys set": cmd_keys_set,
    "keys list": cmd_keys_list,
    "keys delete": cmd_keys_delete,
    "keys rename": cmd_keys_rename,
    "keys change-passphrase": cmd_keys_change_passphrase,
    "audit verify": cmd_audit_verify,
    "audit checkpoint": cmd_audit_checkpoint,
    "audit public-key": cmd_audit_public_key,
    "audit adopt": cmd_audit_adopt,
    "audit export": cmd_audit_export,
    "completion": cmd_completion,
    "db migrate": cmd_db_migrate,
}
"""Every command's handler, by its command line (the parser's ``handler`` default)."""
