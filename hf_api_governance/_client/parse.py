"""Parsers of what HTTP responses say: dates, Deprecation, Link, challenges and bodies.

Pure functions over header values and bodies, each after its specification:
HTTP dates (RFC 9110 section 5.6.7), ``Deprecation`` (RFC 9745), ``Link``
(RFC 8288), the ``Bearer`` challenge's ``error`` (RFC 6750 section 3), JSON
bodies, the OAuth 2.0 error body (RFC 6749 section 5.2) and Mimecast's
``fail`` array. They never raise on malformed input: they return ``None``
(or nothing). What the values *mean* for an integration is decided in
:mod:`hf_api_governance._client.signals`.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import requests

__all__ = [
    "Deprecation",
    "Link",
    "bearer_error",
    "format_http_date",
    "json_body",
    "mimecast_fail_codes",
    "oauth_error",
    "parse_deprecation",
    "parse_http_date",
    "parse_link_header",
]

_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_http_date(at: datetime) -> str:
    """Format an aware instant as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    at = at.astimezone(UTC)
    return (
        f"{_DAYS[at.weekday()]}, {at.day:02d} {_MONTHS[at.month - 1]} {at.year:04d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} GMT"
    )


def parse_http_date(value: str) -> datetime | None:
    """Parse an HTTP-date (RFC 9110 section 5.6.7, any of the three forms) to aware UTC.

    Returns ``None`` when ``value`` is not a date.
    """
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@attrs.frozen
class Deprecation:
    """A parsed ``Deprecation`` header: when, or ``None`` for the legacy ``true`` form."""

    at: datetime | None


def parse_deprecation(value: str) -> Deprecation | None:
    """Parse a ``Deprecation`` header.

    Accepts RFC 9745's structured date ``@<epoch seconds>``, the draft's
    ``true`` and an HTTP-date (older drafts). Returns ``None`` when the value
    is none of these.
    """
    value = value.strip()
    if value.lower() == "true":
        return Deprecation(None)
    if value.startswith("@"):
        try:
            return Deprecation(datetime.fromtimestamp(int(value[1:]), UTC))
        except (ValueError, OverflowError, OSError):
            return None
    at = parse_http_date(value)
    return None if at is None else Deprecation(at)


@attrs.frozen
class Link:
    """One link of a ``Link`` header (RFC 8288): the target and its relation types."""

    target: str
    rels: tuple[str, ...]


_LINK_PARAM_RE: Final = re.compile(
    r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?'
)


def parse_link_header(value: str) -> list[Link]:
    """Parse a ``Link`` header into its links; malformed parts are skipped.

    Commas inside ``<...>`` and quoted strings are respected, and a ``rel``
    may hold several space-separated relation types (RFC 8288 section 3.3).
    """
    links: list[Link] = []
    pos = 0
    while pos < len(value):
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
    lowered = www_authenticate.lower()
    at = lowered.find("bearer")
    if at < 0:
        return None
    for name, raw in _AUTH_PARAM_RE.findall(www_authenticate[at + 6 :]):
        if name.lower() == "error":
            return str(raw).strip('"')
    return None


def json_body(response: requests.Response) -> Any:
    """Return the decoded JSON body, or ``None`` if it is not JSON."""
    ctype = response.headers.get("Content-Type", "")
    if "json" not in ctype.lower():
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def oauth_error(body: Any) -> str | None:
    """The ``error`` field of an OAuth 2.0 error response body (RFC 6749 section 5.2)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, str):
            return error
    return None


def mimecast_fail_codes(body: Any) -> Iterator[tuple[str, bool]]:
    """Yield ``(code, retryable)`` for every error in a Mimecast ``fail`` array."""
    if not isinstance(body, Mapping):
        return
    fails = body.get("fail")
    if not isinstance(fails, list):
        return
    for fail in fails:
        errors = fail.get("errors") if isinstance(fail, Mapping) else None
        if not isinstance(errors, list):
            continue
        for error in errors:
            if isinstance(error, Mapping) and isinstance(error.get("code"), str):
                yield error["code"], bool(error.get("retryable", False))
