"""In-memory fakes that follow the shared contracts faithfully (see registry-api.md).

``FakeRegistry`` keeps state through ``_model.next_state`` and builds real
:class:`~hf_api_governance.Event` values, so evidence is validated exactly as
the real registry validates it. The merge swaps these for the real classes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from hf_api_governance import (
    Event,
    EventKind,
    FrozenClock,
    Integration,
    IntegrationState,
    Revoker,
    Secret,
    SuspensionCause,
    ValidationError,
)
from hf_api_governance._clock import Clock, SystemClock
from hf_api_governance._model import next_state
from hf_api_governance.exceptions import IntegrationNotFound, KeystoreError

__all__ = ["FakeDecision", "FakeEngine", "FakeKeystore", "FakeRegistry"]


class FakeRegistry:
    """The Registry API, in memory, thread-safe."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._declared: dict[str, Integration] = {}
        self._events: dict[str, list[Event]] = {}
        self._revoked: set[str] = set()
        self._seq = 0
        self._snapshots: dict[str, Integration] = {}  # cleared on every change
        self.gets = 0

    # -- helpers ---------------------------------------------------------------

    def _emit(
        self,
        integration_id: str,
        kind: EventKind,
        *,
        actor: str,
        reason: str,
        clause: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Event:
        current = self._state(integration_id)
        next_state(current, kind, integration_id)  # IllegalTransition: nothing changes
        self._seq += 1
        event = Event(
            integration_id=integration_id,
            kind=kind,
            at=self._clock.now(),
            actor=actor,
            reason=reason,
            clause=clause,
            evidence=dict(evidence or {}),
            seq=self._seq,
        )
        self._events.setdefault(integration_id, []).append(event)
        self._snapshots.pop(integration_id, None)
        return event

    def _state(self, integration_id: str) -> IntegrationState | None:
        state: IntegrationState | None = None
        for event in self._events.get(integration_id, []):
            state = next_state(state, event.kind, integration_id)
        return state

    def _known(self, integration_id: str) -> None:
        if integration_id not in self._declared:
            raise IntegrationNotFound(integration_id)

    # -- the contract ----------------------------------------------------------

    def register(self, integration: Integration, *, actor: str, reason: str = "") -> Integration:
        with self._lock:
            self._emit(integration.id, EventKind.REGISTERED, actor=actor, reason=reason)
            self._declared[integration.id] = integration.declared()
            self._snapshots.pop(integration.id, None)
            return self.get(integration.id)

    def get(self, integration_id: str) -> Integration:
        with self._lock:
            self.gets += 1
            snapshot = self._snapshots.get(integration_id)
            if snapshot is not None:
                return snapshot
            self._known(integration_id)
            state = self._state(integration_id)
            assert state is not None
            snapshot = attrs.evolve(
                self._declared[integration_id],
                state=state,
                history=tuple(self._events[integration_id]),
            )
            self._snapshots[integration_id] = snapshot
            return snapshot

    def activate(self, integration_id: str, *, actor: str, reason: str = "") -> Integration:
        with self._lock:
            self._known(integration_id)
            self._emit(integration_id, EventKind.ACTIVATED, actor=actor, reason=reason)
            return self.get(integration_id)

    def revoke(
        self,
        integration_id: str,
        *,
        by: Revoker,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> Integration:
        with self._lock:
            self._known(integration_id)
            self._emit(
                integration_id,
                EventKind.REVOKED,
                actor=actor or by.value,
                reason=reason,
                clause="1.1.1",
                evidence={**(evidence or {}), "revoker": by.value},
            )
            self._revoked.update(self._declared[integration_id].credential_entries)
            return self.get(integration_id)

    def suspend(
        self,
        integration_id: str,
        *,
        cause: SuspensionCause,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Integration:
        with self._lock:
            self._known(integration_id)
            self._emit(
                integration_id,
                EventKind.SUSPENDED,
                actor=actor,
                reason=reason,
                clause="1.1.2",
                evidence={**(evidence or {}), "cause": cause.value},
            )
            return self.get(integration_id)

    def reinstate(self, integration_id: str, *, reason: str, actor: str) -> Integration:
        with self._lock:
            self._known(integration_id)
            self._emit(
                integration_id, EventKind.REINSTATED, actor=actor, reason=reason, clause="1.1.2"
            )
            return self.get(integration_id)

    def replace_credential(
        self, integration_id: str, new_name: str, *, actor: str, reason: str = ""
    ) -> Integration:
        with self._lock:
            self._known(integration_id)
            if new_name in self._revoked:
                raise ValidationError("credential", "that entry was revoked")
            self._emit(integration_id, EventKind.CREDENTIAL_REPLACED, actor=actor, reason=reason)
            self._declared[integration_id] = attrs.evolve(
                self._declared[integration_id], credential=new_name
            )
            self._snapshots.pop(integration_id, None)
            return self.get(integration_id)

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
        if kind not in (EventKind.DEPRECATION_NOTICED, EventKind.SIGNAL_RECORDED):
            raise ValidationError("kind", "record() takes deprecation_noticed or signal_recorded")
        with self._lock:
            self._known(integration_id)
            return self._emit(
                integration_id, kind, actor=actor, reason=reason, clause=clause, evidence=evidence
            )

    def history(self, integration_id: str) -> tuple[Event, ...]:
        with self._lock:
            self._known(integration_id)
            return tuple(self._events[integration_id])

    def is_credential_revoked(self, entry_name: str) -> bool:
        with self._lock:
            return entry_name in self._revoked

    def revoked_credentials(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._revoked)

    # -- test conveniences -----------------------------------------------------

    def events(self, integration_id: str, kind: EventKind) -> list[Event]:
        return [e for e in self.history(integration_id) if e.kind is kind]


class FakeKeystore:
    """name -> Secret, in memory."""

    def __init__(self, values: Mapping[str, str | Secret] | None = None) -> None:
        self._values: dict[str, Secret] = {}
        for name, value in (values or {}).items():
            self.set(name, value)
        self.reads = 0

    def set(self, name: str, value: str | Secret) -> None:
        self._values[name] = value if isinstance(value, Secret) else Secret(value, label=name)

    def get(self, name: str) -> Secret:
        self.reads += 1
        try:
            return self._values[name]
        except KeyError:
            raise KeystoreError(f"no keystore entry {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._values


@attrs.frozen
class FakeDecision:
    allowed: bool
    findings: tuple[str, ...] = ()

    def summary(self) -> str:
        return "allowed" if self.allowed else "denied: " + "; ".join(self.findings)


class FakeEngine:
    """Allows a call when the integration is ACTIVE and not explicitly denied."""

    def __init__(self) -> None:
        self.denied: set[str] = set()
        self.calls: list[tuple[str, Any, datetime | None]] = []

    def evaluate(
        self, integration: Integration, action: Any, at: datetime | None = None
    ) -> FakeDecision:
        self.calls.append((integration.id, action, at))
        if integration.id in self.denied:
            return FakeDecision(False, ("LICENCE_EXPIRED: no valid licence",))
        if integration.state is not IntegrationState.ACTIVE:
            return FakeDecision(False, (f"STATE: {integration.state.value}",))
        return FakeDecision(True)


def frozen_clock(at: datetime) -> FrozenClock:
    return FrozenClock(at)
