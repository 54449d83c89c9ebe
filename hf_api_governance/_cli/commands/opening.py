"""What every ``hf-gov`` command shares: its files, passphrase and actor, and opening them.

The files, passphrase variables and actor come from the global options, else
the environment (``HF_GOV_DB``, ``HF_GOV_KEYSTORE``, ``HF_GOV_ACTOR``), else
:mod:`hf_api_governance._defaults`. How each command opens them
(:func:`open_governance`):

- commands that only read the registry (``check`` on a database, ``list``,
  ``show``, ``licence list``, ``sync --dry-run``) never open the keystore, so
  they never ask for a passphrase (``check --credentials`` opens it to look
  the credential entries up);
- commands that change something need the audit log (its key is in the
  keystore, or in ``HF_GOV_AUDIT_KEY``): every change is one registry
  transaction with its event and its audit entry;
- ``keys`` commands need the keystore.

Every input path is checked before use: a path that is not a regular file (a
directory, a FIFO, a device) is refused with exit 2, never opened blindly.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hf_api_governance._base.files import (
    NotARegularFile,
    check_write_target,
    file_kind,
)
from hf_api_governance._cli.parser import UsageError
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._defaults import (
    ACTOR_ENV,
    AUDIT_KEY_ENV,
    DB_ENV,
    DEFAULT_REGISTRY,
    KEYSTORE_ENV,
    KEYSTORE_FILE,
    PASSPHRASE_ENV,
    passphrase_from_env,
    passphrase_secret,
)
from hf_api_governance._storage.store import is_database_url

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._facade import Governance
    from hf_api_governance._policy import PolicyHook

__all__ = [
    "KeystoreUse",
    "actor_of",
    "audit_of",
    "exists_as_file",
    "input_file",
    "keystore_path",
    "open_governance",
    "output_file",
    "read_passphrase",
    "registry_path",
]


def registry_path(args: argparse.Namespace) -> Path | str:
    """``--db``, else ``$HF_GOV_DB``, else ``.hf-gov/registry.db``.

    A SQLite file is a :class:`Path`; a ``postgresql://`` URL stays text.
    """
    given = args.db or os.environ.get(DB_ENV)
    if given and is_database_url(given):
        return str(given)
    return Path(given) if given else DEFAULT_REGISTRY


def keystore_path(args: argparse.Namespace) -> Path:
    """``--keystore``, else ``$HF_GOV_KEYSTORE``, else the keystore file beside the database.

    A registry on a database server has no "beside": the default home's keystore.
    """
    given = args.keystore or os.environ.get(KEYSTORE_ENV)
    if given:
        return Path(given)
    db = registry_path(args)
    return (DEFAULT_REGISTRY.parent if isinstance(db, str) else db.parent) / KEYSTORE_FILE


def actor_of(args: argparse.Namespace) -> str | None:
    """``--actor``, else ``$HF_GOV_ACTOR``, else ``None`` (the facade's default: the OS user)."""
    return args.actor or os.environ.get(ACTOR_ENV) or None


def exists_as_file(path: Path, what: str) -> bool:
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


def input_file(path: str, what: str) -> Path:
    """An existing regular file given on the command line.

    Raises:
        UsageError: Missing, or not a regular file.
    """
    where = Path(path)
    if not exists_as_file(where, what):
        raise UsageError(f"{where}: no such file")
    return where


def output_file(path: str, *, follow_option: str | None = None, follow: bool = False) -> Path:
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


def read_passphrase(*, confirm: bool = False, prompt: str = "Keystore passphrase: ") -> Secret:
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


def open_governance(
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
    db = registry_path(args)
    if isinstance(db, Path) and not exists_as_file(db, "the registry database"):
        raise UsageError(f"{db}: no registry database; run 'hf-gov init' or give --db")
    ks_path = keystore_path(args)
    ks_exists = keystore != "none" and exists_as_file(ks_path, "the keystore")
    if keystore == "required" and not ks_exists:
        raise UsageError(f"{ks_path}: no keystore; run 'hf-gov init' or give --keystore")
    passphrase = read_passphrase() if ks_exists else None
    # Here, not at the top: the facade loads the registry, audit and storage
    # machinery, which `hf-gov check FILE.toml` (this module's other user) never needs.
    from hf_api_governance._facade import Governance

    gov = Governance.open(
        db,
        keystore=ks_path if ks_exists else None,
        passphrase=passphrase,
        actor=actor_of(args),
        hooks=hooks,
    )
    if audited and gov.audit is None:
        gov.close()
        raise UsageError(
            f"no audit log: every change is audited, with the key kept in the keystore "
            f"({ks_path}) or in {AUDIT_KEY_ENV}"
        )
    return gov


def audit_of(gov: Governance) -> AuditLog:
    """The open audit log (``open_governance(..., audited=True)`` guarantees one)."""
    assert gov.audit is not None  # noqa: S101 - audited=True
    return gov.audit
