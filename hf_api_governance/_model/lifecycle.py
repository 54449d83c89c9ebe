"""The lifecycle table: which event moves an integration from which state to which.

PENDING -> ACTIVE <-> SUSPENDED; any live state -> REVOKED; any -> RETIRED.
The table is data (``TRANSITIONS``); :func:`next_state` reads it and
:func:`replay` folds a history into a state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Final

from hf_api_governance._base.construct import copier
from hf_api_governance._model.values import Event, EventKind, Integration, IntegrationState
from hf_api_governance.exceptions import IllegalTransition, ValidationError

__all__ = ["CLAUSES", "as_enabled", "next_state", "replay", "shortest_path"]

# ------------------------------------------------------------------ state machine

_S = IntegrationState
_K = EventKind
LIVE: Final = frozenset({_S.PENDING, _S.ACTIVE, _S.SUSPENDED, _S.REVOKED})

# kind -> {from state: to state}. ``None`` stands for "not registered yet".
TRANSITIONS: Final[Mapping[EventKind, Mapping[IntegrationState | None, IntegrationState]]] = {
    _K.REGISTERED: {None: _S.PENDING},
    _K.ACTIVATED: {_S.PENDING: _S.ACTIVE},
    _K.SUSPENDED: {_S.ACTIVE: _S.SUSPENDED},
    _K.REINSTATED: {_S.SUSPENDED: _S.ACTIVE},
    _K.REVOKED: dict.fromkeys((_S.PENDING, _S.ACTIVE, _S.SUSPENDED), _S.REVOKED),
    _K.CREDENTIAL_REPLACED: {
        _S.PENDING: _S.PENDING,
        _S.ACTIVE: _S.ACTIVE,
        _S.SUSPENDED: _S.SUSPENDED,
        _S.REVOKED: _S.ACTIVE,
    },
    _K.RETIRED: dict.fromkeys(LIVE, _S.RETIRED),
    **{
        kind: {s: s for s in LIVE}
        for kind in (
            _K.UPDATED,
            _K.LICENCE_ADDED,
            _K.LICENCE_REMOVED,
            _K.INFO_VERIFIED,
            _K.DEPRECATION_NOTICED,
            _K.SIGNAL_RECORDED,
        )
    },
}

OPERATION: Final = {
    _K.REGISTERED: "register",
    _K.UPDATED: "update",
    _K.LICENCE_ADDED: "add a licence",
    _K.LICENCE_REMOVED: "remove a licence",
    _K.INFO_VERIFIED: "verify information",
    _K.ACTIVATED: "activate",
    _K.REVOKED: "revoke",
    _K.SUSPENDED: "suspend",
    _K.REINSTATED: "reinstate",
    _K.RETIRED: "retire",
    _K.CREDENTIAL_REPLACED: "replace the credential",
    _K.DEPRECATION_NOTICED: "record a deprecation notice",
    _K.SIGNAL_RECORDED: "record a signal",
}


CLAUSES: Final[Mapping[EventKind, str | None]] = {
    EventKind.REGISTERED: "1.1",
    EventKind.UPDATED: "1.1",
    EventKind.INFO_VERIFIED: "1.1",
    EventKind.LICENCE_ADDED: "1.1.2",
    EventKind.LICENCE_REMOVED: "1.1.2",
    EventKind.ACTIVATED: None,
    EventKind.REVOKED: "1.1.1",
    EventKind.CREDENTIAL_REPLACED: "1.1.1",
    EventKind.SUSPENDED: "1.1.2",
    EventKind.REINSTATED: "1.1.2",
    EventKind.RETIRED: None,
    EventKind.DEPRECATION_NOTICED: "1.1.2",
    EventKind.SIGNAL_RECORDED: None,
}
"""The contract clause each kind of event concerns by default (what the registry records)."""


def next_state(
    current: IntegrationState | None, kind: EventKind, integration_id: str = "?"
) -> IntegrationState:
    """Return the state an event of ``kind`` leads to from ``current``.

    The lifecycle (DESIGN.md section 2)::

        (new) --registered--> PENDING --activated--> ACTIVE <--suspended/reinstated--> SUSPENDED
        PENDING | ACTIVE | SUSPENDED --revoked--> REVOKED --credential_replaced--> ACTIVE
        any state but RETIRED --retired--> RETIRED (final: nothing changes it)

    Events that record data (updated, licence added or removed, information
    verified, deprecation noticed, signal recorded) and a credential
    replacement outside REVOKED keep the state, and are refused on a RETIRED
    integration.

    Args:
        current: The present state, or ``None`` for an integration that is not
            registered yet.
        kind: The event.
        integration_id: For the error message.

    Returns:
        The new state.

    Raises:
        IllegalTransition: The state machine forbids the event in ``current``.
    """
    target = TRANSITIONS[kind].get(current)
    if target is None:
        raise IllegalTransition(
            integration_id,
            current.value if current is not None else "not registered",
            OPERATION[kind],
        )
    return target


def shortest_path(
    current: IntegrationState | None, target: IntegrationState
) -> list[EventKind] | None:
    """The shortest list of events leading from ``current`` to ``target``.

    A breadth-first search over :func:`next_state`, events tried in
    :class:`EventKind` order. Returns ``[]`` when ``current`` is ``target``
    and ``None`` when ``target`` cannot be reached (from RETIRED, nothing can).
    """
    frontier: list[tuple[IntegrationState | None, list[EventKind]]] = [(current, [])]
    seen: set[IntegrationState | None] = {current}
    while frontier:
        state, path = frontier.pop(0)
        if state is target:
            return path
        for kind in EventKind:
            nxt = TRANSITIONS[kind].get(state)
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                frontier.append((nxt, [*path, kind]))
    return None


def replay(
    events: Iterable[Event], *, start: IntegrationState | None = None
) -> IntegrationState | None:
    """Replay a history and return the state it leads to.

    Args:
        events: The events, oldest first.
        start: The state before the first of them (default: none, a history
            replayed from its beginning).

    Returns:
        ``start`` for no events (``None`` for an empty history).

    Raises:
        IllegalTransition: The history contains an impossible step.
    """
    state = start
    for event in events:
        state = next_state(state, event.kind, event.integration_id)
    return state


def as_enabled(at: datetime, actor: str) -> Callable[[Integration], Integration]:
    """What registering, then activating a declared integration at ``at`` makes of it.

    The returned function gives an integration the state and history that
    ``sync`` then ``activate`` in an empty registry would give it: ACTIVE,
    after REGISTERED and ACTIVATED events at ``at`` by ``actor``.

    ``at`` and ``actor`` are validated once, here, by building the two events;
    each integration was validated when it was built, so its copy is made
    without validating anything again (:func:`trusted`): an inventory of
    100,000 integrations is not validated twice.

    Raises:
        ValidationError: ``at`` or ``actor`` is invalid (here), or the
            function is given something that is not an :class:`Integration`.
    """
    reg, act = EventKind.REGISTERED, EventKind.ACTIVATED
    registered = Event("template", reg, at, actor, "inventory sync", CLAUSES[reg])
    activated = Event("template", act, at, actor, "evaluate as enabled", CLAUSES[act])
    event_for = copier(Event, ("integration_id",))
    enable = copier(Integration, ("state", "history"))
    active = IntegrationState.ACTIVE

    def enabled(integration: Integration) -> Integration:
        if not isinstance(integration, Integration):
            raise ValidationError(
                "inventory", f"expected Integration items, got {type(integration).__name__}"
            )
        ident = integration.id
        return enable(
            integration, active, (event_for(registered, ident), event_for(activated, ident))
        )

    return enabled
