"""Origins and credential headers: where an integration's credentials may go.

An integration's credentials go only to its own origins (its ``base_url``
and, for OAuth, its token endpoint), compared as ``(scheme, host, port)``
the way the connection is opened (:func:`origin_of`). Its declared *data
origins* (pre-signed download hosts, :func:`data_origin_matches`) are
governed but never receive a credential. Requests to any other origin,
redirects included, lose every header that carries a credential
(:func:`strip_credentials`).
"""

from __future__ import annotations

import functools
import urllib.parse
from typing import Final

import requests
from urllib3.util import parse_url

from hf_api_governance._confidential.redact import is_credential_header
from hf_api_governance._model.values import Integration

__all__ = [
    "CREDENTIAL_HEADERS",
    "Origin",
    "credential_headers_of",
    "data_origin_matches",
    "is_token_endpoint",
    "origin_of",
    "own_origins",
    "strip_credentials",
]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


@functools.lru_cache(maxsize=512)
def origin_of(url: str) -> Origin | None:
    r"""``(scheme, host, port)`` of ``url``, or ``None`` if it cannot be read unambiguously.

    Admission reads URLs with :mod:`urllib.parse`; the connection is opened
    where urllib3 reads them. Both must agree on scheme, host and port, or the
    URL is refused: ``http://other:1\@ours:2/`` is ``ours`` to the first and
    ``other`` to the second. A backslash in the authority is refused outright.
    The host is the one urllib3 connects to (lower case, IDNA for a
    non-ASCII name, no IPv6 brackets).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
        host = (parts.hostname or "").lower()
        if "\\" in parts.netloc:
            return None
        other = parse_url(url)  # urllib3's LocationParseError is a ValueError
    except ValueError:
        return None
    other_scheme = (other.scheme or "").lower()
    other_host = (other.host or "").lower()
    if other_host.startswith("[") and other_host.endswith("]"):
        other_host = other_host[1:-1]
    other_port = other.port or _DEFAULT_PORTS.get(other_scheme, 0)
    if (scheme, port) != (other_scheme, other_port):
        return None
    if host != other_host:
        # A non-ASCII name: urllib3 connects to its IDNA form; same host if
        # urllib3 reads the name urllib.parse found the same way.
        try:
            alone = parse_url(f"{scheme}://{host}").host if not host.isascii() else None
        except ValueError:
            return None
        if alone is None or alone.lower() != other_host:
            return None
    return scheme, other_host, port


def own_origins(integration: Integration) -> frozenset[Origin]:
    """The origins of ``integration``: its ``base_url`` and its OAuth ``token_url`` if any."""
    urls = [integration.base_url]
    if integration.auth is not None and "token_url" in integration.auth.params:
        urls.append(integration.auth.params["token_url"])
    return frozenset(o for o in map(origin_of, urls) if o is not None)


@functools.lru_cache(maxsize=512)
def _path_of(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).path
    except ValueError:
        return None


def is_token_endpoint(
    url: str, integration: Integration, token_paths: tuple[str, ...] = ()
) -> bool:
    """Whether ``url`` is the integration's OAuth token endpoint (query aside).

    The declared ``token_url``, or one of ``token_paths`` (the vendor
    profile's, for an SDK that fetches its own tokens) at one of the
    integration's own origins.
    """
    token_url = integration.auth.params.get("token_url") if integration.auth is not None else None
    if not token_url and not token_paths:
        return False
    origin = origin_of(url)
    path = _path_of(url)
    if origin is None or path is None:
        return False
    if token_url and origin == origin_of(token_url) and path == _path_of(token_url):
        return True
    return path in token_paths and origin in own_origins(integration)


def data_origin_matches(pattern: str, origin: Origin) -> bool:
    """Whether ``origin`` is one of a declared data origin pattern's.

    ``https://*.blob.core.windows.net`` matches ``https://acct.blob.core.windows.net``
    (any subdomain, port 443), not ``https://blob.core.windows.net``.
    """
    target = origin_of(pattern.replace("://*.", "://wildcard.", 1))
    if target is None or target[0] != origin[0] or target[2] != origin[2]:
        return False
    if "://*." in pattern:
        suffix = target[1].removeprefix("wildcard")
        return origin[1].endswith(suffix) and len(origin[1]) > len(suffix)
    return target[1] == origin[1]


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


def credential_headers_of(integration: Integration) -> frozenset[str]:
    """The integration's own credential header (an API-key header's name), lower case."""
    if integration.auth is not None and "header" in integration.auth.params:
        return frozenset({integration.auth.params["header"].lower()})
    return frozenset()


def carries_credential(name: str, extra: frozenset[str]) -> bool:
    """Whether request header ``name`` carries a credential (``extra``: lower-case names too)."""
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or lowered in extra or is_credential_header(lowered)


def strip_credentials(request: requests.PreparedRequest, extra: frozenset[str]) -> None:
    """Remove every header that carries a credential (the log scrubber's word test too)."""
    for name in [h for h in request.headers if carries_credential(h, extra)]:
        del request.headers[name]
