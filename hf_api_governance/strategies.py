"""Hypothesis strategies for the domain model, for property-testing policies and hooks.

Requires ``hypothesis`` (the ``test`` extra). Example::

    from hypothesis import given
    from hf_api_governance import strategies as hst

    @given(hst.integrations(), hst.instants())
    def test_my_hook_never_crashes(integration, at):
        ...

Every strategy yields valid values: they pass the model's validation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
from hypothesis import strategies as st

from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._model import values
from hf_api_governance._model.lifecycle import CLAUSES, next_state, shortest_path
from hf_api_governance._model.values import (
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
)
from hf_api_governance._policy import Action, PolicySettings
from hf_api_governance.exceptions import IllegalTransition

__all__ = [
    "actions",
    "auth_specs",
    "entry_names",
    "histories",
    "instants",
    "integration_ids",
    "integrations",
    "licences",
    "policy_settings",
]

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_END = datetime(2035, 1, 1, tzinfo=UTC)


def instants(
    min_value: datetime = _EPOCH, max_value: datetime = _END
) -> st.SearchStrategy[datetime]:
    """Aware UTC instants, with a bias towards midnight boundaries."""
    lo, hi = min_value.replace(tzinfo=None), max_value.replace(tzinfo=None)
    plain = st.datetimes(min_value=lo, max_value=hi, timezones=st.just(UTC))
    midnights = st.dates(min_value=lo.date(), max_value=hi.date()).map(
        lambda d: datetime(d.year, d.month, d.day, tzinfo=UTC)
    )
    return st.one_of(plain, midnights)


def actions() -> st.SearchStrategy[Action]:
    """Every :class:`~hf_api_governance.Action`."""
    return st.sampled_from(Action)


def policy_settings() -> st.SearchStrategy[PolicySettings]:
    """Policy thresholds: a licence warning of 0 to 120 days, an information age of 0 to 720."""
    return st.builds(
        PolicySettings,
        licence_warning=st.integers(0, 120).map(lambda d: timedelta(days=d)),
        info_max_age=st.integers(0, 720).map(lambda d: timedelta(days=d)),
    )


def integration_ids() -> st.SearchStrategy[str]:
    """Valid integration ids (slugs)."""
    return st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\Z")


def entry_names() -> st.SearchStrategy[str]:
    """Valid keystore entry names that do not look like secret values."""
    words = st.sampled_from(["okta", "entra", "mc", "aware", "engage", "incydr", "hr", "siem"])
    roles = st.sampled_from(["token", "client-id", "client-secret", "api-key", "password", "user"])
    return st.builds(
        lambda a, b, n: f"{a}-{b}" + (f"-{n}" if n else ""), words, roles, st.integers(0, 99)
    )


def _texts() -> st.SearchStrategy[str]:
    return st.text(
        # Letters, digits and the plain space: other Zs characters (U+00A0...)
        # are not printable, which the model refuses in names.
        st.characters(codec="utf-8", categories=("L", "N"), include_characters=" "),
        min_size=1,
        max_size=30,
    ).filter(lambda s: s.strip() != "" and s.isprintable() and not looks_like_secret(s))


def _day_or_instant() -> st.SearchStrategy[date | datetime]:
    return st.one_of(st.dates(min_value=date(2020, 1, 1), max_value=date(2034, 12, 1)), instants())


@st.composite
def licences(draw: st.DrawFn, grantor: str | None = None) -> Licence:
    """Licences with date or datetime bounds, open-ended or not."""
    start = draw(_day_or_instant())
    start_at = Licence("x", "x", start).starts_at
    end: date | datetime | None = None
    if draw(st.booleans()):
        length = draw(st.integers(min_value=1, max_value=3 * 365))
        if isinstance(start, datetime) or draw(st.booleans()):
            end = start_at + timedelta(days=length, seconds=draw(st.integers(0, 86399)))
        else:
            end = start + timedelta(days=length - 1)
    return Licence(
        grantor=grantor
        or draw(st.sampled_from(["Okta", "Microsoft", "Workday", "Slack", "Splunk"])),
        scope=draw(st.sampled_from(["API", "Directory API", "HR feed", "Events API"])),
        valid_from=start,
        valid_until=end,
        holder=draw(st.none() | st.just("Example Corp")),
        reference=draw(st.none() | st.from_regex(r"\A[A-Z]{2,4}-[0-9]{1,6}\Z")),
    )


@st.composite
def auth_specs(draw: st.DrawFn) -> AuthSpec:
    """Valid auth specs for every scheme."""
    name = entry_names()
    scheme = draw(
        st.sampled_from(
            ["oauth2_client_credentials", "mimecast_hmac_v1", "bearer", "api_key_header", "basic"]
        )
    )
    params: dict[str, str]
    if scheme == "oauth2_client_credentials":
        params = {
            "token_url": "https://api.services.mimecast.com/oauth/token",
            "client_id": draw(name),
            "client_secret": draw(name),
        }
        if draw(st.booleans()):
            params["client_auth"] = draw(st.sampled_from(["body", "basic"]))
    elif scheme == "mimecast_hmac_v1":
        params = {k: draw(name) for k in ("access_key", "secret_key", "app_id", "app_key")}
    elif scheme == "bearer":
        params = {"token": draw(name)}
    elif scheme == "api_key_header":
        params = {"header": "X-Api-Key", "key": draw(name)}
    else:
        params = {"username": draw(name), "password": draw(name)}
    return AuthSpec(scheme, params)


@st.composite
def integrations(
    draw: st.DrawFn,
    *,
    kind: ApiKind | None = None,
    state: IntegrationState | None = None,
    with_history: bool = False,
) -> Integration:
    """Valid integrations; with ``with_history`` a consistent history is attached.

    Args:
        draw: Supplied by hypothesis.
        kind: Fix the API kind.
        state: Fix the lifecycle state (a matching history is generated
            when ``with_history`` is true).
        with_history: Attach a history that replays to ``state``.
    """
    ident = draw(integration_ids())
    service = draw(st.sampled_from(values.Service))
    api_kind = kind or draw(st.sampled_from(ApiKind))
    vendor = (
        "Mimecast"
        if api_kind is ApiKind.MIMECAST_API
        else draw(st.sampled_from(["Okta", "Microsoft", "Workday", "Slack", "Splunk"]))
    )
    host = draw(st.sampled_from(["api.example.com", "example.okta.com", "127.0.0.1:8443"]))
    scheme = "http" if host.startswith("127.") and draw(st.booleans()) else "https"
    integration = Integration(
        id=ident,
        name=draw(_texts()),
        service=service,
        kind=api_kind,
        vendor=vendor,
        base_url=f"{scheme}://{host}/api/v{draw(st.integers(1, 3))}",
        owner=draw(st.sampled_from(["identity-team@example.com", "Platform Team", "secops"])),
        api_version=draw(st.none() | st.sampled_from(["1.0", "2.0", "v1"])),
        credential=draw(st.none() | entry_names()),
        licences=draw(st.lists(licences(vendor), max_size=3)),
        enablement=draw(
            st.dictionaries(
                st.sampled_from(["tenant", "region", "scopes", "contact", "app_id"]),
                st.one_of(
                    _texts().filter(lambda s: not looks_like_secret(s)),
                    st.integers(0, 10_000),
                    st.booleans(),
                ),
                max_size=3,
            )
        ),
        info_verified_at=draw(st.none() | instants()),
        auth=draw(st.none() | auth_specs()),
    )
    if with_history or state is not None:
        events = draw(histories(ident, end_state=state))
        final = events[-1] if events else None
        integration = attrs.evolve(
            integration,
            state=_replay_state(events) if final else IntegrationState.PENDING,
            history=tuple(events),
        )
    return integration


def _replay_state(events: list[Event]) -> IntegrationState:
    state: IntegrationState | None = None
    for event in events:
        state = next_state(state, event.kind, event.integration_id)
    assert state is not None  # noqa: S101 - histories are never empty
    return state


def _evidence(draw: st.DrawFn, kind: EventKind) -> dict[str, str]:
    if kind is EventKind.REVOKED:
        return {"revoker": draw(st.sampled_from(values.Revoker)).value}
    if kind is EventKind.SUSPENDED:
        return {"cause": draw(st.sampled_from(values.SuspensionCause)).value}
    if kind is EventKind.DEPRECATION_NOTICED:
        return {"header": "Deprecation", "value": "@1767225600"}
    return {}


_PATH_EVIDENCE: dict[EventKind, dict[str, str]] = {
    EventKind.REVOKED: {"revoker": "customer"},
    EventKind.SUSPENDED: {"cause": "manual"},
}


@st.composite
def histories(
    draw: st.DrawFn,
    integration_id: str = "example",
    *,
    end_state: IntegrationState | None = None,
    max_events: int = 12,
) -> list[Event]:
    """Histories that obey the lifecycle, starting with REGISTERED, times increasing.

    Args:
        draw: Supplied by hypothesis.
        integration_id: The id the events carry.
        end_state: When given, only histories ending in that state.
        max_events: Upper bound on the number of events.
    """
    at = draw(instants(max_value=datetime(2030, 1, 1, tzinfo=UTC)))
    events = [Event(integration_id, EventKind.REGISTERED, at, "provisioner", "declared", "1.1")]
    state: IntegrationState = IntegrationState.PENDING
    steps = draw(st.integers(0, max_events - 1))
    for _ in range(steps):
        possible = []
        for kind in EventKind:
            try:
                target = next_state(state, kind)
            except IllegalTransition:
                continue
            if end_state is None or target is end_state or _reachable(target, end_state):
                possible.append((kind, target))
        if not possible:
            break
        kind, state = draw(st.sampled_from(possible))
        at = at + timedelta(seconds=draw(st.integers(1, 90 * 86400)))
        evidence = _evidence(draw, kind)
        actor = "mimecast" if evidence.get("revoker") == "mimecast" else "operator@example.com"
        events.append(
            Event(
                integration_id,
                kind,
                at,
                actor,
                f"{kind.value} in test",
                CLAUSES[kind],
                evidence,
            )
        )
    if end_state is not None and state is not end_state:
        events.extend(_path_to(integration_id, state, end_state, at))
    return events


def _reachable(state: IntegrationState, target: IntegrationState) -> bool:
    return shortest_path(state, target) is not None


def _path_to(
    integration_id: str, state: IntegrationState, target: IntegrationState, at: datetime
) -> list[Event]:
    """Events along the shortest path from ``state`` to ``target``, one minute apart."""
    path = shortest_path(state, target)
    if path is None:  # pragma: no cover - callers check _reachable first
        raise ValueError(f"no path from {state} to {target}")
    return [
        Event(
            integration_id,
            kind,
            at + timedelta(minutes=i),
            "operator@example.com",
            "to target state",
            CLAUSES[kind],
            _PATH_EVIDENCE.get(kind, {}),
        )
        for i, kind in enumerate(path, 1)
    ]
