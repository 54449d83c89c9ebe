"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names below are the public API; everything in a module whose name starts
with an underscore is private and may change without notice.
"""

from __future__ import annotations

from hf_api_governance._clock import Clock, FrozenClock, SystemClock
from hf_api_governance._keystore import Keystore
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
from hf_api_governance._policy import (
    Action,
    Decision,
    Finding,
    PolicyContext,
    PolicyEngine,
    PolicyHook,
    PolicySettings,
    Severity,
    load_hooks,
    policy_hook,
)
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
    "Action",
    "ApiKind",
    "AuditError",
    "AuthSpec",
    "Classification",
    "Clock",
    "ConfidentialityError",
    "CredentialRevoked",
    "Decision",
    "Event",
    "EventKind",
    "Finding",
    "FrozenClock",
    "GovernanceError",
    "IllegalTransition",
    "Integration",
    "IntegrationNotFound",
    "IntegrationState",
    "InteroperabilitySuspended",
    "InventoryError",
    "Keystore",
    "KeystoreError",
    "Licence",
    "LicenceStatus",
    "PolicyContext",
    "PolicyEngine",
    "PolicyError",
    "PolicyHook",
    "PolicySettings",
    "RedactingFilter",
    "Revoker",
    "Secret",
    "Service",
    "Severity",
    "StoreError",
    "SuspensionCause",
    "SystemClock",
    "TransportError",
    "ValidationError",
    "install_redaction",
    "load_hooks",
    "policy_hook",
    "redact_text",
    "redact_url",
    "scrub_headers",
]
