"""Custody checks (clause 1.1.3): is what a third-party API returned complete and intact?

:func:`check_custody` compares a response (or decoded data) with what the
provider announced: a record count, a SHA-256 checksum; and refuses data that
came over plain http from a host that is not loopback.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs
import requests

from hf_api_governance._model.rules import is_loopback_host

__all__ = ["CustodyResult", "check_custody"]


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
