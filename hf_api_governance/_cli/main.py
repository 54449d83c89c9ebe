"""The ``hf-gov`` command line (also ``python -m hf_api_governance``): parse, dispatch, exit.

Exit codes: 0 when nothing is denied (or the command succeeded), 1 when
something is denied, refused or failed verification (or a governance error
occurred), 2 for bad input or usage (an unknown integration id or keystore
entry included).

The grammar is in :mod:`~hf_api_governance._cli.parser`, the commands in
:mod:`~hf_api_governance._cli.commands`, what they print in
:mod:`~hf_api_governance._cli.output`. Heavy modules (requests, cryptography)
are imported only when a command opens a keystore or a session, so
``hf-gov --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from hf_api_governance._cli import commands
from hf_api_governance._cli.parser import UsageError, build_parser
from hf_api_governance.exceptions import (
    GovernanceError,
    IntegrationNotFound,
    InventoryError,
    KeystoreEntryNotFound,
    ValidationError,
)

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``hf-gov``; return the exit code.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
        out: Where results go (default: stdout).
        err: Where errors go (default: stderr).

    Returns:
        0 on success (for ``check``: nothing denied); 1 when something is
        denied or refused, verification failed or a governance error
        occurred (its type is named); 2 for bad input or usage (an invalid
        value, a path that is missing or not a regular file, an unknown
        integration id or keystore entry); 130 when interrupted. An
        unexpected error is one line without its message (``--debug``
        raises it instead).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    try:
        result: int = commands.COMMANDS[args.handler](args, out, err)
        return result
    except UsageError as exc:
        err.write(f"hf-gov: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("hf-gov: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``hf-gov list | head``): nothing left to say to it.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.debug:
            raise
        if isinstance(
            exc, InventoryError | ValidationError | IntegrationNotFound | KeystoreEntryNotFound
        ):
            err.write(f"hf-gov: {exc}\n")
            return 2
        if isinstance(exc, GovernanceError):
            err.write(f"hf-gov: {type(exc).__name__}: {exc}\n")
            return 1
        err.write(f"hf-gov: unexpected {type(exc).__name__} (run with --debug for details)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
