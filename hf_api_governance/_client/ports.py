"""Ports: what the governed client needs from the parts it is wired to.

Protocols for the registry, the policy engine (and its decisions) and the
keystore, so that the client depends on behaviour, not on the classes that
provide it; the ``recorder`` callback; the response ``contract``; and the one
operation the governor needs from a transport adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

import requests

from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model.values import Event, EventKind, Integration, Revoker, SuspensionCause

__all__ = [
    "Contract",
    "DecisionLike",
    "EngineLike",
    "KeystoreLike",
    "Recorder",
    "RegistryLike",
    "Transport",
]


class RegistryLike(Protocol):
    """What the client needs from the registry (:class:`~hf_api_governance.Registry`).

    A registry that also has ``get_for_call(integration_id)``, returning the
    integration and its revoked credential entries from one read (as
    :meth:`Registry.get_for_call <hf_api_governance.Registry.get_for_call>`
    does), is read once per request; otherwise the client calls :meth:`get`
    and :meth:`is_credential_revoked` for each entry.
    """

    def get(self, integration_id: str) -> Integration:
        """Return the integration with its state and history."""
        ...

    def revoke(
        self,
        integration_id: str,
        *,
        by: Revoker,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> Integration:
        """Record a revocation (clause 1.1.1)."""
        ...

    def suspend(
        self,
        integration_id: str,
        *,
        cause: SuspensionCause,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Integration:
        """Record an interoperability suspension (clause 1.1.2)."""
        ...

    def record(
        self,
        integration_id: str,
        kind: EventKind,
        *,
        reason: str,
        actor: str,
        clause: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Event:
        """Record an event that does not change the state."""
        ...

    def is_credential_revoked(self, entry_name: str) -> bool:
        """Whether a keystore entry name was ever revoked."""
        ...


class DecisionLike(Protocol):
    """What the client reads from a policy decision."""

    @property
    def allowed(self) -> bool:
        """Whether the action may go ahead."""
        ...

    def summary(self) -> str:
        """One line saying why."""
        ...


class EngineLike(Protocol):
    """What the client needs from the policy engine (:class:`~hf_api_governance.PolicyEngine`)."""

    def evaluate(self, integration: Integration, action: Any, at: datetime | None = None) -> Any:
        """Return a decision (with ``allowed`` and ``summary()``) for ``action``."""
        ...


class KeystoreLike(Protocol):
    """What the client needs from the keystore (:class:`~hf_api_governance.Keystore`)."""

    def get(self, name: str) -> Secret:
        """Return the secret stored under ``name``."""
        ...

    def __contains__(self, name: object) -> bool: ...


Recorder = Callable[[str, Mapping[str, Any]], None]
"""Called with ``(action, evidence)`` for every call: ``"call_sent"``, ``"call_denied"``,
``"call_failed"``. Evidence is secret-free (the URL is redacted)."""

Contract = Callable[[requests.Response], bool | str] | Mapping[str, type | tuple[type, ...]]
"""A check of successful responses: a callable returning ``True``, ``False`` or a problem
string, or a minimal JSON shape such as ``{"data": list, "meta": dict}``."""


class Transport(Protocol):
    """What the governor needs from a transport adapter: one ungoverned attempt."""

    def raw_send(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any]
    ) -> requests.Response:
        """Send ``request`` once, without governance (``kwargs`` as for ``HTTPAdapter.send``)."""
        ...
