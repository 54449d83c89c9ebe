"""Parsers of what HTTP responses say: dates, Deprecation, Link, challenges, numbers and bodies.

Pure functions over header values and bodies, each after its specification:
HTTP dates (RFC 9110 section 5.6.7), the dates of ``Sunset`` (RFC 8594) and
``Deprecation`` (RFC 9745, an RFC 9651 sf-date), ``Link`` (RFC 8288), the
``Bearer`` challenge's ``error`` (RFC 6750 section 3), numeric headers
(``Retry-After``, ``X-RateLimit-*``), JSON bodies (bounded in size and
depth), the OAuth 2.0 error body (RFC 6749 section 5.2) and Mimecast's
``fail`` array in both its shapes.

They never raise on malformed or hostile input (a date past year 9999,
superscript digits, a 5,000-digit number, 10,000 nested brackets, a stream
that breaks while read): they return ``None`` (or nothing). What the values
*mean* for an integration is decided in
:mod:`hf_api_governance._client.signals`.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import requests

from hf_api_governance._base.clock import english_date
from hf_api_governance._confidential.evidence import safe_text

__all__ = [
    "MAX_JSON_BYTES",
    "Deprecation",
    "Link",
    "bearer_error",
    "body_codes",
    "format_http_date",
    "json_body",
    "mimecast_fail_codes",
    "oauth_error",
    "parse_date_value",
    "parse_decimal",
    "parse_deprecation",
    "parse_http_date",
    "parse_lifetime",
    "parse_link_header",
]

_MAX_HEADER_CHARS: Final = 8192
"""Header values longer than this are not parsed (a hostile server's answer)."""


def format_http_date(at: datetime) -> str:
    """Format an aware instant as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return english_date(at, "GMT")


_MAX_DATE_CHARS: Final = 200


def parse_http_date(value: str) -> datetime | None:
    """Parse an HTTP-date (RFC 9110 section 5.6.7, any of the three forms) to aware UTC.

    Returns ``None`` when ``value`` is not a date, or is a date no instant
    can hold (``Fri, 31 Dec 9999 23:59:59 -0100`` falls in year 10000 in UTC).
    """
    if len(value) > _MAX_DATE_CHARS:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_SF_DATE_RE: Final = re.compile(r"@(-?[0-9]{1,15})(?:\.[0-9]{1,3})?")
_ISO_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def _sf_date(value: str) -> datetime | None:
    """An RFC 9651 sf-date (``@<epoch seconds>``); parameters ignored, a decimal truncated."""
    item = value.split(";", 1)[0].strip()  # ";x=1": the item's parameters
    match = _SF_DATE_RE.fullmatch(item)
    if match is None:
        return None
    try:
        return datetime.fromtimestamp(int(match.group(1)), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _iso_date(value: str) -> datetime | None:
    """ISO 8601: a date, or a date and time (no offset means UTC)."""
    if _ISO_RE.fullmatch(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_date_value(value: str) -> datetime | None:
    """Parse the date of a ``Sunset`` or ``Deprecation`` header, in every form seen in use.

    Tried in order: an RFC 9651 sf-date (``@1688169599``; with parameters,
    ``@1688169599;x=1``; leniently a decimal, ``@1688169599.0``), ISO 8601
    (``2026-01-01``, ``2026-01-01T00:00:00Z``, with an offset; no offset
    means UTC) and an HTTP-date (RFC 9110 section 5.6.7, what RFC 8594
    prescribes). Returns ``None`` when ``value`` is none of these.
    """
    value = value.strip()
    if not value or len(value) > _MAX_DATE_CHARS:
        return None
    if value.startswith("@"):
        return _sf_date(value)
    first = value[0]
    if first.isascii() and first.isdigit():
        iso = _iso_date(value)
        if iso is not None:
            return iso
    return parse_http_date(value)


@attrs.frozen
class Deprecation:
    """A parsed ``Deprecation`` header: when, or ``None`` for the legacy ``true`` form."""

    at: datetime | None


def parse_deprecation(value: str) -> Deprecation | None:
    """Parse a ``Deprecation`` header.

    Accepts RFC 9745's sf-date ``@<epoch seconds>`` with or without
    parameters and every date form of :func:`parse_date_value`, and the
    drafts' ``true`` (also as the structured boolean ``?1``). Returns
    ``None`` when the value is none of these.
    """
    value = value.strip()
    if value.lower() == "true" or value == "?1":
        return Deprecation(None)
    at = parse_date_value(value)
    return None if at is None else Deprecation(at)


@attrs.frozen
class Link:
    """One link of a ``Link`` header (RFC 8288): the target and its relation types."""

    target: str
    rels: tuple[str, ...]


_LINK_PARAM_RE: Final = re.compile(
    r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?'
)
_MAX_LINKS: Final = 50


def parse_link_header(value: str) -> list[Link]:
    """Parse a ``Link`` header into its links; malformed parts are skipped.

    Commas inside ``<...>`` and quoted strings are respected, and a ``rel``
    may hold several space-separated relation types (RFC 8288 section 3.3).
    At most 50 links of a value of at most 8,192 characters are read.
    """
    links: list[Link] = []
    if len(value) > _MAX_HEADER_CHARS:
        return links
    pos = 0
    while pos < len(value) and len(links) < _MAX_LINKS:
        start = value.find("<", pos)
        if start < 0:
            break
        end = value.find(">", start)
        if end < 0:
            break
        target = value[start + 1 : end].strip()
        pos = end + 1
        rels: tuple[str, ...] = ()
        while True:
            match = _LINK_PARAM_RE.match(value, pos)
            if not match:
                break
            pos = match.end()
            name, raw = match.group(1).lower(), match.group(2) or ""
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            if name == "rel" and not rels:  # RFC 8288: only the first rel counts
                rels = tuple(r.lower() for r in raw.split())
        links.append(Link(target, rels))
        comma = value.find(",", pos)
        if comma < 0:
            break
        pos = comma + 1
    return links


_AUTH_PARAM_RE: Final = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)')


def bearer_error(www_authenticate: str) -> str | None:
    """Return the ``error`` of a ``Bearer`` challenge (RFC 6750 section 3), if any."""
    if len(www_authenticate) > _MAX_HEADER_CHARS:
        return None
    lowered = www_authenticate.lower()
    at = lowered.find("bearer")
    if at < 0:
        return None
    for name, raw in _AUTH_PARAM_RE.findall(www_authenticate[at + 6 :]):
        if name.lower() == "error":
            return str(raw).strip('"')[:100]
    return None


_DECIMAL_RE: Final = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?")


def parse_decimal(value: str) -> float | None:
    """A non-negative decimal written in ASCII digits (at most 15 before the point), or ``None``.

    For ``Retry-After``, ``X-RateLimit-*`` and ``Content-Length``: anything
    else (a superscript digit, a sign, an exponent, 5,000 digits) is ``None``.
    """
    if len(value) > 64:
        return None
    value = value.strip()
    if _DECIMAL_RE.fullmatch(value) is None:
        return None
    return float(value)


def parse_lifetime(value: object) -> float | None:
    """An OAuth ``expires_in`` (RFC 6749 section 5.1) in seconds, or ``None`` if it is not a number.

    A JSON number (not a boolean, not NaN) or a string of ASCII digits (some
    servers quote it); ``Infinity`` is returned as it is (the caller caps it).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 10**15 else math.copysign(math.inf, value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        return parse_decimal(value)
    return None


MAX_JSON_BYTES: Final = 1 << 20
"""Bodies larger than this (1 MiB) are not parsed for signals: they are data, not errors."""


def json_body(response: requests.Response) -> Any:
    """Return the decoded JSON body, or ``None`` if it is not JSON, too big or too deep.

    Bounded: a body announced (``Content-Length``) or found larger than
    :data:`MAX_JSON_BYTES` is not parsed, and one nested deeper than the
    interpreter's recursion limit (``json`` stops there, some 1,000 levels)
    counts as not JSON. A body that cannot be read (a stream that breaks, an
    encoding that fails) counts as not JSON too.
    """
    headers = response.headers
    ctype = headers.get("Content-Type", "")
    if "json" not in ctype.lower():
        return None
    length = parse_decimal(headers.get("Content-Length") or "")
    if length is not None and length > MAX_JSON_BYTES:
        return None
    try:
        content = response.content
        if not content or len(content) > MAX_JSON_BYTES:
            return None
        return json.loads(content)
    except Exception:  # ValueError, RecursionError, a broken stream...: not JSON to us
        return None


def oauth_error(body: Any) -> str | None:
    """The ``error`` field of an OAuth 2.0 error response body (RFC 6749 section 5.2)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, str):
            return error
    return None


_MAX_FAILS: Final = 20


def mimecast_fail_codes(body: Any) -> Iterator[tuple[str, bool]]:
    """Yield ``(code, retryable)`` for every error in a Mimecast ``fail`` array.

    Both shapes: Mimecast API 1.0 nests the errors (``fail[].errors[].code``),
    API 2.0 puts the code in the entry itself (``fail[].code``). At most 20
    entries, and 20 errors in each, are read.
    """
    if not isinstance(body, Mapping):
        return
    fails = body.get("fail")
    if not isinstance(fails, list):
        return
    for fail in fails[:_MAX_FAILS]:
        if not isinstance(fail, Mapping):
            continue
        code = fail.get("code")
        if isinstance(code, str):
            yield code, fail.get("retryable") is True
        errors = fail.get("errors")
        if not isinstance(errors, list):
            continue
        for error in errors[:_MAX_FAILS]:
            if isinstance(error, Mapping) and isinstance(error.get("code"), str):
                yield error["code"], error.get("retryable") is True


def body_codes(body: Any, *, oauth: bool = True, fail: bool = True) -> tuple[str, ...]:
    """The error codes a body carries: its OAuth ``error`` and its ``fail`` array's codes.

    Each code is cut at 100 characters, and one that looks like a key is
    withheld (``[redacted]``: a hostile server may echo a credential as a
    code); at most 20 are returned, in order.
    """
    codes: list[str] = []
    if oauth:
        error = oauth_error(body)
        if error is not None:
            codes.append(error)
    if fail:
        codes.extend(code for code, _ in mimecast_fail_codes(body))
    return tuple(safe_text(code, 100) for code in codes[:_MAX_FAILS])
