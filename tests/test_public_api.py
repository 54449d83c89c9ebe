"""The public surface is exactly what we mean to publish."""

from __future__ import annotations

import hf_api_governance
from hf_api_governance import exceptions

EXPECTED_PUBLIC = {
    "ApiKind",
    "AuthSpec",
    "Event",
    "EventKind",
    "Integration",
    "IntegrationState",
    "Licence",
    "LicenceStatus",
    "Revoker",
    "Service",
    "SuspensionCause",
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
    "Keystore",
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
    "Action",
    "Decision",
    "Finding",
    "PolicyContext",
    "PolicyEngine",
    "PolicyHook",
    "PolicySettings",
    "Severity",
    "load_hooks",
    "policy_hook",
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(hf_api_governance.__all__) == EXPECTED_PUBLIC
    assert list(hf_api_governance.__all__) == sorted(hf_api_governance.__all__)


def test_every_public_name_is_importable_and_documented() -> None:
    for name in hf_api_governance.__all__:
        obj = getattr(hf_api_governance, name)
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_every_library_exception_derives_from_governance_error() -> None:
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), exceptions.GovernanceError)
