"""What an HTTP response tells about an integration: revocation, interoperability, custody.

This module is pure: it reads responses and header values and returns facts.
The governed client (:mod:`hf_api_governance._client.session`) turns those facts into
registry events and exceptions.

The signal tables below are data, with their sources, so that they can be
read, tested and documented (``docs/client.md`` shows the same table).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import requests

from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._model.rules import is_loopback_host

__all__ = [
    "MIMECAST_REVOCATION_CODES",
    "OAUTH_REVOCATION_ERRORS",
    "CustodyResult",
    "check_custody",
]

# ------------------------------------------------------------------ signal tables

OAUTH_REVOCATION_ERRORS: Final[Mapping[str, str]] = {
    "invalid_client": (
        "RFC 6749 section 5.2: client authentication failed (unknown client, no client "
        "authentication included, or unsupported authentication method)"
    ),
    "unauthorized_client": (
        "RFC 6749 section 5.2: the authenticated client is not authorized to use this "
        "authorization grant type"
    ),
}
"""Token endpoint ``error`` codes (HTTP 400 or 401) that mean the client credential is dead."""

BEARER_REVOCATION_ERROR: Final = "invalid_token"
"""RFC 6750 section 3.1: the access token is expired, revoked, malformed or invalid.

Only a revocation when it answers a token fetched moments before (a single
401 that one refresh cures is an ordinary expiry)."""

MIMECAST_REVOCATION_STATUS: Final[Mapping[int, str]] = {
    418: (
        "Mimecast API 1.0 response codes: 418 Binding Expired, the TTL of the access key "
        "and secret key binding has lapsed"
    ),
}
"""HTTP statuses of a Mimecast API that mean the access key binding is dead."""

MIMECAST_REVOCATION_CODES: Final[Mapping[str, str]] = {
    "err_xdk_binding_expired": "Mimecast API 1.0: the access key binding has expired",
    "err_xdk_binding_revoked": "Mimecast API 1.0: the access key binding was revoked",
    "err_xdk_binding_not_found": "Mimecast API 1.0: the access key binding does not exist",
    "InvalidClientIdentifier": "Mimecast API: the client identifier (application) is not valid",
    "invalid_client": "Mimecast API 2.0 token endpoint (RFC 6749 section 5.2)",
}
"""Codes in a Mimecast ``fail[].errors[].code`` that mean the credential is dead (clause 1.1.1).

Any other code in a ``fail`` array is an ordinary API error
(:class:`~hf_api_governance.exceptions.ApiError`)."""

# ------------------------------------------------------------- credential headers

CREDENTIAL_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-mc-app-id",
        "x-mc-req-id",
        "x-mc-date",
    }
)
"""Request headers that carry or help forge a credential; never sent to a foreign origin.

Not the same list as what logs hide (:func:`hf_api_governance.scrub_headers`,
which matches credential words in any name): the Mimecast request id and date
are not secret, so logs show them, but they are inputs of a request signature,
so a redirect to another origin loses them."""


def safe_text(value: str, limit: int = 200) -> str:
    """Return ``value`` for evidence, or a placeholder when it could be a secret."""
    if len(value) > limit:
        value = value[:limit]
    return "<withheld>" if looks_like_secret(value) else value


_MAX_SEGMENTS: Final = 16
_MAX_SEGMENT_CHARS: Final = 64
_MAX_PATH_CHARS: Final = 200
_MAX_HOST_CHARS: Final = 100
EVIDENCE_LIMIT: Final = 8192
"""Bytes (JSON, UTF-8) that evidence built from a response may take: half the audit log's limit."""


def url_evidence(url: str) -> dict[str, Any]:
    """Secret-free, bounded facts about a URL for registry evidence.

    Registry evidence refuses long text containing ``/`` (it might be a key),
    so a URL is recorded as its host and its path segments; a segment that
    looks like a secret is withheld. Whatever the URL, the facts stay small:
    at most 16 segments, 64 characters each and 200 in all, a host of at most
    100 characters; ``path_truncated`` is ``True`` when something was cut.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return {"host": "<unparseable>"}
    segments = [s for s in parts.path.split("/") if s]
    truncated = len(segments) > _MAX_SEGMENTS
    path: list[str] = []
    budget = _MAX_PATH_CHARS
    for raw in segments[:_MAX_SEGMENTS]:
        if budget <= 0:
            truncated = True
            break
        segment = safe_text(urllib.parse.unquote(raw))  # judged whole, then cut
        limit = min(_MAX_SEGMENT_CHARS, budget)
        if len(segment) > limit:
            segment = segment[:limit]
            truncated = True
        budget -= len(segment)
        path.append(segment)
    facts: dict[str, Any] = {
        "scheme": parts.scheme[:16],
        "host": safe_text(host if port is None else f"{host}:{port}")[:_MAX_HOST_CHARS],
        "path": path,
    }
    if truncated:
        facts["path_truncated"] = True
    return facts


def bound_evidence(evidence: dict[str, Any], limit: int = EVIDENCE_LIMIT) -> dict[str, Any]:
    """Return ``evidence`` if it takes at most ``limit`` bytes as JSON, else a cut-down copy.

    The parts that come from the response (``headers``, ``path``, ``problem``)
    are withheld first; if that is not enough, only the scalar facts of at
    most 100 characters are kept. Recording a signal must never fail because
    its evidence is too large.
    """
    if _json_size(evidence) <= limit:
        return evidence
    smaller = {
        k: "<withheld: too long>" if k in ("headers", "path", "problem") else v
        for k, v in evidence.items()
    }
    if _json_size(smaller) <= limit:
        return {**smaller, "evidence_truncated": True}
    return {
        **{
            k: v
            for k, v in evidence.items()
            if v is None
            or isinstance(v, bool | int | float)
            or (isinstance(v, str) and len(v) <= 100)
        },
        "evidence_truncated": True,
    }


def _json_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "replace"))


# ---------------------------------------------------------------------- parsing

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


def iso(at: datetime) -> str:
    """RFC 3339 UTC with a ``Z`` (the form registry evidence accepts)."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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


def notice_id(kind: str, value: str) -> str:
    """A short, stable identifier of a deprecation notice, used to record it once."""
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:16]
    return f"{kind[:4]}-{digest}"


# ------------------------------------------------------------------------ custody


@attrs.frozen
class CustodyResult:
    """The outcome of :func:`check_custody` (clause 1.1.3).

    Attributes:
        ok: ``True`` when no problem was found.
        problems: Human-readable problems, secret-free (empty when ``ok``).
        count: The number of records found, where it could be counted.
        sha256: The SHA-256 of the checked bytes (hex), where computed.
    """

    ok: bool
    problems: tuple[str, ...] = ()
    count: int | None = None
    sha256: str | None = None


def _records(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for key in ("data", "items", "results", "records"):
            inner = data.get(key)
            if isinstance(inner, list):
                return inner
    return None


def check_custody(
    response_or_data: requests.Response | bytes | str | list[Any] | Mapping[str, Any],
    expected_count: int | None = None,
    sha256: str | None = None,
) -> CustodyResult:
    """Check what a third-party API returned before trusting it (clause 1.1.3).

    Data fetched through a third-party API may be incorrect, incomplete,
    corrupted or missing; until it enters the Mimecast environment it is the
    customer's risk. This function lets a caller check it against what the
    provider announced.

    Args:
        response_or_data: A :class:`requests.Response`, raw bytes or text, or
            already-decoded JSON (a list, or a mapping whose ``data``,
            ``items``, ``results`` or ``records`` member is the list).
        expected_count: How many records must be present.
        sha256: The expected SHA-256 (hex) of the body. For decoded JSON the
            digest is taken over its canonical form (sorted keys, no spaces,
            UTF-8).

    Returns:
        A :class:`CustodyResult`; ``ok`` is ``False`` with the problems listed
        when a check fails, the response came over plain http to a
        non-loopback host, or the body is empty or cannot be decoded.
    """
    problems: list[str] = []
    raw: bytes | None
    data: Any
    if isinstance(response_or_data, requests.Response):
        response = response_or_data
        try:
            parts = urllib.parse.urlsplit(response.url or "")
            if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
                problems.append("received over plain http from a non-loopback host")
        except ValueError:
            problems.append("the response URL cannot be parsed")
        response_or_data = response.content or b""
    if isinstance(response_or_data, bytes | str):
        raw = (
            response_or_data.encode("utf-8")
            if isinstance(response_or_data, str)
            else response_or_data
        )
        data = None
        if expected_count is not None:
            try:
                data = json.loads(raw) if raw else None
            except (ValueError, UnicodeDecodeError):
                problems.append("the body is not valid JSON, records cannot be counted")
    else:
        data = response_or_data
        raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if not raw:
        problems.append("the body is empty")
    digest = hashlib.sha256(raw).hexdigest() if raw is not None else None
    if sha256 is not None and digest != sha256.strip().lower():
        problems.append("the SHA-256 of the body does not match the expected checksum")
    count: int | None = None
    if data is not None:
        records = _records(data)
        count = None if records is None else len(records)
    if expected_count is not None:
        if count is None:
            if not any("JSON" in p for p in problems):
                problems.append("no list of records found to count")
        elif count != expected_count:
            problems.append(f"expected {expected_count} records, got {count}")
    return CustodyResult(ok=not problems, problems=tuple(problems), count=count, sha256=digest)
