"""What each ``hf-gov`` command does: ``cmd_*(args, out, err) -> exit code``, through the facade.

:data:`COMMANDS` maps a command line (``"check"``, ``"keys set"``) to its
handler; ``main`` dispatches through it. A handler's module is imported when
the command runs, so ``hf-gov --help`` (and a usage error) imports none of
them, nor the registry, policy, client or keystore machinery they use.

One module per command group:

- :mod:`~hf_api_governance._cli.commands.opening`: what every command shares:
  the files, passphrase and actor from the global options, else the
  environment (``HF_GOV_DB``, ``HF_GOV_KEYSTORE``, ``HF_GOV_ACTOR``), else
  :mod:`hf_api_governance._defaults`; input and output paths checked before
  use; opening a :class:`~hf_api_governance.Governance`.
- :mod:`~hf_api_governance._cli.commands.check`: ``check`` (an inventory file
  or a registry database; the report formats).
- :mod:`~hf_api_governance._cli.commands.integrations`: ``init``, ``sync``,
  ``list``, ``show`` and the lifecycle commands (``provision``, ``revoke``,
  ``replace-credential``, ``suspend``, ``reinstate``, ``retire``,
  ``verify-info``).
- :mod:`~hf_api_governance._cli.commands.licences`: ``licence add|remove|list``.
- :mod:`~hf_api_governance._cli.commands.keys`: ``keys ...`` (keystore entries).
- :mod:`~hf_api_governance._cli.commands.audit`: ``audit ...``.
- :mod:`~hf_api_governance._cli.commands.database`: ``db migrate``.
- :mod:`~hf_api_governance._cli.commands.shell`: ``completion``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Final, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    import argparse

__all__ = ["COMMANDS", "HANDLERS", "Command"]

Command = Callable[["argparse.Namespace", TextIO, TextIO], int]
"""A command handler: parsed arguments, output stream, error stream; returns the exit code."""

HANDLERS: Final = {
    "check": "check:cmd_check",
    "init": "integrations:cmd_init",
    "sync": "integrations:cmd_sync",
    "list": "integrations:cmd_list",
    "show": "integrations:cmd_show",
    "provision": "integrations:cmd_provision",
    "revoke": "integrations:cmd_revoke",
    "replace-credential": "integrations:cmd_replace_credential",
    "suspend": "integrations:cmd_suspend",
    "reinstate": "integrations:cmd_reinstate",
    "retire": "integrations:cmd_retire",
    "verify-info": "integrations:cmd_verify_info",
    "licence add": "licences:cmd_licence_add",
    "licence remove": "licences:cmd_licence_remove",
    "licence list": "licences:cmd_licence_list",
    "keys set": "keys:cmd_keys_set",
    "keys list": "keys:cmd_keys_list",
    "keys delete": "keys:cmd_keys_delete",
    "keys rename": "keys:cmd_keys_rename",
    "keys change-passphrase": "keys:cmd_keys_change_passphrase",
    "audit verify": "audit:cmd_audit_verify",
    "audit checkpoint": "audit:cmd_audit_checkpoint",
    "audit public-key": "audit:cmd_audit_public_key",
    "audit adopt": "audit:cmd_audit_adopt",
    "audit export": "audit:cmd_audit_export",
    "completion": "shell:cmd_completion",
    "db migrate": "database:cmd_db_migrate",
}
"""Where each command's handler is, by command line: ``module:function`` in this package."""


def _on_first_use(target: str) -> Command:
    """A handler that imports ``module:function`` of this package when it first runs."""
    module, _, name = target.partition(":")

    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        function: Command = getattr(import_module(f"{__name__}.{module}"), name)
        return function(args, out, err)

    handler.__name__ = handler.__qualname__ = name
    return handler


COMMANDS: dict[str, Command] = {line: _on_first_use(target) for line, target in HANDLERS.items()}
"""Every command's handler, by its command line (the parser's ``handler`` default)."""
