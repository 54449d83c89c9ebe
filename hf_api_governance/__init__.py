"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names below are the public API; everything in a module whose name starts
with an underscore is private and may change without notice.
"""

from __future__ import annotations

from hf_api_governance._clock import Clock, FrozenClock, SystemClock
from hf_api_governance._inventory import dump_inventory, load_inventory
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
from hf_api_governance._registry import Registry, SyncReport
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
    "ApiKind",
    "AuditError",
    "AuthSpec",
    "Classification",
    "Clock",
    "ConfidentialityError",
    "CredentialRevoked",
    "Event",
    "EventKind",
    "FrozenClock",
    "GovernanceError",
    "IllegalTransition",
    "Integration",
    "IntegrationNotFound",
    "IntegrationState",
    "InteroperabilitySuspended",
    "InventoryError",
    "KeystoreError",
    "Licence",
    "LicenceStatus",
    "PolicyError",
    "Registry",
    "Revoker",
    "Secret",
    "Service",
    "StoreError",
    "SuspensionCause",
    "SyncReport",
    "SystemClock",
    "TransportError",
    "ValidationError",
    "dump_inventory",
    "load_inventory",
]
