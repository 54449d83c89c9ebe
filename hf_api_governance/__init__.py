"""Govern the API integrations of Mimecast Human Factors services (Engage, Aware, Incydr).

The names in ``__all__`` are the public API; everything in a module whose name
starts with an underscore is private and may change without notice.

Every public name is imported on first use (PEP 562 ``__getattr__``, from the
table ``_PUBLIC``; the value is then cached in the module's globals), so
``import hf_api_governance`` loads nothing but this file and ``hf-gov --help``
stays fast: ``from hf_api_governance import Governance`` imports the facade and
what it needs, ``GovernedSession`` imports requests, ``Keystore``
cryptography. Type checkers read the ``TYPE_CHECKING`` imports below, which
name every public name (``X as X``: an explicit re-export).
"""

# Only underscored names besides the public API: hence no ``from __future__ import
# annotations`` (it binds ``annotations``) and the aliased imports.
import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.entries import AuditEntry as AuditEntry
    from hf_api_governance._audit.entries import AuditMismatch as AuditMismatch
    from hf_api_governance._audit.entries import Checkpoint as Checkpoint
    from hf_api_governance._audit.entries import VerificationProblem as VerificationProblem
    from hf_api_governance._audit.entries import VerificationReport as VerificationReport
    from hf_api_governance._audit.log import AuditLog as AuditLog
    from hf_api_governance._audit.signing import SignedCheckpoint as SignedCheckpoint
    from hf_api_governance._base.clock import Clock as Clock
    from hf_api_governance._base.clock import FrozenClock as FrozenClock
    from hf_api_governance._base.clock import SystemClock as SystemClock
    from hf_api_governance._client.auth import ApiKeyHeaderAuth as ApiKeyHeaderAuth
    from hf_api_governance._client.auth import BasicAuth as BasicAuth
    from hf_api_governance._client.auth import BearerAuth as BearerAuth
    from hf_api_governance._client.auth import MimecastHmacAuth as MimecastHmacAuth
    from hf_api_governance._client.auth import OAuth2ClientCredentials as OAuth2ClientCredentials
    from hf_api_governance._client.custody import CustodyResult as CustodyResult
    from hf_api_governance._client.custody import check_custody as check_custody
    from hf_api_governance._client.profiles import RateLimit as RateLimit
    from hf_api_governance._client.profiles import RateLimitHeaders as RateLimitHeaders
    from hf_api_governance._client.profiles import Selector as Selector
    from hf_api_governance._client.profiles import SignalProfile as SignalProfile
    from hf_api_governance._client.profiles import register_profile as register_profile
    from hf_api_governance._client.profiles import signal_profiles as signal_profiles
    from hf_api_governance._client.profiles import unregister_profile as unregister_profile
    from hf_api_governance._client.retry import RetryPolicy as RetryPolicy
    from hf_api_governance._client.retry import RetryStats as RetryStats
    from hf_api_governance._client.session import GovernedSession as GovernedSession
    from hf_api_governance._client.session import govern as govern
    from hf_api_governance._confidential.keystore import Keystore as Keystore
    from hf_api_governance._confidential.log_filter import RedactingFilter as RedactingFilter
    from hf_api_governance._confidential.log_filter import install_redaction as install_redaction
    from hf_api_governance._confidential.redact import redact_text as redact_text
    from hf_api_governance._confidential.redact import redact_url as redact_url
    from hf_api_governance._confidential.redact import scrub_headers as scrub_headers
    from hf_api_governance._confidential.secret import Classification as Classification
    from hf_api_governance._confidential.secret import Secret as Secret
    from hf_api_governance._facade import Governance as Governance
    from hf_api_governance._model.values import ApiKind as ApiKind
    from hf_api_governance._model.values import AuthSpec as AuthSpec
    from hf_api_governance._model.values import Event as Event
    from hf_api_governance._model.values import EventKind as EventKind
    from hf_api_governance._model.values import Integration as Integration
    from hf_api_governance._model.values import IntegrationState as IntegrationState
    from hf_api_governance._model.values import Licence as Licence
    from hf_api_governance._model.values import LicenceStatus as LicenceStatus
    from hf_api_governance._model.values import Revoker as Revoker
    from hf_api_governance._model.values import Service as Service
    from hf_api_governance._model.values import SuspensionCause as SuspensionCause
    from hf_api_governance._policy import Action as Action
    from hf_api_governance._policy import Decision as Decision
    from hf_api_governance._policy import Finding as Finding
    from hf_api_governance._policy import PolicyContext as PolicyContext
    from hf_api_governance._policy import PolicyEngine as PolicyEngine
    from hf_api_governance._policy import PolicyHook as PolicyHook
    from hf_api_governance._policy import PolicySettings as PolicySettings
    from hf_api_governance._policy import Severity as Severity
    from hf_api_governance._policy import load_hooks as load_hooks
    from hf_api_governance._policy import policy_hook as policy_hook
    from hf_api_governance._policy.report import Report as Report
    from hf_api_governance._registry.inventory import dump_inventory as dump_inventory
    from hf_api_governance._registry.inventory import load_inventory as load_inventory
    from hf_api_governance._registry.registry import Registry as Registry
    from hf_api_governance._registry.registry import SyncReport as SyncReport
    from hf_api_governance.exceptions import AccessDenied as AccessDenied
    from hf_api_governance.exceptions import ApiError as ApiError
    from hf_api_governance.exceptions import AuditError as AuditError
    from hf_api_governance.exceptions import ConfidentialityError as ConfidentialityError
    from hf_api_governance.exceptions import CredentialRevoked as CredentialRevoked
    from hf_api_governance.exceptions import GovernanceError as GovernanceError
    from hf_api_governance.exceptions import IllegalTransition as IllegalTransition
    from hf_api_governance.exceptions import IntegrationNotFound as IntegrationNotFound
    from hf_api_governance.exceptions import InteroperabilitySuspended as InteroperabilitySuspended
    from hf_api_governance.exceptions import InventoryError as InventoryError
    from hf_api_governance.exceptions import KeystoreEntryNotFound as KeystoreEntryNotFound
    from hf_api_governance.exceptions import KeystoreError as KeystoreError
    from hf_api_governance.exceptions import PolicyError as PolicyError
    from hf_api_governance.exceptions import RevocationSuspected as RevocationSuspected
    from hf_api_governance.exceptions import StoreError as StoreError
    from hf_api_governance.exceptions import TokenEndpointError as TokenEndpointError
    from hf_api_governance.exceptions import TransportError as TransportError
    from hf_api_governance.exceptions import ValidationError as ValidationError

__version__ = "0.1.0.dev0"  # importing nothing: equal to _base.version.VERSION (tested)

_PUBLIC: dict[str, str] = {
    "AuditEntry": "_audit.entries",
    "AuditMismatch": "_audit.entries",
    "Checkpoint": "_audit.entries",
    "VerificationProblem": "_audit.entries",
    "VerificationReport": "_audit.entries",
    "AuditLog": "_audit.log",
    "SignedCheckpoint": "_audit.signing",
    "Clock": "_base.clock",
    "FrozenClock": "_base.clock",
    "SystemClock": "_base.clock",
    "ApiKeyHeaderAuth": "_client.auth",
    "BasicAuth": "_client.auth",
    "BearerAuth": "_client.auth",
    "MimecastHmacAuth": "_client.auth",
    "OAuth2ClientCredentials": "_client.auth",
    "CustodyResult": "_client.custody",
    "check_custody": "_client.custody",
    "RateLimit": "_client.profiles",
    "RateLimitHeaders": "_client.profiles",
    "Selector": "_client.profiles",
    "SignalProfile": "_client.profiles",
    "register_profile": "_client.profiles",
    "signal_profiles": "_client.profiles",
    "unregister_profile": "_client.profiles",
    "RetryPolicy": "_client.retry",
    "RetryStats": "_client.retry",
    "GovernedSession": "_client.session",
    "govern": "_client.session",
    "Keystore": "_confidential.keystore",
    "RedactingFilter": "_confidential.log_filter",
    "install_redaction": "_confidential.log_filter",
    "redact_text": "_confidential.redact",
    "redact_url": "_confidential.redact",
    "scrub_headers": "_confidential.redact",
    "Classification": "_confidential.secret",
    "Secret": "_confidential.secret",
    "Governance": "_facade",
    "Report": "_policy.report",
    "ApiKind": "_model.values",
    "AuthSpec": "_model.values",
    "Event": "_model.values",
    "EventKind": "_model.values",
    "Integration": "_model.values",
    "IntegrationState": "_model.values",
    "Licence": "_model.values",
    "LicenceStatus": "_model.values",
    "Revoker": "_model.values",
    "Service": "_model.values",
    "SuspensionCause": "_model.values",
    "Action": "_policy",
    "Decision": "_policy",
    "Finding": "_policy",
    "PolicyContext": "_policy",
    "PolicyEngine": "_policy",
    "PolicyHook": "_policy",
    "PolicySettings": "_policy",
    "Severity": "_policy",
    "load_hooks": "_policy",
    "policy_hook": "_policy",
    "dump_inventory": "_registry.inventory",
    "load_inventory": "_registry.inventory",
    "Registry": "_registry.registry",
    "SyncReport": "_registry.registry",
    "AccessDenied": "exceptions",
    "ApiError": "exceptions",
    "AuditError": "exceptions",
    "ConfidentialityError": "exceptions",
    "CredentialRevoked": "exceptions",
    "GovernanceError": "exceptions",
    "IllegalTransition": "exceptions",
    "IntegrationNotFound": "exceptions",
    "InteroperabilitySuspended": "exceptions",
    "InventoryError": "exceptions",
    "KeystoreEntryNotFound": "exceptions",
    "KeystoreError": "exceptions",
    "PolicyError": "exceptions",
    "RevocationSuspected": "exceptions",
    "StoreError": "exceptions",
    "TokenEndpointError": "exceptions",
    "TransportError": "exceptions",
    "ValidationError": "exceptions",
}
"""Where each public name lives: name -> its module, below ``hf_api_governance``."""

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> object:
    """Import a public name on first use and cache it in the globals (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'hf_api_governance' has no attribute {name!r}")
    value = getattr(_import_module(f"hf_api_governance.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, with the module's own underscored names and loaded public submodules."""
    return sorted(set(globals()) | set(__all__))
