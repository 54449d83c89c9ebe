"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names below are the public API; everything in a module whose name starts
with an underscore is private and may change without notice.
"""

from __future__ import annotations

from hf_api_governance._clock import Clock, FrozenClock, SystemClock
from hf_api_governance._redact import (
    RedactingFilter,
    install_redaction,
    redact_text,
    redact_url,
    scrub_headers,
)
from hf_api_governance._secret import Classification, Secret
from hf_api_governance.exceptions import (
    AccessDenied,
    AuditError,
    ConfidentialityError,
    CredentialRevoked,
    GovernanceError,
    IllegalTransition,
    IntegrationNotFound,
    InteroperabilitySuspended,
    InventoryError,
    KeystoreError,
    PolicyError,
    StoreError,
    TransportError,
    ValidationError,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AccessDenied",
    "AuditError",
    "Classification",
    "Clock",
    "ConfidentialityError",
    "CredentialRevoked",
    "FrozenClock",
    "GovernanceError",
    "IllegalTransition",
    "IntegrationNotFound",
    "InteroperabilitySuspended",
    "InventoryError",
    "KeystoreError",
    "PolicyError",
    "RedactingFilter",
    "Secret",
    "StoreError",
    "SystemClock",
    "TransportError",
    "ValidationError",
    "install_redaction",
    "redact_text",
    "redact_url",
    "scrub_headers",
]
