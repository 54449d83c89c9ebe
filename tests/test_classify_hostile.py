"""The response classifier against hostile answers: a reading or a documented exception, no leak.

Hypothesis feeds :func:`classify` statuses from 0 to 999, headers holding
what hostile servers send (dates past year 9999, superscript digits, 5,000
digit numbers, header values echoing the credential), and bodies of every
shape (binary, deep JSON, ``fail`` arrays in both Mimecast shapes, a
stream that breaks while read), under every built-in vendor profile. It
only ever returns a :class:`Reading` or raises
:class:`~hf_api_governance.TransportError`, and the credential the client
sent (a canary in the URL and echoed back anywhere in the answer) never
appears in what it returns or raises.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError

from hf_api_governance import ApiKind, TransportError
from hf_api_governance._client.profiles import BUILTIN_PROFILES
from hf_api_governance._client.signals import Facts, Reading, classify
from tests.canary import MARKER, leaks

_ALNUM = string.ascii_letters + string.digits
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def credentials() -> st.SearchStrategy[str]:
    """A credential as APIs issue them: the canary marker and 26 random letters and digits."""
    return st.integers(0, 2**32).map(
        lambda seed: MARKER + "".join(random.Random(seed).choices(_ALNUM, k=26)) + "9Zq"
    )


HEADER_NAMES = (
    "Sunset",
    "Deprecation",
    "Link",
    "Retry-After",
    "WWW-Authenticate",
    "Content-Type",
    "Content-Length",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Location",
    "X-Api-Key",
    "Authorization",
    "Set-Cookie",
)

HOSTILE_VALUES = (
    "Fri, 31 Dec 9999 23:59:59 -0100",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "\xb2",
    "9" * 5000,
    "@" + "9" * 40,
    "@1688169599;x=1;y",
    "@-99999999999999",
    "2023-13-45T99:99:99Z",
    "true",
    "?1",
    "<>; rel=",
    "<" * 500,
    '<https://x/y>; rel="deprecation sunset", <https://z/>; rel=sunset',
    'Bearer realm="a", error="invalid_token", error="invalid_client"',
    "application/json; charset=utf-8",
    "text/plain",
    "-1",
    "1e999",
)


@st.composite
def header_values(draw: st.DrawFn, credential: str) -> str:
    echo = draw(
        st.sampled_from(
            [
                credential,
                f"Bearer {credential}",
                f'Bearer error="invalid_token", token="{credential}"',
                f'<https://docs.example/{credential}>; rel="deprecation"',
                f"@{credential}",
                f"{credential}-{credential}",
                f"api_key={credential}",
            ]
        )
    )
    other = draw(st.sampled_from(HOSTILE_VALUES) | st.text(st.characters(max_codepoint=255)))
    return draw(st.sampled_from([echo, other, f"{other} {echo}"]))


def json_values(credential: str) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.just(credential),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.sampled_from(["error", "fail", "errors", "code", "access_token", "data", "x"]),
                children,
                max_size=4,
            ),
        ),
        max_leaves=12,
    )


@st.composite
def bodies(draw: st.DrawFn, credential: str) -> tuple[bytes | None, str | None]:
    """A body and the Content-Type it comes with (``None`` body: a stream that breaks)."""
    code = draw(
        st.sampled_from(
            [credential, "InvalidClientIdentifier", "err_xdk_binding_expired", "token_expired"]
        )
    )
    shapes: list[Any] = [
        {"fail": [{"code": code, "message": credential}]},
        {"fail": [{"errors": [{"code": code, "message": credential, "retryable": True}]}]},
        {"error": code, "error_description": credential},
        {"access_token": credential, "expires_in": "NaN"},
        draw(json_values(credential)),
    ]
    kind = draw(st.sampled_from(["json", "deep", "binary", "broken", "text"]))
    if kind == "json":
        return json.dumps(draw(st.sampled_from(shapes))).encode(), "application/json"
    if kind == "deep":
        depth = draw(st.integers(1, 12_000))
        return b"[" * depth + b"]" * draw(st.integers(0, depth)), "application/json"
    if kind == "binary":
        return draw(st.binary(max_size=200)) + credential.encode(), "application/json"
    if kind == "broken":
        return None, "application/json"
    return credential.encode("utf-8"), "text/plain"


class _BrokenStream:
    """A raw body that fails halfway, as a connection cut mid-chunk does."""

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield b'{"fail": ['
        raise ProtocolError("Connection broken: InvalidChunkLength")

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise ProtocolError("Connection broken")


def _response(
    status: int, headers: dict[str, str], body: bytes | None, url: str
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers)
    if body is None:
        response._content = False  # type: ignore[assignment]  # requests: "not read yet"
        response.raw = _BrokenStream()
    else:
        response._content = body
    response.url = url
    return response


@given(data=st.data(), credential=credentials())
def test_classify_returns_a_reading_or_a_transport_error_and_never_the_credential(
    data: st.DataObject, credential: str
) -> None:
    status = data.draw(st.integers(0, 999) | st.sampled_from([200, 400, 401, 403, 410, 418, 429]))
    headers = data.draw(
        st.dictionaries(st.sampled_from(HEADER_NAMES), header_values(credential), max_size=6)
    )
    body, content_type = data.draw(bodies(credential))
    if content_type is not None and data.draw(st.booleans()):
        headers["Content-Type"] = content_type
    url = f"https://api.example.com/v1/{credential}/items?api_key={credential}"
    profile = data.draw(st.sampled_from(BUILTIN_PROFILES))
    contract = data.draw(
        st.sampled_from([None, {"data": list}, lambda _r: f"the body quoted {credential}"])
    )
    facts = Facts(
        kind=data.draw(st.sampled_from(list(ApiKind))),
        vendor=profile.title,
        method=data.draw(st.sampled_from(["GET", "POST", "PUT", "?"])),
        url=url,
        fresh_token=data.draw(st.booleans()),
        token_endpoint=data.draw(st.booleans()),
        now=NOW,
        contract=contract,
        secret_headers=frozenset({"x-api-key"}),
        profile=profile,
    )
    response = _response(status, headers, body, url)
    failure: TransportError | None = None
    try:
        reading = classify(response, facts)
    except TransportError as exc:  # the one documented failure: an answer that cannot be read
        failure = exc
    if failure is not None:
        output = f"{failure}\n{failure!r}\n{failure.args!r}"
        assert failure.__cause__ is None
    else:
        assert isinstance(reading, Reading)
        assert reading.signals
        output = repr(reading) + json.dumps(
            [[s.reason, dict(s.evidence), list(s.api_codes)] for s in reading.signals],
            default=str,
        )
    assert leaks(output, credential) == [], output
