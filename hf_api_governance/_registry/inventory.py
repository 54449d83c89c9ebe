"""Inventory files: the declared integrations, in TOML, kept under version control.

:func:`load_inventory` reads and fully validates a file (every problem is an
:class:`~hf_api_governance.exceptions.InventoryError` naming the file, the line
where known, the integration and the field, and never quoting a value);
:func:`dump_inventory` writes one atomically. ``dump`` then ``load`` gives
equal integrations, date bounds staying dates and datetime bounds datetimes.
See ``docs/registry.md`` for the format.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from hf_api_governance._base.checks import check_path
from hf_api_governance._base.clock import utc_text
from hf_api_governance._base.files import atomic_write, read_regular_file
from hf_api_governance._base.identifiers import INTEGRATION_ID
from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._model.values import Integration, Licence
from hf_api_governance.exceptions import InventoryError, ValidationError

__all__ = ["MAX_INVENTORY_SIZE", "dump_inventory", "load_inventory", "load_inventory_with_lines"]

MAX_INVENTORY_SIZE: Final = 32 << 20
"""The largest inventory file :func:`load_inventory` reads (32 MiB, some 50,000 integrations)."""

_INTEGRATION_KEYS: Final = (
    "id",
    "name",
    "service",
    "kind",
    "vendor",
    "base_url",
    "owner",
    "api_version",
    "credential",
    "info_verified_at",
    "data_origins",
)
_REQUIRED: Final = ("id", "name", "service", "kind", "vendor", "base_url", "owner")
_TABLES: Final = ("enablement", "auth", "licence")
_LICENCE_KEYS: Final = ("grantor", "scope", "valid_from", "valid_until", "holder", "reference")
_LICENCE_REQUIRED: Final = ("grantor", "scope", "valid_from")
_ALLOWED_KEYS: Final = frozenset(_INTEGRATION_KEYS) | frozenset(_TABLES)
_REQUIRED_KEYS: Final = frozenset(_REQUIRED)
_SAFE_NAME: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_INT64: Final = 2**63


def _safe(name: object) -> str | None:
    """``name`` if it can be quoted in a message (a short plain name), else ``None``."""
    if isinstance(name, str) and _SAFE_NAME.fullmatch(name) and not looks_like_secret(name):
        return name
    return None


# ------------------------------------------------------------------- line finder


class _Lines:
    """Find the line of an integration's field by scanning the TOML text."""

    _HEADER: Final = re.compile(r"^\s*\[\[\s*integration\s*\]\]\s*(#.*)?$")
    _TABLE: Final = re.compile(r"^\s*\[{1,2}\s*([^\]]+?)\s*\]{1,2}\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._blocks = [i for i, line in enumerate(self._lines) if self._HEADER.match(line)]

    def text(self, line: int) -> str:
        """The text of the 1-based ``line``."""
        return self._lines[line - 1]

    @property
    def headers(self) -> list[int]:
        """The 0-based line of every ``[[integration]]`` header, in file order."""
        return self._blocks

    def _block(self, index: int) -> tuple[int, int] | None:
        if index >= len(self._blocks):
            return None
        start = self._blocks[index]
        end = self._blocks[index + 1] if index + 1 < len(self._blocks) else len(self._lines)
        return start, end

    def _key_line(self, start: int, end: int, key: str) -> int | None:
        pattern = re.compile(
            rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*="""
        )
        for i in range(start, end):
            line = self._lines[i]
            if i > start and self._TABLE.match(line):
                return None  # the key belongs to the table opened above
            if pattern.match(line):
                return i
        return None

    def _table_starts(self, start: int, end: int, name: str) -> list[int]:
        return [
            i
            for i in range(start + 1, end)
            if (m := self._TABLE.match(self._lines[i]))
            and re.sub(r"\s+", "", m.group(1)) == f"integration.{name}"
        ]

    def find(self, index: int, field: str | None) -> int | None:
        """The 1-based line of ``field`` in the ``index``-th integration block, or its header."""
        block = self._block(index)
        if block is None:
            return None
        start, end = block
        if not field:
            return start + 1
        head, _, rest = field.partition(".")
        match = re.fullmatch(r"licences?\[(\d+)\]", head)
        if match:
            tables = self._table_starts(start, end, "licence")
            n = int(match.group(1))
            if n < len(tables):
                t = tables[n]
                line = self._key_line(t, end, rest.split(".")[0]) if rest else None
                return (line if line is not None else t) + 1
            line = self._key_line(start, end, "licence")
            return (line if line is not None else start) + 1
        if head in ("enablement", "auth") and rest:
            tables = self._table_starts(start, end, head)
            if tables:
                line = self._key_line(tables[0], end, rest.split(".")[0].split("[")[0])
                return (line if line is not None else tables[0]) + 1
        line = self._key_line(start, end, head.split("[")[0])
        if line is None and head in _TABLES:
            tables = self._table_starts(start, end, head)
            line = tables[0] if tables else None
        return (line if line is not None else start) + 1


# ------------------------------------------------------------------------ load


def load_inventory(path: str | os.PathLike[str]) -> list[Integration]:
    """Read and validate an inventory file.

    Args:
        path: A TOML file with one ``[[integration]]`` table per integration.

    Returns:
        The declared integrations, in file order (state PENDING, no history).

    Raises:
        InventoryError: The file cannot be read, is not a regular file (a
            directory, a FIFO, a device: refused without reading, so a named
            pipe never blocks), is larger than :data:`MAX_INVENTORY_SIZE`, is
            not valid TOML (arrays or tables nested too deeply and integers of
            thousands of digits included), or declares something invalid
            (unknown key, wrong type, duplicate id, bad or naive date, a
            secret where a keystore entry name belongs, plain http to a
            remote host...). The message names the file, the line where
            known, the integration and the field; it never quotes a value.
    """
    return _load(path, with_lines=False)[0]


def load_inventory_with_lines(
    path: str | os.PathLike[str],
) -> tuple[list[Integration], dict[str, int]]:
    """Read and validate an inventory file, with the line where each integration is declared.

    One read of the file gives both, so the lines always match the
    declarations (reports point code-scanning results at them).

    Args:
        path: As for :func:`load_inventory`.

    Returns:
        The integrations (as :func:`load_inventory` returns them) and, by
        integration id, the 1-based line of its ``[[integration]]`` header.
        An integration declared some other way (an inline array of tables)
        has no entry.

    Raises:
        InventoryError: As for :func:`load_inventory`.
    """
    return _load(path, with_lines=True)


def _load(
    path: str | os.PathLike[str], *, with_lines: bool
) -> tuple[list[Integration], dict[str, int]]:
    where, text = read_inventory_text(path)
    return load_inventory_text(where, text, with_lines=with_lines)


def read_inventory_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Read an inventory file as text: its checked path and its content.

    Raises:
        InventoryError: As for :func:`load_inventory` (not a regular file,
            too large, unreadable, not UTF-8).
    """
    try:
        where = check_path("path", path)
    except ValidationError as exc:
        raise InventoryError(exc.problem, field="path") from None
    try:
        raw = read_regular_file(where, limit=MAX_INVENTORY_SIZE)
    except OSError as exc:
        raise InventoryError(f"cannot read the file ({exc.strerror or exc})", path=where) from None
    try:
        return where, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InventoryError("is not UTF-8 text", path=where) from None


def load_inventory_text(
    where: str, text: str, *, with_lines: bool = False
) -> tuple[list[Integration], dict[str, int]]:
    """Parse and validate an inventory's text, read from ``where`` (named in errors).

    Returns and raises as :func:`load_inventory_with_lines` (the lines only
    ``with_lines``; an empty mapping otherwise).
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)$", message)
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", message)
        line = int(found.group(1)) if found else (len(text.splitlines()) or None)
        raise InventoryError(f"invalid TOML: {problem}", path=where, line=line) from None
    except RecursionError:
        raise InventoryError(
            "invalid TOML: arrays or tables are nested too deeply", path=where
        ) from None
    except ValueError:
        # tomllib lets int() refuse an integer of more than 4300 digits.
        raise InventoryError("invalid TOML: a number has too many digits", path=where) from None
    loader = _Loader(where, text)
    try:
        loaded = loader.load(document)
        return loaded, loader.declared_lines() if with_lines else {}
    except RecursionError:
        raise InventoryError("values are nested too deeply", path=where) from None


INTEGRATION_HEADER: Final = re.compile(
    r"^[ \t]*\[\[[ \t]*integration[ \t]*\]\][ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE
)
"""A line that opens an integration's table (``[[integration]]``, a comment allowed)."""


def split_inventory_text(text: str, parts: int) -> list[str]:
    """Cut an inventory's text into at most ``parts`` pieces of about equal size.

    Every cut is at the start of an ``[[integration]]`` header line, so each
    piece after the first starts with one; whatever comes before the first
    header stays with the first piece. Joined, the pieces are ``text``.

    A header line can also stand inside a multi-line string: a cut there
    leaves the string unterminated in the piece before, which then does not
    parse. The caller must treat any piece that fails as "check the whole
    text instead", never as the answer.
    """
    if parts < 2:
        return [text]
    starts = [m.start() for m in INTEGRATION_HEADER.finditer(text)]
    cuts: list[int] = []
    for k in range(1, parts):
        target = len(text) * k // parts
        # The first header at or after the target, past the previous cut.
        i = bisect.bisect_left(starts, target)
        if i < len(starts) and starts[i] > (cuts[-1] if cuts else starts[0] if starts else 0):
            cuts.append(starts[i])
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


class _Loader:
    def __init__(self, path: str, text: str) -> None:
        self._path = path
        self._text = text
        self._ids: list[str] = []

    @functools.cached_property
    def _lines(self) -> _Lines:
        """The line finder, built on first use: for an error's line, or the declared lines."""
        return _Lines(self._text)

    def _error(
        self, problem: str, index: int | None, ident: str | None, field: str | None
    ) -> InventoryError:
        line = self._lines.find(index, field) if index is not None else None
        return InventoryError(
            problem, path=self._path, line=line, integration_id=ident, field=field
        )

    def declared_lines(self) -> dict[str, int]:
        """The line of each loaded integration's ``[[integration]]`` header, by id.

        Only when the file has exactly one header per loaded table: otherwise
        (inline tables) the block index would not be the table index.
        """
        if len(self._lines.headers) != len(self._ids):
            return {}
        found: dict[str, int] = {}
        for n, ident in enumerate(self._ids):
            # The block's id line must name this id: a header inside a multi-line
            # string would shift the blocks, and a wrong line is worse than none.
            id_line = self._lines.find(n, "id")
            if id_line is not None and f'"{ident}"' in self._lines.text(id_line).replace("'", '"'):
                found[ident] = self._lines.headers[n] + 1
        return found

    def load(self, document: Mapping[str, Any]) -> list[Integration]:
        for key in document:
            if key != "integration":
                name = _safe(key)
                raise self._error(
                    f"unknown top-level key {name!r}; expected [[integration]] tables"
                    if name
                    else "unknown top-level key; expected [[integration]] tables",
                    None,
                    None,
                    None,
                )
        tables = document.get("integration", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise self._error(
                "'integration' must be an array of tables ([[integration]])", None, None, None
            )
        result: list[Integration] = []
        first_block: dict[str, int] = {}
        for index, table in enumerate(tables):
            item = self._integration(index, table)
            if item.id in first_block:
                earlier = self._lines.find(first_block[item.id], "id")
                raise self._error(
                    f"duplicate id: already declared at line {earlier}",
                    index,
                    item.id,
                    "id",
                )
            first_block[item.id] = index
            result.append(item)
        self._ids = [item.id for item in result]
        return result

    def _integration(self, index: int, table: Mapping[str, Any]) -> Integration:
        raw_id = table.get("id")
        ident = (
            raw_id
            if isinstance(raw_id, str) and INTEGRATION_ID.fullmatch(raw_id) and _safe(raw_id)
            else None
        )
        if not _ALLOWED_KEYS.issuperset(table):
            key = next(k for k in table if k not in _ALLOWED_KEYS)  # the first in file order
            name = _safe(key)
            raise self._error(
                f"unknown key {name!r}" if name else "unknown key", index, ident, name
            )
        if not _REQUIRED_KEYS.issubset(table):
            key = next(k for k in _REQUIRED if k not in table)
            raise self._error("is required", index, ident, key)
        fields = {k: table[k] for k in _INTEGRATION_KEYS if k in table}
        for key in ("enablement", "auth"):
            if key in table and not isinstance(table[key], dict):
                raise self._error(f"must be a table ([integration.{key}])", index, ident, key)
        self._no_naive(index, ident, "enablement", table.get("enablement", {}))
        if "info_verified_at" in table:
            self._datetime(index, ident, "info_verified_at", table["info_verified_at"], aware=True)
        licences = table.get("licence", [])
        if not isinstance(licences, list) or not all(isinstance(x, dict) for x in licences):
            raise self._error(
                "must be an array of tables ([[integration.licence]])", index, ident, "licence"
            )
        fields["licences"] = tuple(
            self._licence(index, ident, n, lic) for n, lic in enumerate(licences)
        )
        if "enablement" in table:
            fields["enablement"] = table["enablement"]
        if "auth" in table:
            fields["auth"] = table["auth"]
        try:
            return Integration(**fields)
        except ValidationError as exc:
            raise self._error(exc.problem, index, ident, exc.field) from None

    def _licence(self, index: int, ident: str | None, n: int, table: Mapping[str, Any]) -> Licence:
        prefix = f"licence[{n}]"
        for key in table:
            if key not in _LICENCE_KEYS:
                name = _safe(key)
                raise self._error(
                    f"unknown key {name!r}" if name else "unknown key",
                    index,
                    ident,
                    f"{prefix}.{name}" if name else prefix,
                )
        for key in _LICENCE_REQUIRED:
            if key not in table:
                raise self._error("is required", index, ident, f"{prefix}.{key}")
        for key in ("valid_from", "valid_until"):
            if key in table:
                self._datetime(index, ident, f"{prefix}.{key}", table[key], aware=False)
        try:
            return Licence(**table)
        except ValidationError as exc:
            field = (exc.field or "").removeprefix("licence.")
            raise self._error(
                exc.problem, index, ident, f"{prefix}.{field}" if field else prefix
            ) from None

    def _datetime(
        self, index: int, ident: str | None, field: str, value: object, *, aware: bool
    ) -> None:
        """Check a TOML date/datetime: offset datetimes always; dates too unless ``aware``."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise self._error(
                    "is a local datetime (no offset): add Z or an offset, "
                    "e.g. 2026-09-01T09:00:00Z",
                    index,
                    ident,
                    field,
                )
            return
        if isinstance(value, date) and not aware:
            return
        expected = (
            "an offset datetime such as 2026-09-01T09:00:00Z"
            if aware
            else ("a date such as 2026-12-31 or an offset datetime such as 2026-12-31T17:00:00Z")
        )
        got = (
            "a local time"
            if isinstance(value, time)
            else ("a date" if isinstance(value, date) else type(value).__name__)
        )
        raise self._error(f"must be {expected}, got {got}", index, ident, field)

    def _no_naive(self, index: int, ident: str | None, field: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._no_naive(index, ident, f"{field}.{k}", v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._no_naive(index, ident, f"{field}[{i}]", v)
        elif isinstance(value, date | time):
            raise self._error(
                "must be text, a number, a boolean, a list or a table; dates are not accepted here",
                index,
                ident,
                field,
            )


# ------------------------------------------------------------------------ dump


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: object, field: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise ValidationError(field, "integer does not fit in TOML (64-bit)")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number")
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v, f"{field}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, Mapping):
        items = (f"{_key(k)} = {_value(v, f'{field}.{k}')}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if value is None:
        raise ValidationError(field, "has no value; TOML cannot write an empty value")
    raise ValidationError(field, f"cannot be written in TOML ({type(value).__name__})")


def _render(integration: Integration) -> list[str]:
    lines = ["[[integration]]"]
    for key in _INTEGRATION_KEYS:
        value = getattr(integration, key)
        if value is None or value == ():
            continue
        if key in ("service", "kind"):
            value = value.value
        lines.append(f"{key} = {_value(value, key)}")
    if integration.enablement:
        lines.append("")
        lines.append("[integration.enablement]")
        for k, v in integration.enablement.items():
            lines.append(f"{_key(k)} = {_value(v, f'enablement.{k}')}")
    if integration.auth is not None:
        lines.append("")
        lines.append("[integration.auth]")
        lines.append(f"scheme = {_string(integration.auth.scheme)}")
        for k, v in integration.auth.params.items():
            lines.append(f"{_key(k)} = {_value(v, f'auth.{k}')}")
    for n, lic in enumerate(integration.licences):
        lines.append("")
        lines.append("[[integration.licence]]")
        for key in _LICENCE_KEYS:
            value = getattr(lic, key)
            if value is not None:
                lines.append(f"{key} = {_value(value, f'licence[{n}].{key}')}")
    return lines


def dump_inventory(
    integrations: Iterable[Integration], path: str | os.PathLike[str], *, header: str | None = None
) -> None:
    """Write integrations' declarations to a TOML inventory file, atomically.

    The file is written beside ``path`` and renamed over it, so readers see
    the old file or the new one, never half of one. State and history are
    not written (an inventory holds declarations).

    Args:
        integrations: What to write, in that order.
        path: The file to create or replace.
        header: Optional comment lines put at the top.

    Raises:
        InventoryError: Two integrations share an id, a value cannot be
            written in TOML (an enablement value of ``None``), or the file
            cannot be written.
    """
    try:
        where = check_path("path", path)
    except ValidationError as exc:
        raise InventoryError(exc.problem, field="path") from None
    chunks: list[str] = []
    if header:
        chunks.append("\n".join(f"# {line}".rstrip() for line in header.splitlines()) + "\n")
    seen: set[str] = set()
    for integration in integrations:
        if not isinstance(integration, Integration):
            raise InventoryError(
                f"must be an Integration, got {type(integration).__name__}", path=where
            )
        if integration.id in seen:
            raise InventoryError(
                "duplicate id", path=where, integration_id=integration.id, field="id"
            )
        seen.add(integration.id)
        try:
            chunks.append("\n".join(_render(integration)) + "\n")
        except ValidationError as exc:
            raise InventoryError(
                exc.problem, path=where, integration_id=integration.id, field=exc.field
            ) from None
    data = "\n".join(chunks).encode("utf-8")
    try:
        atomic_write(Path(where), [data], mode=0o644)
    except OSError as exc:
        raise InventoryError(f"cannot write the file ({exc.strerror or exc})", path=where) from None
