"""The domain model: validation, licence windows and the lifecycle state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    IllegalTransition,
    Integration,
    IntegrationState,
    Licence,
    LicenceStatus,
    Secret,
    Service,
    ValidationError,
)
from hf_api_governance import strategies as hst
from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._model.lifecycle import next_state, replay

S = IntegrationState
K = EventKind


def make(**overrides: object) -> Integration:
    fields: dict[str, object] = {
        "id": "okta-directory",
        "name": "Okta directory sync",
        "service": "engage",
        "kind": "third_party_api",
        "vendor": "Okta",
        "base_url": "https://example.okta.com/api/v1",
        "owner": "identity-team@example.com",
        "credential": "okta-api-token",
    }
    fields.update(overrides)
    return Integration(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- licence window


def test_date_bounds_cover_the_whole_last_day() -> None:
    licence = Licence("Okta", "API", date(2026, 1, 1), date(2026, 12, 31))
    assert licence.starts_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert licence.ends_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert not licence.covers(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert licence.covers(datetime(2026, 1, 1, tzinfo=UTC))
    assert licence.covers(datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert not licence.covers(datetime(2027, 1, 1, tzinfo=UTC))


def test_status_at_every_boundary() -> None:
    licence = Licence("Okta", "API", date(2026, 1, 1), date(2026, 12, 31))
    end = datetime(2027, 1, 1, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    assert licence.status(datetime(2026, 1, 1, tzinfo=UTC) - tick) is LicenceStatus.NOT_YET_VALID
    assert licence.status(datetime(2026, 1, 1, tzinfo=UTC)) is LicenceStatus.VALID
    assert licence.status(end - timedelta(days=30) - tick) is LicenceStatus.VALID
    assert licence.status(end - timedelta(days=30)) is LicenceStatus.EXPIRING
    assert licence.status(end - tick) is LicenceStatus.EXPIRING
    assert licence.status(end) is LicenceStatus.EXPIRED
    assert (
        licence.status(end - timedelta(days=5), warn_within=timedelta(days=2))
        is LicenceStatus.VALID
    )


def test_open_ended_licence_never_expires() -> None:
    licence = Licence("Mimecast", "Aware subscription", date(2026, 1, 1))
    assert licence.status(datetime(2099, 1, 1, tzinfo=UTC)) is LicenceStatus.VALID
    assert licence.is_service_subscription


def test_a_last_day_of_9999_means_valid_through_that_day_without_overflow() -> None:
    """``valid_until = 9999-12-31`` (users' "no end") covers that whole last day."""
    licence = Licence("Okta", "API", date(2024, 1, 1), date.max)
    assert licence.ends_at == datetime.max.replace(tzinfo=UTC)
    assert licence.covers(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    assert licence.status(datetime(2026, 1, 1, tzinfo=UTC)) is LicenceStatus.VALID
    assert licence.status(datetime(9999, 12, 15, tzinfo=UTC)) is LicenceStatus.EXPIRING
    assert Licence("Okta", "API", date.max, date.max).covers(datetime(9999, 12, 31, tzinfo=UTC))


@pytest.mark.parametrize(
    ("field", "when"),
    [
        ("valid_until", datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))),
        ("valid_from", datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
    ],
)
def test_an_instant_outside_the_utc_range_is_refused_naming_the_field(
    field: str, when: datetime
) -> None:
    """A bound that is out of range once converted to UTC is a ValidationError, no overflow."""
    bounds = {"valid_from": date(2024, 1, 1), field: when}
    with pytest.raises(ValidationError, match=rf"^licence\.{field}: is out of range"):
        Licence("Okta", "API", **bounds)  # type: ignore[arg-type]


def test_other_instants_outside_the_utc_range_are_refused_naming_the_field() -> None:
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(ValidationError, match=r"^at: is out of range"):
        Event("okta-directory", "registered", late, "me")
    with pytest.raises(ValidationError, match=r"^info_verified_at: is out of range"):
        make(info_verified_at=late)


def test_licence_rejects_naive_and_inverted_windows() -> None:
    with pytest.raises(ValidationError, match=r"licence.valid_from: naive"):
        Licence("Okta", "API", datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError, match=r"licence.valid_until: must be after valid_from"):
        Licence("Okta", "API", date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"licence.grantor: must not be empty"):
        Licence(" ", "API", date(2026, 2, 1))
    with pytest.raises(ValidationError, match="at: naive"):
        Licence("Okta", "API", date(2026, 2, 1)).status(datetime(2026, 1, 1))  # noqa: DTZ001


@given(hst.licences(), hst.instants())
def test_status_agrees_with_covers(licence: Licence, at: datetime) -> None:
    status = licence.status(at)
    assert (status in (LicenceStatus.VALID, LicenceStatus.EXPIRING)) == licence.covers(at)


# ------------------------------------------------------------------- integration


def test_valid_integration_normalises_enums() -> None:
    integration = make()
    assert integration.service is Service.ENGAGE
    assert integration.kind is ApiKind.THIRD_PARTY_API
    assert integration.state is S.PENDING


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", "Okta Directory", "id: must be a slug"),
        ("id", "-okta", "id: must be a slug"),
        ("service", "email", "service: must be one of: engage, aware, incydr"),
        ("kind", "internal", "kind: must be one of"),
        ("base_url", "http://api.example.com", "base_url: must use https"),
        ("base_url", "api.example.com/v1", "base_url: must be an absolute http"),
        ("base_url", "https://user:pw@api.example.com", "base_url: must not contain credentials"),
        ("owner", "", "owner: must not be empty"),
        ("owner", "a@b@c", "owner: must be an e-mail address or a team name"),
        ("credential", "okta api token", "credential: must be a keystore entry name"),
        ("info_verified_at", datetime(2026, 1, 1), "info_verified_at: naive"),  # noqa: DTZ001
        ("enablement", {"client_secret": "x"}, "enablement.client_secret: must not hold secrets"),
        ("licences", ["not a licence"], r"licences\[0\]: must be a Licence"),
    ],
)
def test_bad_fields_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        make(**{field: value})
    assert info.value.field is not None
    assert info.value.field.split(".")[0].split("[")[0] == field


def test_loopback_may_use_plain_http() -> None:
    for url in ("http://127.0.0.1:8080/api", "http://localhost/api", "http://[::1]:9/x"):
        assert make(base_url=url).base_url == url


# ---------------------------------------------------------- secrets in URL queries

URL_CANARY = "CANARYq8Xv3Lm0Pn7Rt2Wb9Yc4Kd6"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        (f"https://acme.okta.com/api/v1?apiToken={URL_CANARY}", "apiToken"),
        (f"https://api.example.com/v1?api_key={URL_CANARY}", "api_key"),
        ("https://api.example.com/v1?key=short", "key"),
        ("https://api.example.com/v1?version=2&access_token=abc", "access_token"),
        ("https://blob.example.com/c?sv=2022&sig=abc", "sig"),
        ("https://api.example.com/v1?X-Amz-Signature=abc", "X-Amz-Signature"),
        ("https://fn.example.com/api/x?code=abc", "code"),
        ("https://api.example.com/v1?auth=abc", "auth"),
        ("https://api.example.com/v1?subscription-key=abc", "subscription-key"),
        ("https://api.example.com/v1?client%5Fsecret=abc", "client_secret"),
        ("https://api.example.com/v1;jsessionid=abc", "jsessionid"),
    ],
)
def test_a_credential_in_the_url_query_is_refused_naming_the_parameter(
    url: str, param: str
) -> None:
    """A credential word in a query parameter name refuses the URL, naming only the parameter."""
    with pytest.raises(ValidationError, match=r"^base_url: ") as info:
        make(base_url=url)
    message = str(info.value)
    assert repr(param) in message
    assert "abc" not in message
    assert URL_CANARY not in message
    assert "short" not in message


def test_a_secret_looking_query_value_is_refused_without_quoting_it() -> None:
    """A secret-looking query value is refused whatever the parameter is called, unquoted."""
    url = f"https://api.example.com/v1?tenant=acme&x={URL_CANARY}"
    with pytest.raises(ValidationError, match=r"base_url: .*query parameter 'x'") as info:
        make(base_url=url)
    assert URL_CANARY not in str(info.value)
    with pytest.raises(ValidationError, match=r"base_url: ") as info:
        make(base_url=f"https://api.example.com/v1?{URL_CANARY}")
    assert URL_CANARY not in str(info.value)


def test_a_url_fragment_is_refused() -> None:
    for url in (f"https://api.example.com/v1#{URL_CANARY}", "https://api.example.com/v1#"):
        with pytest.raises(ValidationError, match=r"base_url: must not have a fragment") as info:
            make(base_url=url)
        assert URL_CANARY not in str(info.value)


def test_a_secret_in_the_token_url_query_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"^auth.token_url: .*'client_secret'") as info:
        AuthSpec(
            "oauth2_client_credentials",
            {
                "token_url": f"https://idp.example.com/token?client_secret={URL_CANARY}",
                "client_id": "cid",
                "client_secret": "cs",
            },
        )
    assert URL_CANARY not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1?version=2",
        "https://api.example.com/v1?api-version=2024-06-01&format=json&region=eu",
        "https://api.example.com/v1?tenant=acme-prod&lang=en&page=1",
        "https://api.example.com/v1?keyword=x&author=y&country_code=FR",
        "https://api.example.com/v1?",
        "https://api.example.com/v1?flag",
        "https://api.example.com/v1?since=2026-01-01T00:00:00Z",
    ],
)
def test_ordinary_query_parameters_stay_allowed(url: str) -> None:
    assert make(base_url=url).base_url == url


CANARY = "Zq8Xv3Lm0Pn7Rt2Wb9Yc4Kd6"


def test_a_key_pasted_as_credential_name_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValidationError, match="looks like a secret value") as info:
        make(credential=CANARY)
    assert CANARY not in str(info.value)
    with pytest.raises(ValidationError, match="looks like a secret") as info:
        make(auth={"scheme": "bearer", "token": "eyJhbGciOiJIUzI1NiJ9.e30.abc"})
    assert "eyJ" not in str(info.value)
    with pytest.raises(ValidationError, match=r"enablement.tenant: looks like a secret") as info:
        make(enablement={"tenant": CANARY})
    assert CANARY not in str(info.value)


@pytest.mark.parametrize(
    "name",
    ["okta-api-token", "mc-aware-client-secret", "incydr.client_id", "hr_system_api_key_prod"],
)
def test_ordinary_entry_names_are_not_mistaken_for_secrets(name: str) -> None:
    assert not looks_like_secret(name)
    assert make(credential=name).credential == name


def test_auth_spec_validates_scheme_and_parameters() -> None:
    spec = AuthSpec(
        "oauth2_client_credentials",
        {
            "token_url": "https://api.services.mimecast.com/oauth/token",
            "client_id": "mc-aware-client-id",
            "client_secret": "mc-aware-client-secret",
        },
    )
    assert spec.credential_entries == ("mc-aware-client-id", "mc-aware-client-secret")
    with pytest.raises(ValidationError, match=r"auth.scheme: unknown scheme"):
        AuthSpec("kerberos", {})
    with pytest.raises(ValidationError, match=r"auth.token: is required"):
        AuthSpec("bearer", {})
    with pytest.raises(ValidationError, match=r"auth.extra: is not a parameter"):
        AuthSpec("bearer", {"token": "t", "extra": "x"})
    with pytest.raises(ValidationError, match=r"auth.client_auth"):
        AuthSpec("oauth2_client_credentials", {**spec.params, "client_auth": "jwt"})


def test_credential_entries_cover_credential_and_auth() -> None:
    integration = make(auth={"scheme": "basic", "username": "hr-user", "password": "hr-password"})
    assert integration.credential_entries == ("okta-api-token", "hr-user", "hr-password")


@given(hst.integrations())
def test_generated_integrations_rebuild_equal(integration: Integration) -> None:
    import attrs

    assert Integration(**attrs.asdict(integration, recurse=False)) == integration


# ----------------------------------------------------------------- state machine

LEGAL = {
    (None, K.REGISTERED): S.PENDING,
    (S.PENDING, K.ACTIVATED): S.ACTIVE,
    (S.ACTIVE, K.SUSPENDED): S.SUSPENDED,
    (S.SUSPENDED, K.REINSTATED): S.ACTIVE,
    (S.REVOKED, K.CREDENTIAL_REPLACED): S.ACTIVE,
}


def test_lifecycle_transitions_from_the_design() -> None:
    for (state, kind), target in LEGAL.items():
        assert next_state(state, kind) is target
    for state in (S.PENDING, S.ACTIVE, S.SUSPENDED):
        assert next_state(state, K.REVOKED) is S.REVOKED
    for state in (S.PENDING, S.ACTIVE, S.SUSPENDED, S.REVOKED):
        assert next_state(state, K.RETIRED) is S.RETIRED


# Every (state, event) pair, written out: DESIGN.md section 2 and next_state's docstring.
# PENDING -activated-> ACTIVE <-suspended/reinstated-> SUSPENDED; PENDING, ACTIVE and
# SUSPENDED -revoked-> REVOKED -credential_replaced-> ACTIVE; a replacement elsewhere keeps
# the state; any state but RETIRED -retired-> RETIRED; data events keep every state but
# RETIRED; registered only from "not registered" (None).
ILLEGAL = None
FULL_TABLE: dict[IntegrationState | None, dict[EventKind, IntegrationState | None]] = {
    None: {
        K.REGISTERED: S.PENDING,
        K.UPDATED: ILLEGAL,
        K.LICENCE_ADDED: ILLEGAL,
        K.LICENCE_REMOVED: ILLEGAL,
        K.INFO_VERIFIED: ILLEGAL,
        K.ACTIVATED: ILLEGAL,
        K.REVOKED: ILLEGAL,
        K.SUSPENDED: ILLEGAL,
        K.REINSTATED: ILLEGAL,
        K.RETIRED: ILLEGAL,
        K.CREDENTIAL_REPLACED: ILLEGAL,
        K.DEPRECATION_NOTICED: ILLEGAL,
        K.SIGNAL_RECORDED: ILLEGAL,
    },
    S.PENDING: {
        K.REGISTERED: ILLEGAL,
        K.UPDATED: S.PENDING,
        K.LICENCE_ADDED: S.PENDING,
        K.LICENCE_REMOVED: S.PENDING,
        K.INFO_VERIFIED: S.PENDING,
        K.ACTIVATED: S.ACTIVE,
        K.REVOKED: S.REVOKED,
        K.SUSPENDED: ILLEGAL,
        K.REINSTATED: ILLEGAL,
        K.RETIRED: S.RETIRED,
        K.CREDENTIAL_REPLACED: S.PENDING,
        K.DEPRECATION_NOTICED: S.PENDING,
        K.SIGNAL_RECORDED: S.PENDING,
    },
    S.ACTIVE: {
        K.REGISTERED: ILLEGAL,
        K.UPDATED: S.ACTIVE,
        K.LICENCE_ADDED: S.ACTIVE,
        K.LICENCE_REMOVED: S.ACTIVE,
        K.INFO_VERIFIED: S.ACTIVE,
        K.ACTIVATED: ILLEGAL,
        K.REVOKED: S.REVOKED,
        K.SUSPENDED: S.SUSPENDED,
        K.REINSTATED: ILLEGAL,
        K.RETIRED: S.RETIRED,
        K.CREDENTIAL_REPLACED: S.ACTIVE,
        K.DEPRECATION_NOTICED: S.ACTIVE,
        K.SIGNAL_RECORDED: S.ACTIVE,
    },
    S.SUSPENDED: {
        K.REGISTERED: ILLEGAL,
        K.UPDATED: S.SUSPENDED,
        K.LICENCE_ADDED: S.SUSPENDED,
        K.LICENCE_REMOVED: S.SUSPENDED,
        K.INFO_VERIFIED: S.SUSPENDED,
        K.ACTIVATED: ILLEGAL,
        K.REVOKED: S.REVOKED,
        K.SUSPENDED: ILLEGAL,
        K.REINSTATED: S.ACTIVE,
        K.RETIRED: S.RETIRED,
        K.CREDENTIAL_REPLACED: S.SUSPENDED,
        K.DEPRECATION_NOTICED: S.SUSPENDED,
        K.SIGNAL_RECORDED: S.SUSPENDED,
    },
    S.REVOKED: {
        K.REGISTERED: ILLEGAL,
        K.UPDATED: S.REVOKED,
        K.LICENCE_ADDED: S.REVOKED,
        K.LICENCE_REMOVED: S.REVOKED,
        K.INFO_VERIFIED: S.REVOKED,
        K.ACTIVATED: ILLEGAL,
        K.REVOKED: ILLEGAL,
        K.SUSPENDED: ILLEGAL,
        K.REINSTATED: ILLEGAL,
        K.RETIRED: S.RETIRED,
        K.CREDENTIAL_REPLACED: S.ACTIVE,
        K.DEPRECATION_NOTICED: S.REVOKED,
        K.SIGNAL_RECORDED: S.REVOKED,
    },
    S.RETIRED: {
        K.REGISTERED: ILLEGAL,
        K.UPDATED: ILLEGAL,
        K.LICENCE_ADDED: ILLEGAL,
        K.LICENCE_REMOVED: ILLEGAL,
        K.INFO_VERIFIED: ILLEGAL,
        K.ACTIVATED: ILLEGAL,
        K.REVOKED: ILLEGAL,
        K.SUSPENDED: ILLEGAL,
        K.REINSTATED: ILLEGAL,
        K.RETIRED: ILLEGAL,
        K.CREDENTIAL_REPLACED: ILLEGAL,
        K.DEPRECATION_NOTICED: ILLEGAL,
        K.SIGNAL_RECORDED: ILLEGAL,
    },
}


def test_the_full_transition_table_is_exactly_the_design() -> None:
    """Every (state or None) x event pair: the target state, or IllegalTransition."""
    assert list(FULL_TABLE) == [None, *IntegrationState]
    mismatches = []
    for state, row in FULL_TABLE.items():
        assert list(row) == list(EventKind), state
        for kind, expected in row.items():
            try:
                got: IntegrationState | None = next_state(state, kind, "okta-directory")
            except IllegalTransition:
                got = ILLEGAL
            if got is not expected:
                mismatches.append((state, kind, expected, got))
    assert mismatches == []


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (S.PENDING, K.SUSPENDED),
        (S.PENDING, K.REINSTATED),
        (S.ACTIVE, K.ACTIVATED),
        (S.ACTIVE, K.REINSTATED),
        (S.REVOKED, K.ACTIVATED),
        (S.REVOKED, K.REVOKED),
        (S.RETIRED, K.UPDATED),
        (S.RETIRED, K.CREDENTIAL_REPLACED),
        (S.RETIRED, K.RETIRED),
        (S.ACTIVE, K.REGISTERED),
    ],
)
def test_illegal_transitions_raise(state: IntegrationState, kind: EventKind) -> None:
    with pytest.raises(IllegalTransition, match=f"is {state.value}: cannot"):
        next_state(state, kind, "okta-directory")


@given(hst.histories())
def test_generated_histories_replay(events: list[Event]) -> None:
    assert replay(events) is not None
    assert [e.at for e in events] == sorted(e.at for e in events)


@given(st.sampled_from(IntegrationState), st.data())
def test_histories_can_reach_every_state(state: IntegrationState, data: st.DataObject) -> None:
    events = data.draw(hst.histories(end_state=state))
    assert replay(events) is state


def test_event_evidence_refuses_secrets() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match=r"evidence.key: must not hold a Secret"):
        Event("x", K.REVOKED, at, "mimecast", evidence={"key": Secret("abc")})
    with pytest.raises(ValidationError, match=r"evidence.header: looks like a secret"):
        Event("x", K.REVOKED, at, "mimecast", evidence={"header": f"Bearer {CANARY}"})
    event = Event("x", K.REVOKED, at, "mimecast", "401", "1.1.1", {"status": 401, "h": ["a"]})
    assert event.to_json()["evidence"] == {"status": 401, "h": ["a"]}
    assert event.to_json()["at"] == "2026-01-01T00:00:00Z"


def test_an_encoded_credential_parameter_name_is_refused_without_quoting() -> None:
    with pytest.raises(ValidationError, match=r"base_url: .*a query parameter names a credential"):
        make(base_url="https://api.example.com/v1?my%20api%20key=abc")


# ------------------------------------------------- wrong types are ValidationErrors


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AuthSpec("bearer", None), "auth"),
        (lambda: AuthSpec("bearer", ["token"]), "auth"),
        (lambda: AuthSpec(["bearer"], {}), "auth.scheme"),  # type: ignore[arg-type]
        (lambda: AuthSpec(None, {}), "auth.scheme"),  # type: ignore[arg-type]
        (lambda: AuthSpec("bearer", {1: "x", "token": "t"}), "auth"),
        (lambda: make(history=None), "history"),
        (lambda: make(history=[1]), "history[0]"),
        (lambda: make(history="abc"), "history"),
        (lambda: Event("x", "registered", datetime.now(UTC), "me", None), "reason"),  # type: ignore[arg-type]
        (lambda: Event("x", "registered", datetime.now(UTC), "me", 3), "reason"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_validation_errors_naming_the_field(build: object, field: str) -> None:
    """The public constructors refuse wrong types with a ValidationError, never a TypeError."""
    with pytest.raises(ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9\\@127.0.0.1:8/x",
        "https://api.example.com\\@evil.example/v1",
        "https://api.example.com/v1\x00",
    ],
)
def test_urls_that_http_clients_read_differently_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="backslash or control"):
        make(base_url=url)
    with pytest.raises(ValidationError, match=r"auth\.token_url: must not contain a backslash"):
        make(
            auth={
                "scheme": "oauth2_client_credentials",
                "token_url": url,
                "client_id": "mc-id",
                "client_secret": "mc-secret",
            }
        )


@pytest.mark.parametrize(
    "text",
    ["sk-abc", "a sk-x", "h://x/sk-abc", "x AKIA1", "ghp_1", "-----BEGIN"],
)
def test_a_short_text_with_a_key_prefix_anywhere_still_looks_like_a_key(text: str) -> None:
    """The short-text shortcut skips only texts no word of which could be judged a key."""
    assert looks_like_secret(text)


@given(st.text(max_size=19), st.text(max_size=19))
def test_a_short_text_without_a_key_prefix_is_never_a_key(before: str, after: str) -> None:
    """Short texts: a key prefix somewhere is necessary (the shortcut's claim) and tested."""
    prefixes = ("eyJ", "sk_", "sk-", "ghp_", "gho_", "xox", "AKIA", "ASIA", "-----BEGIN")
    text = (before + " " + after)[:19]
    if not any(p in text for p in prefixes):
        assert not looks_like_secret(text)
    assert looks_like_secret("sk-" + after[:16])  # a prefix at the start always counts
