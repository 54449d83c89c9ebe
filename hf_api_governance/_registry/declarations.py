"""Declarations: registering and updating integrations, and syncing with an inventory.

:class:`Declarations` is the part of :class:`~hf_api_governance.Registry`
that writes what an inventory declares (:meth:`~Declarations.register`,
:meth:`~Declarations.update`, :meth:`~Declarations.sync`), through the same
transaction discipline as every change (:class:`~hf_api_governance._registry.changes.Changes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

import attrs

from hf_api_governance._model.lifecycle import next_state
from hf_api_governance._model.values import EventKind, Integration, IntegrationState, Licence
from hf_api_governance._registry.changes import Changes, licence_evidence
from hf_api_governance._storage.store import StoreSession
from hf_api_governance.exceptions import ValidationError

__all__ = ["Declarations", "SyncReport"]

_K = EventKind
_S = IntegrationState

_DECLARED_FIELDS: Final = tuple(
    f.name
    for f in attrs.fields(Integration)
    if f.name not in ("id", "licences", "state", "history")
)
"""What an UPDATED event compares (the licences have events of their own)."""


@attrs.frozen
class SyncReport:
    """What :meth:`Registry.sync` did, by integration id.

    Attributes:
        added: Declared in the inventory and newly registered.
        updated: Declared fields or licences changed (one event per change).
        unchanged: Declared and already identical.
        undeclared: In the registry (not retired) but absent from the
            inventory. Nothing is deleted: retire them explicitly.
    """

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    undeclared: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the sync wrote anything."""
        return bool(self.added or self.updated)


class _DryRun(Exception):
    """Raised inside a dry-run sync's transaction to roll it back, carrying the report."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report


def _changed_fields(old: Integration, new: Integration) -> list[str]:
    return [f for f in _DECLARED_FIELDS if getattr(old, f) != getattr(new, f)]


def _licence_diff(
    old: tuple[Licence, ...], new: tuple[Licence, ...]
) -> tuple[list[Licence], list[Licence]]:
    """Licences to remove and to add (multiset difference, order kept)."""
    to_remove = Counter(old) - Counter(new)
    to_add = Counter(new) - Counter(old)
    removed: list[Licence] = []
    for lic in old:
        if to_remove[lic] > 0:
            to_remove[lic] -= 1
            removed.append(lic)
    added: list[Licence] = []
    for lic in new:
        if to_add[lic] > 0:
            to_add[lic] -= 1
            added.append(lic)
    return removed, added


class Declarations(Changes):
    """The registry's declaration writes: :class:`~hf_api_governance.Registry` is built on it."""

    # ------------------------------------------------------------ writes

    def register(self, integration: Integration, *, actor: str, reason: str = "") -> Integration:
        """Register a new integration (state PENDING) from its declaration.

        ``integration.state`` and ``integration.history`` are ignored.

        Raises:
            IllegalTransition: An integration with that id is already registered.
            ValidationError: It names a revoked credential entry.
        """
        return self._write_then_read(
            integration.id,
            lambda tx: self._register(tx, integration, actor=actor, reason=reason),
        )

    def _register(
        self, tx: StoreSession, integration: Integration, *, actor: str, reason: str
    ) -> None:
        existing = tx.get(integration.id, with_history=False)
        state = next_state(
            None if existing is None else existing.state, _K.REGISTERED, integration.id
        )
        self._refuse_revoked(tx, integration.credential_entries, "credential")
        tx.insert(attrs.evolve(integration.declared(), state=state))
        self._emit(tx, integration.id, _K.REGISTERED, actor=actor, reason=reason)

    def update(self, integration: Integration, *, actor: str, reason: str = "") -> Integration:
        """Replace the declared fields of a registered integration (one UPDATED event).

        Licences are changed with :meth:`add_licence` and :meth:`remove_licence`;
        ``state`` and ``history`` are ignored. An update that changes nothing
        records nothing.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``licences`` differ from the stored ones, or it
                names a revoked credential entry it did not use before.
        """
        return self._write_then_read(
            integration.id,
            lambda tx: self._update(
                tx, integration, actor=actor, reason=reason, allow_licences=False
            ),
        )

    def _update(
        self,
        tx: StoreSession,
        integration: Integration,
        *,
        actor: str,
        reason: str,
        allow_licences: bool,
    ) -> bool:
        current = self._current(tx, integration.id)
        fields = _changed_fields(current, integration)
        removed, added = _licence_diff(current.licences, integration.licences)
        if (removed or added) and not allow_licences:
            raise ValidationError(
                "licences", "are changed with add_licence() and remove_licence(), not update()"
            )
        if not (fields or removed or added):
            return False
        new_names = [
            n for n in integration.credential_entries if n not in current.credential_entries
        ]
        self._refuse_revoked(tx, new_names, "credential")
        # One event per change, checked in order against the state machine first.
        events = [(_K.UPDATED, {"fields": fields})] if fields else []
        events += [(_K.LICENCE_REMOVED, licence_evidence(lic)) for lic in removed]
        events += [(_K.LICENCE_ADDED, licence_evidence(lic)) for lic in added]
        state = current.state
        for kind, _evidence in events:
            state = next_state(state, kind, integration.id)
        licences = list(current.licences)
        for lic in removed:
            licences.remove(lic)
        licences += added
        tx.save(attrs.evolve(integration.declared(), licences=tuple(licences), state=current.state))
        for kind, evidence in events:
            self._emit(tx, integration.id, kind, actor=actor, reason=reason, evidence=evidence)
        return True

    def sync(
        self, inventory: Iterable[Integration], *, actor: str, dry_run: bool = False
    ) -> SyncReport:
        """Make the registry match an inventory's declarations, in one transaction.

        New ids are registered; for known ids, changed declared fields record
        one UPDATED event and each licence difference one LICENCE_REMOVED or
        LICENCE_ADDED event. An ``info_verified_at`` older than the stored one
        (or absent) never moves the stored one back. Ids in the registry but
        not in the inventory are reported as undeclared, never deleted (retired
        ones are not reported). If anything fails, nothing is written.

        With ``dry_run``, the sync runs exactly as it would (same checks,
        same refusals) inside a transaction that is then rolled back: the
        report says what would change, and nothing is written, not even to
        the audit log.

        Args:
            inventory: Declarations, e.g. from :func:`load_inventory`.
            actor: Who applies it.
            dry_run: Report what would change without writing anything.

        Returns:
            The :class:`SyncReport`.

        Raises:
            ValidationError: Two declarations share an id, or one names a
                revoked credential.
            IllegalTransition: A retired integration would need a change.
        """
        declared = list(inventory)
        seen: set[str] = set()
        for item in declared:
            if not isinstance(item, Integration):
                raise ValidationError(
                    "inventory", f"must hold Integration, got {type(item).__name__}"
                )
            if item.id in seen:
                raise ValidationError("id", f"integration {item.id!r} is declared twice")
            seen.add(item.id)
        reason = "inventory sync"

        def body(tx: StoreSession) -> SyncReport:
            # Set and reset under the store's lock: no other write can emit meanwhile.
            self._quiet = dry_run
            try:
                report = self._sync(tx, declared, seen, actor, reason)
            finally:
                self._quiet = False
            if dry_run:
                raise _DryRun(report)  # rolls the transaction back
            return report

        try:
            return self._write(body, guard=not dry_run)
        except _DryRun as rolled_back:
            return rolled_back.report

    def _sync(
        self,
        tx: StoreSession,
        declared: list[Integration],
        seen: set[str],
        actor: str,
        reason: str,
    ) -> SyncReport:
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        existing = {ident: state for ident, state, _svc in tx.ids()}
        for item in declared:
            if item.id not in existing:
                self._register(tx, item, actor=actor, reason=reason)
                added.append(item.id)
                continue
            current = self._current(tx, item.id)
            if current.info_verified_at is not None and (
                item.info_verified_at is None or item.info_verified_at < current.info_verified_at
            ):
                item = attrs.evolve(item, info_verified_at=current.info_verified_at)
            if self._update(tx, item, actor=actor, reason=reason, allow_licences=True):
                updated.append(item.id)
            else:
                unchanged.append(item.id)
        undeclared = sorted(
            ident
            for ident, state in existing.items()
            if ident not in seen and state is not _S.RETIRED
        )
        return SyncReport(tuple(added), tuple(updated), tuple(unchanged), tuple(undeclared))
