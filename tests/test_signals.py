"""Response signals (revocation, deprecation, sunset, 410), header parsing, custody, govern()."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    AccessDenied,
    ApiKind,
    CredentialRevoked,
    Event,
    EventKind,
    FrozenClock,
    GovernedSession,
    IntegrationState,
    InteroperabilitySuspended,
    Registry,
    check_custody,
)
from hf_api_governance._client.parse import (
    bearer_error,
    format_http_date,
    parse_deprecation,
    parse_http_date,
    parse_link_header,
)
from hf_api_governance._client.profiles import BUILTIN_PROFILES, MIMECAST_API_1, MIMECAST_API_2
from hf_api_governance._client.retry import retry_after_seconds
from hf_api_governance._client.signals import OAUTH_REVOCATION_ERRORS
from tests.client_support import TOKEN, World, events
from tests.servers import LocalServer, Received, Reply

NOW = datetime.now(UTC).replace(microsecond=0)
PAST = format_http_date(NOW - timedelta(days=1))
FUTURE = format_http_date(NOW + timedelta(days=90))
FUTURE_TEXT = (NOW + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")

# ------------------------------------------------------------------- parsing


def test_http_dates_parse_in_all_three_forms() -> None:
    expected = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    for text in (
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ):
        assert parse_http_date(text) == expected
    assert parse_http_date("not a date") is None


_NAIVE = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1))  # noqa: DTZ001


@given(_NAIVE)
def test_format_and_parse_http_date_round_trip(at: datetime) -> None:
    at = at.replace(microsecond=0, tzinfo=UTC)
    assert parse_http_date(format_http_date(at)) == at


def test_deprecation_accepts_rfc_9745_and_older_forms() -> None:
    assert parse_deprecation("@1688169599") is not None
    assert parse_deprecation("@1688169599").at == datetime(2023, 6, 30, 23, 59, 59, tzinfo=UTC)  # type: ignore[union-attr]
    legacy = parse_deprecation("true")
    assert legacy is not None
    assert legacy.at is None
    dated = parse_deprecation("Sun, 11 Nov 2018 23:59:59 GMT")
    assert dated is not None
    assert dated.at == datetime(2018, 11, 11, 23, 59, 59, tzinfo=UTC)
    assert parse_deprecation("soon") is None
    assert parse_deprecation("@x") is None


def test_link_headers_with_several_links_and_rel_values_parse() -> None:
    header = (
        '<https://api.example.com/docs/dep?a=1,2>; rel="deprecation sunset"; type="text/html", '
        "<https://api.example.com/next>; rel=next, "
        '<https://x.example/q;a>; title="a, b"; rel="Sunset"'
    )
    links = parse_link_header(header)
    assert [link.target for link in links] == [
        "https://api.example.com/docs/dep?a=1,2",
        "https://api.example.com/next",
        "https://x.example/q;a",
    ]
    assert links[0].rels == ("deprecation", "sunset")
    assert links[1].rels == ("next",)
    assert links[2].rels == ("sunset",)
    assert parse_link_header("garbage") == []


def test_bearer_error_reads_the_challenge_parameter() -> None:
    assert bearer_error('Bearer realm="x", error="invalid_token", error_description="y"') == (
        "invalid_token"
    )
    assert bearer_error("Bearer error=invalid_token") == "invalid_token"
    assert bearer_error('Basic realm="x"') is None
    assert bearer_error('Bearer realm="x"') is None


def test_retry_after_parses_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_http_date(now + timedelta(seconds=30)), now) == 30.0
    assert retry_after_seconds(format_http_date(now - timedelta(seconds=30)), now) == 0.0
    assert retry_after_seconds("-5") is None
    assert retry_after_seconds("later") is None


def test_the_signal_tables_cite_their_sources() -> None:
    assert set(OAUTH_REVOCATION_ERRORS) == {"invalid_client", "unauthorized_client"}
    assert all("RFC 6749" in source for source in OAUTH_REVOCATION_ERRORS.values())
    for profile in (MIMECAST_API_1, MIMECAST_API_2):
        assert {"err_xdk_binding_expired", "InvalidClientIdentifier"} <= set(
            profile.revocation_codes
        )
        assert all("Mimecast" in s or "RFC" in s for s in profile.revocation_codes.values())
    for profile in BUILTIN_PROFILES:  # every table of every profile names where it comes from
        for table in (
            profile.token_revocation_codes,
            profile.revocation_codes,
            profile.revocation_statuses,
            profile.expiry_codes,
        ):
            assert all(source.strip() for source in table.values())


# ----------------------------------------------------------------- custody


def test_check_custody_counts_records_and_checks_the_checksum() -> None:
    body = json.dumps({"data": [{"id": 1}, {"id": 2}]}).encode()
    digest = hashlib.sha256(body).hexdigest()
    assert check_custody(body, expected_count=2, sha256=digest).ok
    short = check_custody(body, expected_count=3)
    assert not short.ok
    assert short.count == 2
    assert "expected 3 records, got 2" in short.problems
    corrupted = check_custody(body.replace(b"2", b"3"), sha256=digest)
    assert not corrupted.ok
    assert any("SHA-256" in p for p in corrupted.problems)
    assert check_custody([1, 2, 3], expected_count=3).ok
    assert not check_custody(b"", expected_count=0).ok
    assert not check_custody(b"{not json", expected_count=1).ok


def test_check_custody_reads_a_response(server: LocalServer) -> None:
    server.route("GET", "/export", Reply(200, body={"items": [1, 2]}))
    response = requests.get(server.url + "/export", timeout=5)
    result = check_custody(
        response, expected_count=2, sha256=hashlib.sha256(response.content).hexdigest()
    )
    assert result.ok, result.problems


def test_check_custody_flags_plain_http_from_a_remote_host() -> None:
    response = requests.Response()
    response.url = "http://api.example.com/export"
    response._content = b"[1]"
    result = check_custody(response, expected_count=1)
    assert not result.ok
    assert "plain http" in result.problems[0]


# ---------------------------------------------------- third-party API signals


class DeprecatingApi:
    """A third-party API that starts to deprecate, then sunsets or goes away."""

    def __init__(self, server: LocalServer) -> None:
        self.headers: dict[str, str] = {}
        self.status = 200
        server.route("GET", "/v2/items", self.handle)

    def handle(self, _r: Received) -> Reply:
        return Reply(self.status, headers=dict(self.headers), body={"data": [1], "meta": {}})


def _notices(registry: Registry) -> list[Event]:
    return events(registry, "acme-api", EventKind.DEPRECATION_NOTICED)


def test_one_announcement_is_one_notice_recorded_once(world: World, server: LocalServer) -> None:
    """Issue 12 item 10: Deprecation, a future Sunset and their Link in one answer: one notice."""
    api = DeprecatingApi(server)
    registry, ks, engine, _ = world(server.url)
    api.headers = {
        "Deprecation": "@1688169599",
        "Sunset": FUTURE,
        "Link": f'<{server.url}/docs/v3>; rel="deprecation sunset"',
    }
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        for _ in range(3):
            assert session.get(server.url + "/v2/items").status_code == 200
    (notice,) = _notices(registry)
    assert notice.evidence["notice"] == "deprecation"
    assert list(notice.evidence["announces"]) == ["deprecation", "sunset", "link_deprecation"]
    assert notice.evidence["sunset_at"] == FUTURE_TEXT
    assert notice.evidence["link_path"] == ("docs", "v3")
    # A new session (another process) sees the history and records nothing new.
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v2/items")
    assert len(_notices(registry)) == 1
    # A changed announcement is a new one.
    api.headers["Deprecation"] = "@1700000000"
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v2/items")
    assert len(_notices(registry)) == 2
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    event = _notices(registry)[0]
    assert event.clause == "1.1.2"
    assert event.evidence["deprecated_at"] == "2023-06-30T23:59:59Z"


def test_the_legacy_deprecation_true_form_is_recorded(world: World, server: LocalServer) -> None:
    api = DeprecatingApi(server)
    api.headers = {"Deprecation": "true"}
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v2/items")
        session.get(server.url + "/v2/items")
    (event,) = _notices(registry)
    assert event.evidence["deprecated_at"] == "true"


def test_a_past_sunset_suspends_and_stops_later_calls(world: World, server: LocalServer) -> None:
    api = DeprecatingApi(server)
    api.headers = {"Sunset": PAST}
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        with pytest.raises(InteroperabilitySuspended) as caught:
            session.get(server.url + "/v2/items")
        assert caught.value.evidence["cause"] == "sunset"
        server.clear()
        with pytest.raises(AccessDenied):
            session.get(server.url + "/v2/items")
    assert server.received == []
    (event,) = events(registry, "acme-api", EventKind.SUSPENDED)
    assert event.evidence["cause"] == "sunset"
    assert event.evidence["sunset_at"] == (NOW - timedelta(days=1)).isoformat().replace(
        "+00:00", "Z"
    )
    assert event.clause == "1.1.2"


def test_a_sunset_at_exactly_the_current_instant_suspends(
    world: World, server: LocalServer
) -> None:
    """RFC 8594: the resource may be gone from the Sunset instant on, that instant included."""
    at = datetime.now(UTC).replace(microsecond=0)
    api = DeprecatingApi(server)
    api.headers = {"Sunset": format_http_date(at)}
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(
            registry, "acme-api", keystore=ks, engine=engine, clock=FrozenClock(at)
        ) as session,
        pytest.raises(InteroperabilitySuspended) as caught,
    ):
        session.get(server.url + "/v2/items")
    assert caught.value.evidence["cause"] == "sunset"
    assert registry.get("acme-api").state is IntegrationState.SUSPENDED


@pytest.mark.parametrize(
    ("headers", "cause"),
    [({}, "api_changed"), ({"Sunset": PAST}, "sunset"), ({"Sunset": FUTURE}, "sunset")],
)
def test_410_gone_suspends(
    world: World, server: LocalServer, headers: dict[str, str], cause: str
) -> None:
    api = DeprecatingApi(server)
    api.status, api.headers = 410, headers
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(InteroperabilitySuspended),
    ):
        session.get(server.url + "/v2/items")
    assert registry.get("acme-api").state is IntegrationState.SUSPENDED
    (event,) = events(registry, "acme-api", EventKind.SUSPENDED)
    assert event.evidence["cause"] == cause
    assert event.evidence["status"] == 410


def test_a_403_is_recorded_not_revoked(world: World, server: LocalServer) -> None:
    server.route("GET", "/v1/secret-area", Reply(403))
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(server.url + "/v1/secret-area").status_code == 403
        assert session.get(server.url + "/v1/secret-area").status_code == 403
    (event,) = events(registry, "acme-api", EventKind.SIGNAL_RECORDED)
    assert event.evidence["status"] == 403
    assert registry.get("acme-api").state is IntegrationState.ACTIVE


def test_a_plain_401_without_a_fresh_token_is_not_a_revocation(
    world: World, server: LocalServer
) -> None:
    server.route(
        "GET", "/v1/x", Reply(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    )
    registry, ks, engine, _ = world(server.url)  # static bearer token from the keystore
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(server.url + "/v1/x").status_code == 401
    assert registry.get("acme-api").state is IntegrationState.ACTIVE


def test_revocation_evidence_is_secret_free_and_accepted(world: World, server: LocalServer) -> None:
    server.route(
        "POST",
        "/oauth/token",
        Reply(400, body={"error": "unauthorized_client", "error_description": "disabled"}),
    )
    # Mimecast API 2.0's token endpoint is /oauth/token: its refusal is the authority's word.
    registry, ks, engine, _ = world(server.url, vendor="Mimecast", kind=ApiKind.MIMECAST_API)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(CredentialRevoked),
    ):
        session.post(server.url + "/oauth/token", data={"grant_type": "client_credentials"})
    (event,) = events(registry, "acme-api", EventKind.REVOKED)
    assert event.evidence["error"] == "unauthorized_client"
    assert event.evidence["path"] == ("oauth", "token")
    assert TOKEN not in json.dumps(event.to_json())


@pytest.mark.parametrize(
    "path",
    [
        "/" + "/".join(["abcd"] * 3000),
        "/" + "/".join(["a" * 190] * 100),
        "/" + "/".join(["\u00e9\u20ac\U0001f600" * 80] * 60),
        "/" + "x" * 50_000,
    ],
)
def test_url_evidence_is_bounded_whatever_the_url(path: str) -> None:
    """Evidence of any URL fits the audit log's 16 KiB limit many times over."""
    from hf_api_governance._client.evidence import url_evidence

    facts = url_evidence("https://api.example.com" + path + "?q=1")
    assert len(json.dumps(facts)) <= 4096  # ensure_ascii: the longest encoding
    assert facts["host"] == "api.example.com"
    assert facts["path"][0].startswith(path.split("/")[1][:8])
    assert facts["path_truncated"] is True


def test_url_evidence_of_an_ordinary_url_is_complete() -> None:
    from hf_api_governance._client.evidence import url_evidence

    facts = url_evidence("https://api.example.com:8443/v1/users/42")
    assert facts == {
        "scheme": "https",
        "host": "api.example.com:8443",
        "path": ["v1", "users", "42"],
    }
