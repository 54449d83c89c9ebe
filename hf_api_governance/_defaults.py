"""Defaults shared by the `Governance` facade and ``hf-gov``: files, environment, actor.

One place for what both entry points assume when the caller says nothing:
the home folder ``.hf-gov/`` and the file names in it, the environment
variables that carry the keystore passphrase and the audit key, and who acts.

This module sits beside the facade, not in ``_base``: it builds a
:class:`Secret` from the environment, and ``_base`` (which every layer uses)
depends on nothing above it. ``hf-gov --help`` reads its constants, so the
secret module (hashlib, hmac) is imported only when a passphrase is wrapped.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._confidential.secret import Secret

__all__ = [
    "ACTOR_ENV",
    "AUDIT_KEY_ENV",
    "DB_ENV",
    "DEFAULT_HOME",
    "DEFAULT_REGISTRY",
    "KEYSTORE_ENV",
    "KEYSTORE_FILE",
    "NEW_PASSPHRASE_ENV",
    "PASSPHRASE_ENV",
    "REGISTRY_FILE",
    "RESERVED_ENTRY_PREFIX",
    "default_actor",
    "passphrase_from_env",
    "passphrase_secret",
]

DEFAULT_HOME: Final = Path(".hf-gov")
"""The folder, relative to the working directory, that holds the registry and the keystore."""

REGISTRY_FILE: Final = "registry.db"
"""The registry database's file name in the home folder."""

KEYSTORE_FILE: Final = "keystore.hfks"
"""The keystore's file name, beside the registry database (``hf-gov``'s default)."""

DEFAULT_REGISTRY: Final = DEFAULT_HOME / REGISTRY_FILE
"""The registry database opened when no path is given."""

PASSPHRASE_ENV: Final = "HF_GOV_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
"""The environment variable holding the keystore passphrase (unattended jobs)."""

NEW_PASSPHRASE_ENV: Final = "HF_GOV_NEW_PASSPHRASE"  # noqa: S105 - a variable name
"""The environment variable holding the new passphrase for ``hf-gov keys change-passphrase``."""

AUDIT_KEY_ENV: Final = "HF_GOV_AUDIT_KEY"
"""The environment variable holding the audit log's HMAC key when no keystore is used."""

DB_ENV: Final = "HF_GOV_DB"
"""``hf-gov``'s registry database when ``--db`` is not given (else :data:`DEFAULT_REGISTRY`)."""

KEYSTORE_ENV: Final = "HF_GOV_KEYSTORE"
"""``hf-gov``'s keystore when ``--keystore`` is not given (else beside the database)."""

ACTOR_ENV: Final = "HF_GOV_ACTOR"
"""Who acts for ``hf-gov`` when ``--actor`` is not given (else the operating-system user)."""

RESERVED_ENTRY_PREFIX: Final = "hf-gov."
"""Keystore entry names starting with this are the library's own (the audit key)."""


def default_actor() -> str:
    """Who acts when no actor is given: the operating-system user.

    Returns:
        The user name, or ``"unknown"`` when the system has none for this
        process (no passwd entry, e.g. in a container).
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def passphrase_from_env(variable: str = PASSPHRASE_ENV) -> Secret | None:
    """Read a keystore passphrase from the environment.

    Args:
        variable: The environment variable (default :data:`PASSPHRASE_ENV`).

    Returns:
        The passphrase as a customer-data :class:`Secret`, or ``None`` when
        the variable is unset or empty.
    """
    value = os.environ.get(variable)
    return passphrase_secret(value) if value else None


def passphrase_secret(value: str) -> Secret:
    """Wrap a keystore passphrase (from the environment or a prompt) as a :class:`Secret`.

    Args:
        value: The passphrase.

    Returns:
        A customer-data secret labelled ``keystore passphrase``.
    """
    # Imported here: the parser reads this module's constants at start-up.
    from hf_api_governance._confidential.secret import Classification, Secret

    return Secret(value, Classification.CUSTOMER_DATA, "keystore passphrase")
