"""What an HTTP response tells about an integration: revocation and interoperability.

The signal tables below are data, with their sources, so that they can be
read, tested and documented (``docs/client.md`` shows the same table). The
governed client (:mod:`hf_api_governance._client.session`) turns what they
say into registry events and exceptions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final

__all__ = [
    "MIMECAST_REVOCATION_CODES",
    "OAUTH_REVOCATION_ERRORS",
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


def notice_id(kind: str, value: str) -> str:
    """A short, stable identifier of a deprecation notice, used to record it once."""
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:16]
    return f"{kind[:4]}-{digest}"
