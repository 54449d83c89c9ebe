"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names below are the public API; everything in a module whose name starts
with an underscore is private and may change without notice.

Names whose modules pull in heavy dependencies (``cryptography`` for the
keystore, ``requests`` for the governed client) are imported on first use, so
``import hf_api_governance`` and ``hf-gov --help`` stay fast.
"""

# Only underscored names besides the public API: hence no ``from __future__ import
# annotations`` (it binds ``annotations``) and the aliased imports.
import importlib as _importlib
import typing as _typing

from hf_api_governance._audit.entries import (
    AuditEntry,
    AuditMismatch,
    Checkpoint,
    VerificationProblem,
    VerificationReport,
)
from hf_api_governance._audit.log import AuditLog
from hf_api_governance._audit.signing import SignedCheckpoint
from hf_api_governance._base.clock import (
    Clock,
    FrozenClock,
    SystemClock,
)
from hf_api_governance._client.profiles import (
    RateLimit,
    RateLimitHeaders,
    Selector,
    SignalProfile,
    register_profile,
    signal_profiles,
    unregister_profile,
)
from hf_api_governance._confidential.log_filter import RedactingFilter, install_redaction
from hf_api_governance._confidential.redact import redact_text, redact_url, scrub_headers
from hf_api_governance._confidential.secret import (
    Classification,
    Secret,
)
from hf_api_governance._facade import Governance, Report
from hf_api_governance._model.values import (
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
from hf_api_governance._registry.inventory import (
    dump_inventory,
    load_inventory,
)
from hf_api_governance._registry.registry import (
    Registry,
    SyncReport,
)
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
    KeystoreEntryNotFound,
    KeystoreError,
    PolicyError,
    RevocationSuspected,
    StoreError,
    TokenEndpointError,
    TransportError,
    ValidationError,
)

if _typing.TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._client.auth import (
        ApiKeyHeaderAuth,
        BasicAuth,
        BearerAuth,
        MimecastHmacAuth,
        OAuth2ClientCredentials,
    )
    from hf_api_governance._client.custody import (
        CustodyResult,
        check_custody,
    )
    from hf_api_governance._client.retry import (
        RetryPolicy,
        RetryStats,
    )
    from hf_api_governance._client.session import (
        GovernedSession,
        govern,
    )
    from hf_api_governance._confidential.keystore import Keystore

__version__ = "0.1.0.dev0"

_LAZY = {
    "ApiKeyHeaderAuth": "hf_api_governance._client.auth",
    "BasicAuth": "hf_api_governance._client.auth",
    "BearerAuth": "hf_api_governance._client.auth",
    "MimecastHmacAuth": "hf_api_governance._client.auth",
    "OAuth2ClientCredentials": "hf_api_governance._client.auth",
    "GovernedSession": "hf_api_governance._client.session",
    "govern": "hf_api_governance._client.session",
    "Keystore": "hf_api_governance._confidential.keystore",
    "RetryPolicy": "hf_api_governance._client.retry",
    "RetryStats": "hf_api_governance._client.retry",
    "CustodyResult": "hf_api_governance._client.custody",
    "check_custody": "hf_api_governance._client.custody",
}

__all__ = [
    "AccessDenied",
    "Action",
    "ApiError",
    "ApiKeyHeaderAuth",
    "ApiKind",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditMismatch",
    "AuthSpec",
    "BasicAuth",
    "BearerAuth",
    "Checkpoint",
    "Classification",
    "Clock",
    "ConfidentialityError",
    "CredentialRevoked",
    "CustodyResult",
    "Decision",
    "Event",
    "EventKind",
    "Finding",
    "FrozenClock",
    "Governance",
    "GovernanceError",
    "GovernedSession",
    "IllegalTransition",
    "Integration",
    "IntegrationNotFound",
    "IntegrationState",
    "InteroperabilitySuspended",
    "InventoryError",
    "Keystore",
    "KeystoreEntryNotFound",
    "KeystoreError",
    "Licence",
    "LicenceStatus",
    "MimecastHmacAuth",
    "OAuth2ClientCredentials",
    "PolicyContext",
    "PolicyEngine",
    "PolicyError",
    "PolicyHook",
    "PolicySettings",
    "RateLimit",
    "RateLimitHeaders",
    "RedactingFilter",
    "Registry",
    "Report",
    "RetryPolicy",
    "RetryStats",
    "RevocationSuspected",
    "Revoker",
    "Secret",
    "Selector",
    "Service",
    "Severity",
    "SignalProfile",
    "SignedCheckpoint",
    "StoreError",
    "SuspensionCause",
    "SyncReport",
    "SystemClock",
    "TokenEndpointError",
    "TransportError",
    "ValidationError",
    "VerificationProblem",
    "VerificationReport",
    "check_custody",
    "dump_inventory",
    "govern",
    "install_redaction",
    "load_hooks",
    "load_inventory",
    "policy_hook",
    "redact_text",
    "redact_url",
    "register_profile",
    "scrub_headers",
    "signal_profiles",
    "unregister_profile",
]


def __getattr__(name: str) -> _typing.Any:
    """Import the heavy public names on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hf_api_governance' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
