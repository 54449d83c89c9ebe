"""``hf-gov keys ...``: keystore entries (values only from stdin or a hidden prompt)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TextIO

from hf_api_governance._cli.commands.opening import (
    open_governance,
    read_passphrase,
)
from hf_api_governance._cli.output import (
    print_keys,
)
from hf_api_governance._cli.parser import UsageError
from hf_api_governance._confidential.secret import Classification, Secret
from hf_api_governance._defaults import (
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    RESERVED_ENTRY_PREFIX,
    passphrase_from_env,
)
from hf_api_governance._model.rules import check_entry_name


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
    with open_governance(args, keystore="required", audited=True) as gov:
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
    with open_governance(args, keystore="required") as gov:
        ks = gov.keystore
        assert ks is not None  # noqa: S101 - keystore="required"
        entries = [(name, ks.get(name)) for name in ks.names()]
    print_keys(entries, out, as_json=args.json)
    return 0


def cmd_keys_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys delete``: delete an entry (refused while in use, unless ``--force``)."""
    with open_governance(args, keystore="required", audited=True) as gov:
        fingerprint = gov.delete_key(args.name, force=args.force)
    out.write(f"deleted {args.name} ({fingerprint})\n")
    return 0


def cmd_keys_rename(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys rename``: rename an entry, keeping its value."""
    with open_governance(args, keystore="required", audited=True) as gov:
        fingerprint = gov.rename_key(args.old, args.new, force=args.force)
    out.write(f"renamed {args.old} to {args.new} ({fingerprint})\n")
    return 0


def cmd_keys_change_passphrase(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov keys change-passphrase``: re-wrap the keystore's keys with a new passphrase.

    The new passphrase comes from :data:`~hf_api_governance._defaults.NEW_PASSPHRASE_ENV`,
    else from a prompt (asked twice).
    """
    with open_governance(args, keystore="required") as gov:
        assert gov.keystore is not None  # noqa: S101 - keystore="required"
        new = passphrase_from_env(NEW_PASSPHRASE_ENV)
        if new is None:
            os.environ.pop(PASSPHRASE_ENV, None)
            new = read_passphrase(confirm=True, prompt="New keystore passphrase: ")
        gov.keystore.change_passphrase(new)
    out.write("passphrase changed\n")
    return 0
