"""The registry's changes: one transaction discipline, and the lifecycle transitions.

:class:`Changes` is the part of :class:`~hf_api_governance.Registry` that
changes an integration's state or data: every change checks the transition
(:func:`~hf_api_governance._model.lifecycle.next_state`), saves the current
state, emits its events (:meth:`Changes._emit`: ``on_event`` and the audit
log in the same transaction) and reads the integration back with only its
new events (:mod:`~hf_api_governance._registry.history`), all in one write
transaction that starts with the audit guard (:meth:`Changes._write`).
Registering, updating and syncing declarations are in
:mod:`~hf_api_governance._registry.declarations`; reads and the audit
binding in :mod:`~hf_api_governance._registry.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from hf_api_governance._base.clock import Clock, ensure_aware
from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._confidential.evidence import scrub
from hf_api_governance._confidential.redact import REDACTED, redact_text
from hf_api_governance._model import values
from hf_api_governance._model.lifecycle import CLAUSES, next_state
from hf_api_governance._model.rules import check_entry_name
from hf_api_governance._model.values import Event, EventKind, Integration, Licence, Revoker
from hf_api_governance._registry import auditing, history
from hf_api_governance._storage.store import Store, StoreConnection, StoreSession, retrying
from hf_api_governance.exceptions import IntegrationNotFound, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog

__all__ = ["Changes", "OnEvent", "licence_evidence"]

_T = TypeVar("_T")

OnEvent = Callable[[StoreConnection, Event], None]
"""An ``on_event`` hook: called with the store's connection and each stored event."""

_K = EventKind
_S = values.IntegrationState


def _auth_entries(value: Mapping[str, str] | None) -> dict[str, str]:
    """``replace_credential``'s ``auth_entries``, checked: parameter -> entry name."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("auth_entries", "must map auth parameters to entry names")
    checked: dict[str, str] = {}
    for param, name in value.items():
        if not isinstance(param, str):
            raise ValidationError("auth_entries", "parameter names must be text")
        checked[param] = check_entry_name(f"auth.{param}", name)
    return checked


def licence_evidence(licence: Licence) -> dict[str, Any]:
    """A licence as event evidence (JSON-able, secret-free)."""
    return {
        "grantor": licence.grantor,
        "scope": licence.scope,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": None if licence.valid_until is None else licence.valid_until.isoformat(),
        "reference": licence.reference,
    }


def _safe_reason(reason: str) -> str:
    """An event reason with credential shapes and secret-looking words redacted.

    Reasons are free text, often quoting what an API or a caller said; they
    are stored and shown as they are, so no credential may stay in one.
    Anything but a ``str`` is left for :class:`Event` to refuse.
    """
    if not isinstance(reason, str):  # callers without type checking pass anything
        return reason  # type: ignore[unreachable]
    text = redact_text(reason)
    if looks_like_secret(text):
        text = " ".join(REDACTED if looks_like_secret(w) else w for w in text.split(" "))
    return text


class Changes:
    """The registry's writes: :class:`~hf_api_governance.Registry` is built on it.

    A mixin: the registry (an attrs class) holds the attributes declared here.
    """

    _store: Store
    _clock: Clock
    _on_event: OnEvent | None
    _integrations: history.Kept
    _quiet: bool
    _audit: AuditLog | None

    def _write(self, body: Callable[[StoreSession], _T], *, guard: bool = True) -> _T:
        """Run ``body`` in a write transaction (:func:`retrying`) that starts with the audit guard.

        The guard (:func:`auditing.guard`) runs again on every attempt, in
        the attempt's own transaction. ``guard=False`` only for a write that
        is always rolled back (a dry run).
        """

        def guarded(tx: StoreSession) -> _T:
            if guard:
                auditing.guard(tx, self._audit, self._clock, self._store.location)
            return body(tx)

        if self._audit is not None:
            # Deferred call records first: the chain keeps the order things happened
            # in (the calls before the revocation or suspension they revealed).
            self._audit.flush()
        return retrying(self._store, guarded)

    def _read(self, tx: StoreSession, integration_id: str) -> Integration:
        """The integration with its whole history, reading only the events not kept yet."""
        kept = self._integrations.get(integration_id)
        return history.read_integration(tx, integration_id, None if kept is None else kept[1])

    def _keep(self, integration: Integration, version: Hashable | None) -> None:
        """Keep what was read (at ``version``) or committed (``None``): the next read's base."""
        self._integrations[integration.id] = (
            history.NOT_A_VERSION if version is None else version,
            integration,
        )

    # ------------------------------------------------------------ writes: helpers

    def _emit(
        self,
        tx: StoreSession,
        integration_id: str,
        kind: EventKind,
        *,
        actor: str,
        reason: str,
        clause: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Event:
        event = tx.append(
            Event(
                integration_id,
                kind,
                at if at is not None else self._clock.now(),
                actor,
                _safe_reason(reason),
                clause if clause is not None else CLAUSES[kind],
                scrub(evidence),
            )
        )
        if self._on_event is not None and not self._quiet:
            self._on_event(tx.connection, event)
        return event

    def _current(self, tx: StoreSession, integration_id: str) -> Integration:
        found = tx.get(integration_id, with_history=False)
        if found is None:
            raise IntegrationNotFound(integration_id)
        return found

    def _change(
        self,
        kind: EventKind,
        integration_id: str,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        change: Callable[[StoreSession, Integration], Integration] | None = None,
    ) -> Integration:
        """One transaction: check the transition, apply ``change``, save, record one event.

        Every transition method is this call with its event kind, the
        checked ``actor`` and ``reason``, its evidence and the change it
        makes to the current state (``None``: the state alone).
        """

        def body(tx: StoreSession) -> None:
            current = self._current(tx, integration_id)
            state = next_state(current.state, kind, integration_id)
            changed = change(tx, current) if change is not None else current
            tx.save(attrs.evolve(changed, state=state))
            self._emit(tx, integration_id, kind, actor=actor, reason=reason, evidence=evidence)

        return self._write_then_read(integration_id, body)

    def _write_then_read(
        self, integration_id: str, body: Callable[[StoreSession], object]
    ) -> Integration:
        """Run ``body`` in a write transaction and return the integration as it committed.

        The read-back takes only the events newer than what is kept
        (:mod:`~hf_api_governance._registry.history`), and is kept, once
        committed, as the base of the next read.
        """

        def written(tx: StoreSession) -> Integration:
            body(tx)
            return self._read(tx, integration_id)

        result = self._write(written)
        self._keep(result, None)
        return result

    @staticmethod
    def _refuse_revoked(tx: StoreSession, names: Iterable[str], field: str) -> None:
        for name in names:
            if tx.is_revoked(name):
                raise ValidationError(
                    field,
                    f"keystore entry {name!r} holds a revoked credential (clause 1.1.1); "
                    "store a new credential under a new entry name",
                )

    def add_licence(
        self, integration_id: str, licence: Licence, *, actor: str, reason: str = ""
    ) -> Integration:
        """Add a licence to an integration (clause 1.1.2).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``licence`` is not a Licence.
        """
        if not isinstance(licence, Licence):
            raise ValidationError("licence", f"must be a Licence, got {type(licence).__name__}")
        return self._change(
            _K.LICENCE_ADDED,
            integration_id,
            actor,
            reason,
            licence_evidence(licence),
            lambda _tx, cur: attrs.evolve(cur, licences=(*cur.licences, licence)),
        )

    def remove_licence(
        self, integration_id: str, licence: Licence, *, actor: str, reason: str = ""
    ) -> Integration:
        """Remove one licence (equal to ``licence``) from an integration.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired (its licences are then part of
                its history and stay as they were).
            ValidationError: The integration has no such licence.
        """

        def change(_tx: StoreSession, current: Integration) -> Integration:
            if licence not in current.licences:
                raise ValidationError(
                    "licence", f"integration {integration_id!r} has no such licence"
                )
            licences = list(current.licences)
            licences.remove(licence)
            return attrs.evolve(current, licences=tuple(licences))

        return self._change(
            _K.LICENCE_REMOVED,
            integration_id,
            actor,
            reason,
            licence_evidence(licence) if isinstance(licence, Licence) else None,
            change,
        )

    def verify_info(
        self, integration_id: str, *, actor: str, at: datetime | None = None
    ) -> Integration:
        """Record that the enablement information was confirmed correct and current (clause 1.1).

        Args:
            integration_id: The integration.
            actor: Who confirmed it.
            at: When it was confirmed (aware; default now). Not in the future.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``at`` is naive or in the future.
        """
        now = self._clock.now()
        when = now if at is None else ensure_aware(at, "at")
        if when > now:
            raise ValidationError("at", "a verification cannot be in the future")
        return self._change(
            _K.INFO_VERIFIED,
            integration_id,
            actor,
            "enablement information verified",
            {"verified_at": when},
            lambda _tx, cur: attrs.evolve(cur, info_verified_at=when),
        )

    def activate(self, integration_id: str, *, actor: str, reason: str = "") -> Integration:
        """Move a PENDING integration to ACTIVE.

        Calls may then go ahead, each still subject to the policy engine
        (licences, subscription, enablement information).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not PENDING (a suspended integration
                goes back to ACTIVE with :meth:`reinstate`).
        """
        return self._change(_K.ACTIVATED, integration_id, actor, reason)

    def revoke(
        self,
        integration_id: str,
        *,
        by: Revoker,
        reason: str,
        actor: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Integration:
        """Record that API access was revoked (clause 1.1.1); its credentials are dead.

        Every credential entry name of the integration is recorded as revoked
        (:meth:`is_credential_revoked`), so it is never sent again.

        Args:
            integration_id: The integration.
            by: Who revoked it (Mimecast may do so at any time, without notice).
            reason: Why, in words.
            actor: Who records it (default ``by.value``).
            evidence: Secret-free facts (scrubbed); ``revoker`` is added.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is already REVOKED or RETIRED.
            ValidationError: ``by`` is not a :class:`Revoker` (or its value),
                or ``reason`` is not text.
        """
        revoker = values.as_enum(Revoker, "by", by)
        values.check_reason(reason)

        return self._write_then_read(
            integration_id,
            lambda tx: self._revoke(tx, integration_id, revoker, reason, evidence, actor),
        )

    def _revoke(
        self,
        tx: StoreSession,
        integration_id: str,
        by: Revoker,
        reason: str,
        evidence: Mapping[str, Any] | None,
        actor: str | None,
    ) -> None:
        current = self._current(tx, integration_id)
        state = next_state(current.state, _K.REVOKED, integration_id)
        tx.save(attrs.evolve(current, state=state))
        event = self._emit(
            tx,
            integration_id,
            _K.REVOKED,
            actor=actor or by.value,
            reason=reason,
            evidence={**scrub(evidence), "revoker": by.value},
        )
        assert event.seq is not None  # noqa: S101 - stored events have a seq
        tx.mark_revoked(
            current.credential_entries, integration_id=integration_id, seq=event.seq, at=event.at
        )

    def revoke_all(
        self,
        *,
        by: Revoker = Revoker.MIMECAST,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
        service: values.Service | None = None,
    ) -> list[str]:
        """Revoke every live integration (of one service, if given) in one transaction.

        Integrations already REVOKED or RETIRED are skipped.

        Returns:
            The ids revoked, sorted.

        Raises:
            ValidationError: ``by`` is not a :class:`Revoker`, ``service`` not
                a :class:`values.Service` (or their values), or ``reason`` is not text.
        """
        revoker = values.as_enum(Revoker, "by", by)
        values.check_reason(reason)
        if service is not None:
            service = values.as_enum(values.Service, "service", service)

        def body(tx: StoreSession) -> list[str]:
            revoked: list[str] = []
            for ident, state, svc in tx.ids():
                if state in (_S.REVOKED, _S.RETIRED) or (
                    service is not None and svc is not service
                ):
                    continue
                self._revoke(tx, ident, revoker, reason, evidence, actor)
                revoked.append(ident)
            return revoked

        return self._write(body)

    def suspend(
        self,
        integration_id: str,
        *,
        cause: values.SuspensionCause,
        reason: str,
        actor: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> Integration:
        """Suspend interoperability with an ACTIVE integration's API (clause 1.1.2).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not ACTIVE.
            ValidationError: ``cause`` is not a :class:`values.SuspensionCause` (or
                its value), or ``reason`` is not text.
        """
        why = values.as_enum(values.SuspensionCause, "cause", cause)
        values.check_reason(reason)
        return self._change(
            _K.SUSPENDED, integration_id, actor, reason, {**scrub(evidence), "cause": why.value}
        )

    def reinstate(self, integration_id: str, *, reason: str, actor: str) -> Integration:
        """Lift a suspension: SUSPENDED back to ACTIVE.

        The suspension and its cause stay in the history; calls may go ahead again.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not SUSPENDED (a revoked or retired
                integration stays so).
        """
        return self._change(_K.REINSTATED, integration_id, actor, reason)

    def replace_credential(
        self,
        integration_id: str,
        new_name: str | None = None,
        *,
        auth_entries: Mapping[str, str] | None = None,
        actor: str,
        reason: str = "",
    ) -> Integration:
        """Point the integration at new keystore entries; the way out of REVOKED (to ACTIVE).

        ``new_name`` replaces ``credential``; ``auth_entries`` replaces entry
        parameters of the :class:`values.AuthSpec` (``{"client_secret":
        "okta-secret-2"}``), in the same transaction and event. The
        replacement is refused while any entry the integration would use is
        revoked.

        Args:
            integration_id: The integration.
            new_name: The new ``credential`` entry name, if it changes.
            auth_entries: New entry names by auth parameter, if they change.
            actor: Who replaces it.
            reason: Why, in words.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: Neither ``new_name`` nor ``auth_entries`` is
                given; a name is not an entry name, looks like a secret, or is
                itself revoked; a parameter is not an entry parameter of the
                integration's auth scheme (or it has none); or another entry
                it uses is revoked.
        """
        if new_name is not None:
            check_entry_name("credential", new_name)
        new_auth = _auth_entries(auth_entries)
        if new_name is None and not new_auth:
            raise ValidationError("credential", "give the new entry name(s) to use")

        def change(tx: StoreSession, current: Integration) -> Integration:
            self._refuse_revoked(tx, [n for n in [new_name, *new_auth.values()] if n], "credential")
            replaced = current
            if new_name is not None:
                replaced = attrs.evolve(replaced, credential=new_name)
            if new_auth:
                auth = current.auth
                if auth is None:
                    raise ValidationError(
                        "auth", f"integration {integration_id!r} has no auth spec to change"
                    )
                entry_params = values.AUTH_SCHEMES[auth.scheme][0]
                for param in new_auth:
                    if param not in entry_params:
                        raise ValidationError(
                            f"auth.{param}", f"is not an entry parameter of scheme {auth.scheme}"
                        )
                replaced = attrs.evolve(
                    replaced, auth=values.AuthSpec(auth.scheme, {**auth.params, **new_auth})
                )
            self._refuse_revoked(tx, replaced.credential_entries, "auth")
            return replaced

        evidence: dict[str, Any] = {}
        if new_name is not None:
            evidence["credential_entry"] = new_name
        if new_auth:
            # A list, not a mapping: a key such as "client_secret" would be redacted.
            evidence["auth_entries"] = [
                {"parameter": param, "entry": name} for param, name in sorted(new_auth.items())
            ]
        return self._change(_K.CREDENTIAL_REPLACED, integration_id, actor, reason, evidence, change)

    def retire(self, integration_id: str, *, actor: str, reason: str = "") -> Integration:
        """Retire an integration for good (final state).

        Its credentials are never sent again; its history stays, for the audit.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is already retired.
        """
        return self._change(_K.RETIRED, integration_id, actor, reason)

    def record(
        self,
        integration_id: str,
        kind: EventKind,
        *,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        clause: str | None = None,
    ) -> Event:
        """Record a fact that does not change the state (a deprecation notice, a signal).

        Args:
            integration_id: The integration.
            kind: ``EventKind.DEPRECATION_NOTICED`` or ``EventKind.SIGNAL_RECORDED``.
            actor: Who (or which component) saw it.
            reason: What was seen, in words.
            evidence: Secret-free facts (scrubbed).
            clause: The clause it concerns (default by kind).

        Returns:
            The stored event, with its ``seq``.

        Raises:
            ValidationError: ``kind`` changes state; use the matching method.
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
        """
        if kind not in (_K.DEPRECATION_NOTICED, _K.SIGNAL_RECORDED):
            raise ValidationError(
                "kind", "record() only takes deprecation_noticed or signal_recorded"
            )

        def body(tx: StoreSession) -> Event:
            current = self._current(tx, integration_id)
            next_state(current.state, kind, integration_id)
            return self._emit(
                tx,
                integration_id,
                kind,
                actor=actor,
                reason=reason,
                clause=clause,
                evidence=evidence,
            )

        return self._write(body)
