"""What an identifier may look like: integration ids, keystore entry names, clause numbers, codes.

Each rule is written once, as a pattern matched whole (``fullmatch``, ASCII
only: a trailing newline or a look-alike letter is not part of a name), and
every module that checks such a value imports it from here.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CLAUSE", "ENTRY_NAME", "FINDING_CODE", "INTEGRATION_ID"]

INTEGRATION_ID: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", re.ASCII)
"""An integration id: a lower-case slug of 1 to 64 characters (``okta-directory``)."""

ENTRY_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)
"""A keystore entry name: letters, digits, ``.``, ``_``, ``-``, at most 128 characters."""

CLAUSE: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,4}", re.ASCII)
"""A contract clause number such as ``1.1.2``."""

FINDING_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]{2,63}", re.ASCII)
"""A finding code such as ``LICENCE_EXPIRED``."""
