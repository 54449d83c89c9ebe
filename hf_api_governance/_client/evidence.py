"""Evidence: secret-free, bounded facts about a request and its response.

What the governed client records (registry events, the ``recorder``) and
raises (exception evidence) is built here: text that might be a secret is
withheld (:func:`safe_text`), a URL becomes its host and path segments
(:func:`url_evidence`), response headers are scrubbed, and the whole stays
under a size limit (:func:`bound_evidence`), so that recording a signal never
fails for its evidence.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Final

import requests

from hf_api_governance._confidential.evidence import EVIDENCE_LIMIT, bounded, safe_text
from hf_api_governance._confidential.redact import redact_url, scrub_headers

__all__ = [
    "bound_evidence",
    "recorded_url",
    "response_evidence",
    "url_evidence",
]


_MAX_SEGMENTS: Final = 16
_MAX_SEGMENT_CHARS: Final = 64
_MAX_PATH_CHARS: Final = 200
_MAX_HOST_CHARS: Final = 100


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


_FROM_RESPONSE: Final = ("headers", "path", "problem")


def bound_evidence(evidence: dict[str, Any], limit: int = EVIDENCE_LIMIT) -> dict[str, Any]:
    """Return ``evidence`` within ``limit`` bytes of JSON, dropping response parts first.

    See :func:`hf_api_governance._confidential.evidence.bounded`; here the
    bulky parts are the response's ``headers``, the URL's ``path`` and the
    ``problem`` text.
    """
    return bounded(evidence, limit, bulky=_FROM_RESPONSE)


EVIDENCE_HEADERS: Final = (
    "WWW-Authenticate",
    "Sunset",
    "Deprecation",
    "Link",
    "Retry-After",
    "Content-Type",
)
"""Response headers kept in evidence (scrubbed, 100 characters each)."""


def response_evidence(
    response: requests.Response,
    *,
    method: str,
    url: str,
    secret_headers: frozenset[str],
    **facts: Any,
) -> dict[str, Any]:
    """Secret-free, bounded evidence of a response: status, method, URL, headers, ``facts``.

    Args:
        response: The response.
        method: The request method.
        url: The request URL (recorded as :func:`url_evidence`).
        secret_headers: Lower-case header names that carry the integration's
            credential, scrubbed besides the usual ones.
        **facts: Further secret-free facts (the signal, its details).

    Returns:
        The evidence, at most :data:`EVIDENCE_LIMIT` bytes as JSON.
    """
    headers = scrub_headers(
        {h: response.headers[h] for h in EVIDENCE_HEADERS if h in response.headers},
        extra=secret_headers,
    )
    return bound_evidence(
        {
            "status": response.status_code,
            "method": method[:16],
            **url_evidence(url),
            "headers": {k: safe_text(v, 100) for k, v in headers.items()},
            **facts,
        }
    )


RECORDED_URL_CHARS: Final = 2048


def recorded_url(url: str) -> str:
    """The redacted URL for the recorder, cut so that a call entry always fits the audit log."""
    safe = redact_url(url)
    return safe if len(safe) <= RECORDED_URL_CHARS else safe[:RECORDED_URL_CHARS] + "..."
