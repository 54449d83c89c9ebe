"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names below are the public API; everything in a module whose name starts
with an underscore is private and may change without notice.
"""

from __future__ import annotations

from hf_api_governance._auth import (
    ApiKeyHeaderAuth,
    BasicAuth,
    BearerAuth,
    MimecastHmacAuth,
    OAuth2ClientCredentials,
)
from hf_api_governance._client import GovernedSession, govern
from hf_api_governance._clock import Clock, FrozenClock, SystemClock
from hf_api_governance._model import (
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
    LicenceStatus,
    Revoker,
    Service,
    SuspensionCause,
)
from hf_api_governance._retry import RetryPolicy, RetryStats
from hf_api_governance._secret import Classification, Secret
from hf_api_governance._signals import CustodyResult, check_custody
from hf_api_governance.exceptions import (
    AccessDenied,
    ApiError,
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
    "ApiError",
    "ApiKeyHeaderAuth",
    "ApiKind",
    "AuditError",
    "AuthSpec",
    "BasicAuth",
    "BearerAuth",
    "Classification",
    "Clock",
    "ConfidentialityError",
    "CredentialRevoked",
    "CustodyResult",
    "Event",
    "EventKind",
    "FrozenClock",
    "GovernanceError",
    "GovernedSession",
    "IllegalTransition",
    "Integration",
    "IntegrationNotFound",
    "IntegrationState",
    "InteroperabilitySuspended",
    "InventoryError",
    "KeystoreError",
    "Licence",
    "LicenceStatus",
    "MimecastHmacAuth",
    "OAuth2ClientCredentials",
    "PolicyError",
    "RetryPolicy",
    "RetryStats",
    "Revoker",
    "Secret",
    "Service",
    "StoreError",
    "SuspensionCause",
    "SystemClock",
    "TransportError",
    "ValidationError",
    "check_custody",
    "govern",
]
