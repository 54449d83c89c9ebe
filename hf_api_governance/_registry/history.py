"""What the registry keeps of each integration between calls, and how a read catches up.

An integration's current values and state are its ``integrations`` row (the
snapshot, written in the same transaction as each event); its history is
append-only. The registry keeps the last integration it read or wrote, with
its history, and a later read (or the read-back that ends a transition)
takes only the events newer than the last one it holds, with one index range
query, and replays only those from the kept state: the cost of :meth:`get
<hf_api_governance.Registry.get>` and of every transition does not grow with
the length of the history (docs/registry.md, "History and the current state").

The kept history is trusted only while its last event is still stored
unchanged at its position; otherwise (a database replaced or restored under
an open registry) the whole history is read and replayed again, as on the
first read. A state that the events do not replay to fails closed
(:class:`~hf_api_governance.exceptions.StoreError`), as a full read does.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final

import attrs

from hf_api_governance._base.construct import trusted
from hf_api_governance._model.lifecycle import replay
from hf_api_governance._model.values import Integration
from hf_api_governance._storage.rows import check_replayed
from hf_api_governance._storage.store import StoreSession
from hf_api_governance.exceptions import IntegrationNotFound

__all__ = ["NOT_A_VERSION", "Kept", "read_integration"]

NOT_A_VERSION: Final[Hashable] = object()
"""The version of what a write returned: never equal to a store's token (a base, not a hit)."""

Kept = dict[str, tuple[Hashable, Integration]]
"""Per integration id: ``(store version it was read at, integration with its history)``."""

_FIELDS: Final = tuple(f.name for f in attrs.fields(Integration) if f.name != "history")


def read_integration(
    tx: StoreSession, integration_id: str, known: Integration | None
) -> Integration:
    """The integration with its whole history, in ``tx``, reading only what ``known`` lacks.

    Args:
        tx: A read or write transaction.
        integration_id: The integration.
        known: The integration as read (and committed) earlier, if any.

    Raises:
        IntegrationNotFound: No integration has that id.
        StoreError: Its state is not what its history replays to.
    """
    current = tx.get(integration_id, with_history=False)
    if current is None:
        raise IntegrationNotFound(integration_id)
    prior = () if known is None else known.history
    history = None
    if prior:
        last = prior[-1]
        assert last.seq is not None  # noqa: S101 - stored events have a seq
        newer = tx.history(integration_id, after=last.seq - 1)
        if newer and newer[0] == last:  # still stored as it was: the kept history holds
            history = prior + newer[1:]
            state = replay(newer[1:], start=known.state if known is not None else None)
    if history is None:
        history = tx.history(integration_id)
        state = replay(history)
    check_replayed(integration_id, current.state, state)
    values = {name: getattr(current, name) for name in _FIELDS}
    return trusted(Integration, history=history, **values)
