"""The public surface is exactly what we mean to publish."""

from __future__ import annotations

import hf_api_governance
from hf_api_governance import exceptions

EXPECTED_PUBLIC = {
    "AccessDenied",
    "Action",
    "ApiError",
    "ApiKeyHeaderAuth",
    "ApiKind",
    "AuditEntry",
    "AuditError",
    "AuditLog",
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
    "RedactingFilter",
    "Registry",
    "Report",
    "RetryPolicy",
    "RetryStats",
    "Revoker",
    "Secret",
    "Service",
    "Severity",
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
    "scrub_headers",
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


def test_every_library_exception_is_in_the_documented_tree_and_exported() -> None:
    tree = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        assert f" {name}" in tree, f"{name} is missing from the exceptions docstring tree"
        assert getattr(hf_api_governance, name) is getattr(exceptions, name)
        assert (getattr(exceptions, name).__doc__ or "").strip(), f"{name} has no docstring"
