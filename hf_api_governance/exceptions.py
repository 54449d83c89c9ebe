"""Every exception the library raises on purpose, under one root.

Catch :class:`GovernanceError` to handle anything governance-related; catch a
subclass to handle one situation. Where the meaning fits, a builtin is mixed in
so that code written against the standard library keeps working (an
:class:`InventoryError` is also a :class:`ValueError`).

Exception messages never contain a secret value: at most a keystore entry name
or a :attr:`~hf_api_governance.Secret.fingerprint`.

::

    GovernanceError
    ├── ValidationError (ValueError)          a field has a bad value
    │   └── InventoryError                    an inventory file is wrong (path, line, field)
    ├── ConfidentialityError (TypeError)      an operation would expose a secret (pickling)
    ├── KeystoreError                         cannot open, decrypt or write the keystore
    │   └── KeystoreEntryNotFound (LookupError)   no keystore entry with that name
    ├── StoreError                            the registry database cannot be used
    ├── IntegrationNotFound (LookupError)     no integration with that id
    ├── IllegalTransition                     a lifecycle change the state machine forbids
    ├── PolicyError                           a policy hook cannot be defined or loaded
    ├── AuditError                            the audit log cannot be written or read
    ├── AccessDenied                          a governance decision said no (``.decision``)
    ├── CredentialRevoked                     an API answered that the credential is revoked
    ├── InteroperabilitySuspended             an API signalled it no longer works as registered
    ├── ApiError                              the API reported a failure in its body
    │   └── RevocationSuspected               a revocation the authority did not confirm
    └── TransportError                        the HTTP request failed after retries
        └── TokenEndpointError                the OAuth 2.0 token endpoint refused a token
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only; _policy imports this module
    from hf_api_governance._policy import Decision

__all__ = [
    "AccessDenied",
    "ApiError",
    "AuditError",
    "ConfidentialityError",
    "CredentialRevoked",
    "GovernanceError",
    "IllegalTransition",
    "IntegrationNotFound",
    "InteroperabilitySuspended",
    "InventoryError",
    "KeystoreEntryNotFound",
    "KeystoreError",
    "PolicyError",
    "RevocationSuspected",
    "StoreError",
    "TokenEndpointError",
    "TransportError",
    "ValidationError",
]


class GovernanceError(Exception):
    """Root of every exception this library raises on purpose."""


class ValidationError(GovernanceError, ValueError):
    """A value given to the library is not acceptable.

    Attributes:
        field: Dotted name of the offending field (for example
            ``"licence.valid_until"``), or ``None`` when not tied to one field.
        problem: What is wrong, in words, without quoting secret values.
    """

    def __init__(self, field: str | None, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class InventoryError(ValidationError):
    """An inventory file cannot be loaded; nothing from it was applied.

    Attributes:
        path: The file, as given.
        line: 1-based line number where known, else ``None``.
        integration_id: The integration the problem belongs to, where known.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        integration_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.integration_id = integration_id
        where = []
        if path is not None:
            where.append(f"{path}:{line}" if line is not None else path)
        if integration_id is not None:
            where.append(f"integration {integration_id!r}")
        if field is not None:
            where.append(f"field {field!r}")
        ValueError.__init__(self, ", ".join(where) + (": " if where else "") + problem)
        self.field = field
        self.problem = problem


class ConfidentialityError(GovernanceError, TypeError):
    """An operation would copy a confidential value somewhere it may leak.

    Raised, for instance, when something tries to pickle a
    :class:`~hf_api_governance.Secret`.
    """


class KeystoreError(GovernanceError):
    """The keystore cannot be created, opened, decrypted or written.

    Decryption failures are deliberately opaque: the message says the keystore
    cannot be decrypted (wrong passphrase or damaged file), never which part
    failed.
    """


class KeystoreEntryNotFound(KeystoreError, LookupError):
    """The keystore holds no entry under the given name.

    Raised by :meth:`Keystore.get <hf_api_governance.Keystore.get>`,
    :meth:`~hf_api_governance.Keystore.delete` and
    :meth:`~hf_api_governance.Keystore.fingerprint`. The message names the
    entry (a name is not secret), never a value.

    Attributes:
        name: The entry name that was looked up.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no keystore entry named {name!r}")

    def __str__(self) -> str:  # like IntegrationNotFound: never the args' repr
        return str(self.args[0])


class StoreError(GovernanceError):
    """The registry's storage cannot be used (unreadable, locked, newer schema...)."""


class IntegrationNotFound(GovernanceError, LookupError):
    """No integration is registered under the given id.

    Attributes:
        integration_id: The id that was looked up.
    """

    def __init__(self, integration_id: str) -> None:
        self.integration_id = integration_id
        super().__init__(f"no integration with id {integration_id!r}")

    def __str__(self) -> str:  # LookupError/KeyError would quote the args
        return str(self.args[0])


class IllegalTransition(GovernanceError):
    """A lifecycle change that the integration state machine forbids.

    Nothing was changed.

    Attributes:
        integration_id: The integration concerned.
        current: The state it is in (value of ``IntegrationState``).
        requested: What was asked (an operation name such as ``"activate"``).
    """

    def __init__(self, integration_id: str, current: str, requested: str) -> None:
        self.integration_id = integration_id
        self.current = current
        self.requested = requested
        super().__init__(
            f"integration {integration_id!r} is {current}: cannot {requested} from that state"
        )


class PolicyError(GovernanceError):
    """A policy hook is malformed or cannot be loaded."""


class AuditError(GovernanceError):
    """The audit log cannot be written, read or exported."""


class AccessDenied(GovernanceError):
    """Governance denied an action; nothing was sent or changed.

    Attributes:
        decision: The :class:`~hf_api_governance.Decision` behind the refusal.
    """

    def __init__(self, decision: Decision, message: str | None = None) -> None:
        self.decision: Decision = decision
        super().__init__(message or decision.summary())


class _SignalError(GovernanceError):
    """Common shape of the exceptions raised when an API response carries a signal."""

    def __init__(
        self,
        integration_id: str,
        message: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        self.integration_id = integration_id
        self.evidence: Mapping[str, Any] = dict(evidence or {})
        super().__init__(message)


class CredentialRevoked(_SignalError):
    """An API response showed that the integration's credential was revoked (clause 1.1.1).

    The integration has been recorded as REVOKED; the credential will not be
    sent again. If the registry could not record it, the failure is the
    ``__cause__`` and the message says so: the session that saw the signal
    still never sends the credential again, but others learn of it only once
    it is recorded.

    Attributes:
        integration_id: The integration whose credential was revoked.
        evidence: Secret-free facts from the response (status, error code...).
    """


class InteroperabilitySuspended(_SignalError):
    """An API signalled that it no longer works as registered (clause 1.1.2).

    The integration has been recorded as SUSPENDED (if the registry could not
    record it, the failure is the ``__cause__``, the message says so, and the
    session that saw the signal makes no further call).

    Attributes:
        integration_id: The integration that was suspended.
        evidence: Secret-free facts from the response (status, Sunset header...).
    """


class ApiError(GovernanceError):
    """An API answered that the call failed, in its body rather than its status.

    Mimecast API 1.0 answers ``200`` with a ``fail`` array when a function
    fails; the governed client raises this for codes that are not revocations.

    Attributes:
        integration_id: The integration called.
        status: The HTTP status (often 200).
        codes: The error codes the API gave.
    """

    def __init__(
        self, integration_id: str, message: str, *, status: int, codes: tuple[str, ...]
    ) -> None:
        self.integration_id = integration_id
        self.status = status
        self.codes = codes
        super().__init__(message)


class RevocationSuspected(ApiError):
    """An answer looked like a revocation, but the authority did not confirm it (clause 1.1.1).

    A suspicion (``invalid_token`` on a freshly issued token, ``invalid_client``
    from a resource rather than the token endpoint, an ambiguous ``401`` from
    the token endpoint, a vendor's revocation code) is checked once against
    the authority: the token endpoint, or what the vendor's signal profile
    defines for static keys. Only a confirmed answer revokes
    (:class:`CredentialRevoked`); otherwise this is raised for the call, a
    ``SIGNAL_RECORDED`` event holds the evidence, and the integration stays
    as it was. The next call is sent as usual.

    Attributes:
        integration_id: The integration called.
        status: The HTTP status of the suspicious answer.
        codes: The API's error codes in it, if any.
        evidence: Secret-free facts: the signal, the answer, and what the
            confirmation found (``confirmation``: ``"cleared"``,
            ``"unavailable"`` or ``"not_possible"``).
        confirmation: What the confirmation found (as in ``evidence``).
    """

    def __init__(
        self,
        integration_id: str,
        message: str,
        *,
        status: int,
        codes: tuple[str, ...] = (),
        evidence: Mapping[str, Any] | None = None,
        confirmation: str,
    ) -> None:
        super().__init__(integration_id, message, status=status, codes=codes)
        self.evidence: Mapping[str, Any] = dict(evidence or {})
        self.confirmation = confirmation


class TransportError(GovernanceError):
    """The HTTP request failed (connection, timeout, retries exhausted, unreadable answer).

    Also raised for what requests' own machinery lets escape around a
    governed call (a redirect loop, a redirect to a scheme without an
    adapter, a body that cannot be decoded): only the failure's type name is
    kept, never the request, its headers or a chained exception.
    """


class TokenEndpointError(TransportError):
    """The OAuth 2.0 token endpoint refused to issue a token.

    In a :class:`~hf_api_governance.GovernedSession` a revocation code
    (``invalid_client``, ``unauthorized_client``) becomes
    :class:`CredentialRevoked` instead.

    Attributes:
        status: The HTTP status.
        error: The RFC 6749 section 5.2 ``error`` code, if the body had one.
        evidence: Secret-free facts (status, error, host, path).
    """

    def __init__(
        self, message: str, *, status: int, error: str | None, evidence: dict[str, Any]
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.evidence = evidence
