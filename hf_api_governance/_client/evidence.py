"""Evidence: secret-free, bounded facts about a request and its response.

What the governed client records (registry events, the ``recorder``) and
raises (exception evidence) is built here: text that might be a secret is
withheld (:func:`safe_text`), a URL becomes its host and path segments
(:func:`url_evidence`), response headers are scrubbed, and the whole stays
under a size limit (:func:`bound_evidence`), so that recording a signal never
fails for its evidence.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Final

import requests

from hf_api_governance._confidential.redact import redact_url, scrub_headers
from hf_api_governance._model.values import looks_like_secret

__all__ = [
    "EVIDENCE_LIMIT",
    "bound_evidence",
    "recorded_url",
    "response_evidence",
    "safe_text",
    "url_evidence",
]


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
