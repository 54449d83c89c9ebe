"""The signal table: classify() is a pure function from a response and facts to signals.

These tests read responses built in memory (no server, no registry): every
row, the order rows are tried in, what a reading holds and that its evidence
is secret-free. The end-to-end behaviour (what the governor records and
raises) is tested in test_client.py and test_signals.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
import requests
from requests.structures import CaseInsensitiveDict

from hf_api_governance import ApiKind, SuspensionCause, TokenEndpointError, TransportError
from hf_api_governance._client.parse import format_http_date
from hf_api_governance._client.profiles import (
    CODE42,
    MIMECAST_API_1,
    MIMECAST_API_2,
    OAUTH2,
    STATIC_KEY,
    SignalProfile,
)
from hf_api_governance._client.signals import (
    CONTRACT_HELD,
    NOTED_KINDS,
    RETRY_STATUSES,
    RULES,
    Facts,
    Reading,
    Signal,
    SignalKind,
    classify,
    classify_token_error,
)

K = SignalKind
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PAST = format_http_date(NOW - timedelta(days=1))
FUTURE = format_http_date(NOW + timedelta(days=90))
URL = "https://api.example.com/v1/users?api_key=Zq8Xw2Lk7Rb4Nc9Md3Jf6Vt5"


def response(
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    url: str = URL,
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers = CaseInsensitiveDict(dict(headers or {}))
    if body is not None:
        r.headers.setdefault("Content-Type", "application/json")
        r._content = json.dumps(body).encode()
    else:
        r._content = b""
    r.url = url
    return r


def facts(**overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "kind": ApiKind.THIRD_PARTY_API,
        "vendor": "Okta",
        "method": "GET",
        "url": URL,
        "fresh_token": False,
        "token_endpoint": False,
        "now": NOW,
        **overrides,
    }
    return Facts(**values)


def kinds(reading: Reading) -> list[tuple[SignalKind, str]]:
    return [(s.kind, s.code) for s in reading.signals]


MIMECAST = {"kind": ApiKind.MIMECAST_API, "vendor": "Mimecast", "profile": MIMECAST_API_1}
MIMECAST_2 = {"kind": ApiKind.MIMECAST_API, "vendor": "Mimecast", "profile": MIMECAST_API_2}
BEARER_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

# (response, facts, expected signals (kind, code), in order)
CASES: list[tuple[str, requests.Response, Facts, list[tuple[SignalKind, str]]]] = [
    ("plain 200", response(200), facts(), [(K.OK, "ok")]),
    ("404", response(404), facts(), [(K.OK, "ok")]),
    (
        "invalid_token after a fresh token",
        response(401, BEARER_INVALID),
        facts(fresh_token=True, profile=OAUTH2),
        [(K.UNCONFIRMED_REVOCATION, "invalid_token_after_fresh_token")],
    ),
    ("invalid_token on an old token", response(401, BEARER_INVALID), facts(), [(K.OK, "ok")]),
    (
        "token endpoint invalid_client: the authority's word",
        response(400, body={"error": "invalid_client"}),
        facts(token_endpoint=True, method="POST", profile=OAUTH2),
        [(K.REVOKED, "token_revocation")],
    ),
    (
        "invalid_client from a resource is a suspicion",
        response(400, body={"error": "invalid_client"}),
        facts(),
        [(K.UNCONFIRMED_REVOCATION, "revocation_code")],
    ),
    (
        "unauthorized_client on 401 from a resource",
        response(401, body={"error": "unauthorized_client"}),
        facts(),
        [(K.UNCONFIRMED_REVOCATION, "revocation_code")],
    ),
    (
        "Code42's token endpoint: 401 in plain text",
        response(401, {"Content-Type": "text/plain"}),
        facts(token_endpoint=True, method="POST", profile=CODE42),
        [(K.UNCONFIRMED_REVOCATION, "token_refusal")],
    ),
    (
        "Mimecast 2.0 fail[].code at the token endpoint",
        response(401, body={"fail": [{"code": "InvalidClientIdentifier", "message": "x"}]}),
        facts(token_endpoint=True, method="POST", **MIMECAST_2),
        [(K.REVOKED, "token_revocation")],
    ),
    (
        "Mimecast 2.0 fail[].code on a resource",
        response(401, body={"fail": [{"code": "err_xdk_binding_expired", "message": "x"}]}),
        facts(**MIMECAST_2),
        [(K.UNCONFIRMED_REVOCATION, "revocation_code")],
    ),
    (
        "Mimecast 2.0 token_expired: refreshed, not a revocation",
        response(401, body={"fail": [{"code": "token_expired", "message": "x"}]}),
        facts(**MIMECAST_2),
        [(K.TOKEN_EXPIRED, "token_expired")],
    ),
    (
        "Mimecast 2.0 token_expired on a fresh token",
        response(401, body={"fail": [{"code": "token_expired", "message": "x"}]}),
        facts(fresh_token=True, **MIMECAST_2),
        [(K.UNCONFIRMED_REVOCATION, "expired_after_fresh_token")],
    ),
    (
        "invalid_grant is no revocation",
        response(400, body={"error": "invalid_grant"}),
        facts(),
        [(K.OK, "ok")],
    ),
    (
        "Mimecast 418",
        response(418),
        facts(**MIMECAST),
        [(K.UNCONFIRMED_REVOCATION, "revocation_status")],
    ),
    ("418 from another API", response(418), facts(), [(K.OK, "ok")]),
    (
        "Mimecast binding code in a 200",
        response(200, body={"fail": [{"errors": [{"code": "err_xdk_binding_revoked"}]}]}),
        facts(**MIMECAST),
        [(K.UNCONFIRMED_REVOCATION, "revocation_code")],
    ),
    (
        "another Mimecast fail code",
        response(200, body={"fail": [{"errors": [{"code": "err_validation_blank"}]}]}),
        facts(**MIMECAST),
        [(K.API_ERROR, "api_error")],
    ),
    ("410 with Sunset", response(410, {"Sunset": PAST}), facts(), [(K.SUSPENDED, "gone")]),
    ("410 without Sunset", response(410), facts(), [(K.SUSPENDED, "gone")]),
    ("Sunset passed", response(200, {"Sunset": PAST}), facts(), [(K.SUSPENDED, "sunset_passed")]),
    (
        "revocation before suspension",
        response(401, {**BEARER_INVALID, "Sunset": PAST}),
        facts(fresh_token=True),
        [(K.UNCONFIRMED_REVOCATION, "invalid_token_after_fresh_token")],
    ),
    (
        "suspension ends the reading before any notice",
        response(410, {"Deprecation": "@1700000000"}),
        facts(),
        [(K.SUSPENDED, "gone")],
    ),
    (
        "notices in order, then the outcome",
        response(
            200,
            {
                "Deprecation": "@1700000000",
                "Sunset": FUTURE,
                "Link": (
                    '<https://d.example/s>; rel="sunset", <https://d.example/d>; rel="deprecation"'
                ),
            },
        ),
        facts(),
        [(K.DEPRECATION_NOTICE, "announcement"), (K.OK, "ok")],  # one announcement, one notice
    ),
    (
        "403 is a suspicion",
        response(403),
        facts(),
        [(K.SUSPECTED_REVOCATION, "forbidden"), (K.OK, "ok")],
    ),
    (
        "a suspicion, then a Mimecast error",
        response(403, body={"fail": [{"errors": [{"code": "err_forbidden"}]}]}),
        facts(**MIMECAST),
        [(K.SUSPECTED_REVOCATION, "forbidden"), (K.API_ERROR, "api_error")],
    ),
    ("429", response(429), facts(), [(K.RATE_LIMITED, "rate_limited")]),
    ("503", response(503), facts(), [(K.TRANSIENT, "transient")]),
    (
        "a 503 past its Sunset",
        response(503, {"Sunset": PAST}),
        facts(),
        [(K.SUSPENDED, "sunset_passed")],
    ),
    (
        "Mimecast 429 with a fail code",
        response(429, body={"fail": [{"errors": [{"code": "err_rate"}]}]}),
        facts(**MIMECAST),
        [(K.API_ERROR, "api_error")],
    ),
    (
        "contract broken",
        response(200, body={"items": []}),
        facts(contract={"data": list}),
        [(K.CONTRACT_FAILURE, "contract")],
    ),
    (
        "contract held",
        response(200, body={"data": []}),
        facts(contract={"data": list}),
        [(K.OK, CONTRACT_HELD)],
    ),
    (
        "contract not checked on a 404",
        response(404),
        facts(contract={"data": list}),
        [(K.OK, "ok")],
    ),
    (
        "a Mimecast error before the contract",
        response(200, body={"data": [], "fail": [{"errors": [{"code": "err_x"}]}]}),
        facts(contract={"data": list}, **MIMECAST),
        [(K.API_ERROR, "api_error")],
    ),
]


@pytest.mark.parametrize(("name", "answer", "known", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recorded_evidence_names_the_row(
    name: str, answer: requests.Response, known: Facts, expected: list[tuple[SignalKind, str]]
) -> None:
    for signal in classify(answer, known).signals:
        if signal.kind is K.DEPRECATION_NOTICE:
            assert signal.evidence["notice_id"] == signal.once
        elif signal.evidence:
            assert signal.evidence["signal"] == signal.code


@pytest.mark.parametrize(("name", "answer", "known", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_case_reads_as_the_table_says(
    name: str, answer: requests.Response, known: Facts, expected: list[tuple[SignalKind, str]]
) -> None:
    reading = classify(answer, known)
    assert kinds(reading) == expected
    assert reading.outcome is reading.signals[-1]
    assert reading.outcome.kind not in NOTED_KINDS
    assert all(s.kind in NOTED_KINDS for s in reading.signals[:-1])


def test_the_table_is_data_with_unique_codes_and_an_order_of_precedence() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    order = [rule.kind for rule in RULES]
    # Revocation (and its suspicions) is tried first, then suspension, then what is only noted.
    last_revoked = max(
        i
        for i, k in enumerate(order)
        if k in (K.REVOKED, K.UNCONFIRMED_REVOCATION, K.TOKEN_EXPIRED)
    )
    first_suspended = min(i for i, k in enumerate(order) if k is K.SUSPENDED)
    last_suspended = max(i for i, k in enumerate(order) if k is K.SUSPENDED)
    first_noted = min(i for i, k in enumerate(order) if k in NOTED_KINDS)
    assert last_revoked < first_suspended <= last_suspended < first_noted
    for rule in RULES:
        assert rule.source.strip()
        assert rule.clause in (None, "1.1.1", "1.1.2")


def test_every_kind_is_produced_by_a_row() -> None:
    """Every kind is in use: SUSPECTED_REVOCATION too (403 on a resource)."""
    assert {rule.kind for rule in RULES} == set(SignalKind)


def test_the_retry_statuses_are_the_rate_limited_and_transient_rows() -> None:
    assert frozenset({429, 502, 503, 504}) == RETRY_STATUSES
    for status in RETRY_STATUSES:
        assert classify(response(status), facts()).outcome.kind in (K.RATE_LIMITED, K.TRANSIENT)


def test_a_suspension_names_its_cause() -> None:
    gone_with_sunset = classify(response(410, {"Sunset": FUTURE}), facts()).outcome
    assert gone_with_sunset.cause is SuspensionCause.SUNSET
    assert gone_with_sunset.evidence["sunset_at"].startswith("2026-08-30")
    assert classify(response(410), facts()).outcome.cause is SuspensionCause.API_CHANGED
    passed = classify(response(200, {"Sunset": PAST}), facts()).outcome
    assert passed.cause is SuspensionCause.SUNSET
    assert passed.evidence["signal"] == "sunset_passed"


def test_a_notice_carries_a_stable_id_recorded_once() -> None:
    answer = response(200, {"Deprecation": "@1700000000"})
    (notice, _ok) = classify(answer, facts()).signals
    again = classify(answer, facts(now=NOW + timedelta(days=1))).signals[0]
    assert notice.once == again.once == notice.evidence["notice_id"]
    assert notice.evidence["notice"] == "deprecation"
    assert notice.evidence["deprecated_at"] == "2023-11-14T22:13:20Z"
    assert "signal" not in notice.evidence


def test_a_suspicion_is_once_per_method_and_path() -> None:
    get = classify(response(403), facts()).signals[0]
    same = classify(response(403), facts(url=URL.replace("api_key", "other"))).signals[0]
    post = classify(response(403), facts(method="POST")).signals[0]
    assert get.once == same.once != post.once
    assert get.clause == "1.1.1"


def test_evidence_is_secret_free_and_only_built_for_what_is_recorded() -> None:
    secret = "Zq8Xw2Lk7Rb4Nc9Md3Jf6Vt5"
    answer = response(
        410,
        {"Link": f'<https://d.example/{secret}>; rel="sunset"', "X-Api-Key": secret},
    )
    gone = classify(answer, facts()).outcome
    assert secret not in json.dumps(dict(gone.evidence))
    assert gone.evidence["status"] == 410
    assert gone.evidence["host"] == "api.example.com"
    assert secret not in repr(facts())  # the URL (and its query) stays out of repr
    assert classify(response(503), facts()).outcome.evidence == {}
    assert classify(response(200), facts()).outcome.evidence == {}


def test_a_reading_says_whether_a_token_was_issued() -> None:
    token = {"access_token": "issued", "expires_in": 3600}
    assert classify(response(200, body=token), facts(method="POST")).token_issued is True
    assert classify(response(200, body={"data": []}), facts(method="POST")).token_issued is False
    assert classify(response(200, body=token), facts(method="GET")).token_issued is False
    assert classify(response(404), facts(method="POST")).token_issued is None
    revoked = classify(
        response(200, body={**token, "fail": [{"errors": [{"code": "invalid_client"}]}]}),
        facts(method="POST", **MIMECAST),
    )
    assert revoked.outcome.kind is K.UNCONFIRMED_REVOCATION
    assert revoked.token_issued is None  # a suspicion changes nothing the client knows


def test_classify_is_pure() -> None:
    answer = response(200, {"Deprecation": "@1700000000"}, body={"data": []})
    known = facts(contract={"data": list})
    first = classify(answer, known)
    assert classify(answer, known) == first
    assert answer.status_code == 200
    assert json.loads(answer.content) == {"data": []}


def test_a_contract_is_checked_once_per_response() -> None:
    calls: list[int] = []

    def contract(r: requests.Response) -> bool | str:
        calls.append(r.status_code)
        return "the body has no data"

    broken = classify(response(200, body={}), facts(contract=contract)).outcome
    assert calls == [200]
    assert broken.kind is K.CONTRACT_FAILURE
    assert broken.reason == "the body has no data"
    assert broken.evidence["problem"] == "the body has no data"


def test_signals_are_frozen_values() -> None:
    signal = classify(response(410), facts()).outcome
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        signal.kind = K.OK  # type: ignore[misc]
    with pytest.raises(TypeError):
        signal.evidence["status"] = 200  # type: ignore[index]
    assert isinstance(signal, Signal)


@pytest.mark.parametrize(
    ("code", "status", "profile", "expected"),
    [
        ("invalid_client", 401, STATIC_KEY, (K.REVOKED, "token_revocation")),
        ("unauthorized_client", 400, OAUTH2, (K.REVOKED, "token_revocation")),
        ("InvalidClientIdentifier", 401, MIMECAST_API_2, (K.REVOKED, "token_revocation")),
        (None, 401, CODE42, (K.UNCONFIRMED_REVOCATION, "token_refusal")),
        ("err_xdk_binding_expired", 401, OAUTH2, (K.UNCONFIRMED_REVOCATION, "token_refusal")),
        ("invalid_grant", 400, OAUTH2, None),
        (None, 500, CODE42, None),
    ],
)
def test_a_refused_token_request_is_read_with_the_profile(
    code: str | None,
    status: int,
    profile: SignalProfile,
    expected: tuple[SignalKind, str] | None,
) -> None:
    error = TokenEndpointError(
        f"token endpoint answered {status}", status=status, error=code, evidence={"status": status}
    )
    signal = classify_token_error(error, profile)
    if expected is None:
        assert signal is None
        return
    assert signal is not None
    assert (signal.kind, signal.code, signal.clause) == (*expected, "1.1.1")
    assert signal.evidence["signal"] == expected[1]
    assert signal.evidence["profile"] == profile.name


def test_an_answer_that_cannot_be_read_is_a_transport_error_naming_only_the_failure() -> None:
    from tests.test_classify_hostile import _BrokenStream

    answer = response(200, {"Content-Type": "application/json"})
    answer._content = False  # type: ignore[assignment]  # requests: "not read yet"
    answer.raw = _BrokenStream()
    with pytest.raises(TransportError, match="ChunkedEncodingError") as caught:
        classify(answer, facts(method="POST"))
    assert caught.value.__cause__ is None
    assert "api_key" not in str(caught.value)
