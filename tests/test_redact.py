"""Log and text redaction: registered secrets in any encoding, credential shapes, URLs, headers."""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import http.client
import http.server
import io
import logging
import pickle
import re
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    ConfidentialityError,
    RedactingFilter,
    Secret,
    ValidationError,
    install_redaction,
    redact_text,
    redact_url,
    scrub_headers,
)
from tests.canary import MARKER, as_bytes, assert_no_leak, canaries, text_encodings

# -- an independent oracle: can the value be recovered from the output? -------------------


def _decoded_runs(output: str) -> Iterator[bytes]:
    """Everything that decodes from base64, urlsafe base64 or hex runs of ``output``."""
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", output):
        for shift in range(4):
            piece = run[shift:]
            piece = piece[: len(piece) - len(piece) % 4]
            for altchars in (b"+/", b"-_"):
                decoded = b""
                with contextlib.suppress(binascii.Error, ValueError):
                    decoded = base64.b64decode(piece, altchars=altchars, validate=True)
                yield decoded
    for run in re.findall(r"[0-9A-Fa-f]{8,}", output):
        for shift in range(2):
            piece = run[shift:]
            yield bytes.fromhex(piece[: len(piece) - len(piece) % 2])


def assert_not_recoverable(output: str, value: str | bytes) -> None:
    """No encoding of ``value`` is in ``output`` and nothing in it decodes back to it."""
    assert_no_leak(output, value)
    data = as_bytes(value)
    assert data not in urllib.parse.unquote_to_bytes(output.replace("+", " "))
    assert data not in urllib.parse.unquote_to_bytes(output)
    for decoded in _decoded_runs(output):
        assert data not in decoded, "the value can be decoded from the output"


def _encoded(value: str | bytes, encoding: str, prefix: bytes) -> str:
    """``value`` written as a program might log it."""
    data = as_bytes(value)
    if encoding == "basic":  # base64(user:password) at any byte alignment
        return "Basic " + base64.b64encode(prefix + b":" + data).decode()
    if encoding == "inside base64":
        return base64.urlsafe_b64encode(prefix + data + prefix).decode()
    if encoding == "lower percent":
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), urllib.parse.quote(data))
    if encoding == "json":
        return repr(value) if isinstance(value, bytes) else __import__("json").dumps(value)
    return text_encodings(value)[encoding] if encoding in text_encodings(value) else str(value)


ENCODINGS = [
    "raw",
    "hex",
    "HEX",
    "base64",
    "urlsafe base64",
    "quote",
    "quote_plus",
    "bytes repr",
    "str repr",
    "basic",
    "inside base64",
    "lower percent",
    "json",
]


def _capture(
    name: str, redacting: RedactingFilter | None = None
) -> tuple[logging.Logger, io.StringIO]:
    logger = logging.getLogger(f"tests.redact.{name}")
    logger.handlers.clear()
    logger.filters.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s | %(extra_field)s"))
    if redacting is not None:
        handler.addFilter(redacting)
    logger.addHandler(handler)
    return logger, stream


# -- registered secrets ---------------------------------------------------------------


@given(canaries(), st.sampled_from(ENCODINGS), st.binary(max_size=5), st.text(max_size=20))
def test_a_registered_canary_never_survives_in_formatted_output(
    value: str | bytes, encoding: str, prefix: bytes, noise: str
) -> None:
    key = Secret(value)
    redacting = RedactingFilter(secrets=[key])
    logger, stream = _capture("canary", redacting)
    written = _encoded(value, encoding, prefix)
    logger.info("%s sent %s then %r", noise, written, written, extra={"extra_field": written})
    logger.info("mapping %(w)s", {"w": written}, extra={"extra_field": [written, {"k": written}]})
    logger.info(noise + written + noise, extra={"extra_field": written.encode("utf-8", "replace")})
    try:
        raise RuntimeError(f"request with {written} failed")
    except RuntimeError:
        logger.exception("failure", extra={"extra_field": None})
    logger.info("stack", stack_info=True, extra={"extra_field": noise})
    output = stream.getvalue()
    assert "[redacted]" in output
    assert_not_recoverable(output, value)
    assert_not_recoverable(redacting.redact(noise + written), value)
    assert_not_recoverable(redact_text(written, [key]), value)


@given(st.lists(canaries(), min_size=2, max_size=6, unique_by=as_bytes))
def test_every_registered_secret_is_removed_from_one_message(values: list[str | bytes]) -> None:
    redacting = RedactingFilter(Secret(v) for v in values[:1])
    for value in values[1:]:
        redacting.register(Secret(value))
    text = " | ".join(
        f"{_encoded(v, 'raw', b'')} {_encoded(v, 'base64', b'')} {_encoded(v, 'quote', b'')}"
        for v in values
    )
    output = redacting.redact(text)
    for value in values:
        assert_not_recoverable(output, value)


def test_overlapping_occurrences_of_two_secrets_are_both_removed() -> None:
    first, second = Secret("CANARYoverlap-AAAA-XYZW"), Secret("XYZW-CANARYoverlap-BBBB")
    text = "a CANARYoverlap-AAAA-XYZW-CANARYoverlap-BBBB z"
    assert RedactingFilter([first, second]).redact(text) == "a [redacted] z"
    assert RedactingFilter([second, first]).redact(text) == "a [redacted] z"


def test_unregister_stops_looking_for_a_secret() -> None:
    key = Secret("CANARYunregister-value-1")
    redacting = RedactingFilter([key])
    assert redacting.redact("x CANARYunregister-value-1") == "x [redacted]"
    redacting.unregister(key)
    redacting.unregister(key)  # unknown now: ignored
    assert redacting.redact("x CANARYunregister-value-1") == "x CANARYunregister-value-1"


def test_registering_something_else_than_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        RedactingFilter().register("CANARYplain-string-1")  # type: ignore[arg-type]
    assert info.value.field == "secrets[0]"
    assert "CANARYplain" not in str(info.value)
    with pytest.raises(ValidationError, match=r"^secrets\[1\]"):
        redact_text("x", [Secret("CANARYok-value-001"), b"raw"])  # type: ignore[list-item]


@given(canaries())
def test_the_filter_itself_does_not_leak_what_it_holds(value: str | bytes) -> None:
    redacting = RedactingFilter([Secret(value)])
    assert_no_leak(repr(redacting), value)
    assert_no_leak(repr(vars(redacting)), value)
    for name in dir(redacting):
        assert_no_leak(repr(getattr(redacting, name)), value)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(ConfidentialityError):
            pickle.dumps(redacting, protocol=protocol)
    with pytest.raises(ConfidentialityError):
        copy.deepcopy(redacting)


# -- credential shapes ----------------------------------------------------------------

tokens = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~",
    min_size=8,
    max_size=40,
).map(lambda core: MARKER + core)

SHAPES = [
    ("Authorization: Bearer {t}", "Authorization: Bearer [redacted]"),
    ("authorization: basic {t}==", "authorization: basic [redacted]"),
    ("Authorization: MC app-id:{t}", "Authorization: MC [redacted]"),
    ("Authorization: Custom-Scheme {t}", "Authorization: Custom-Scheme [redacted]"),
    ("Authorization: {t}", "Authorization: [redacted]"),
    ("Proxy-Authorization: Basic {t}", "Proxy-Authorization: Basic [redacted]"),
    ("Cookie: session={t}; theme=dark", "Cookie: [redacted]"),
    ("Set-Cookie: sid={t}; Path=/; HttpOnly", "Set-Cookie: [redacted]"),
    ("X-Api-Key: {t}", "X-Api-Key: [redacted]"),
    ("x-mc-app-key: {t}", "x-mc-app-key: [redacted]"),
    ("X-Auth-Token: {t}", "X-Auth-Token: [redacted]"),
    (
        "grant_type=client_credentials&client_secret={t}&scope=read",
        "client_secret=[redacted]&scope=read",
    ),
    ("access_token={t}&x=1", "access_token=[redacted]&x=1"),
    ("refresh_token={t}", "refresh_token=[redacted]"),
    ("username=bob&password={t}", "username=bob&password=[redacted]"),
    ("api_key={t}", "api_key=[redacted]"),
    ("token={t}", "token=[redacted]"),
    ("GET /v1/x?page=2&token={t} HTTP/1.1", "?page=2&token=[redacted] HTTP/1.1"),
    (
        '{{"access_token": "{t}", "token_type": "bearer"}}',
        '"access_token": "[redacted]", "token_type": "bearer"',
    ),
    ('{{"client_secret":"{t}"}}', '"client_secret":"[redacted]"'),
    ('{{"refresh_token": "{t}"}}', '"refresh_token": "[redacted]"'),
    ('{{"password": "{t}"}}', '"password": "[redacted]"'),
    ('{{"id_token": "{t}"}}', '"id_token": "[redacted]"'),
    (
        "{{'access_token': '{t}', 'expires_in': 3600}}",
        "'access_token': '[redacted]', 'expires_in': 3600",
    ),
    ("{{'Authorization': 'Bearer {t}'}}", "'Authorization': '[redacted]'"),
    ('b\'{{"access_token": "{t}"}}\'', '"access_token": "[redacted]"'),
    ("body=b'client_id=abc&client_secret={t}'", "client_secret=[redacted]'"),
    (
        "send: b'POST /t HTTP/1.1\\r\\nAuthorization: Bearer {t}\\r\\nHost: h\\r\\n'",
        "Authorization: Bearer [redacted]\\r\\nHost: h",
    ),
    ("token used: Bearer {t} (expired)", "Bearer [redacted] (expired)"),
    ("https://bob:{t}@api.example.com/x", "https://bob:[redacted]@api.example.com/x"),
    ("Client(password='{t}', user='bob')", "password='[redacted]', user='bob'"),
    ('payload="{{\\"password\\": \\"{t}\\"}}"', '\\"password\\": \\"[redacted]\\"'),
]


@pytest.mark.parametrize(("template", "expected"), SHAPES)
@given(token=tokens)
def test_credential_shapes_are_removed(template: str, expected: str, token: str) -> None:
    text = template.format(t=token)
    output = redact_text(text)
    assert token not in output
    assert MARKER not in output
    assert expected in output


def test_a_jwt_and_a_pem_private_key_are_removed() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlLXZhbHVl"
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQCANARY\n-----END PRIVATE KEY-----"
    assert redact_text(f"id {jwt} and\n{pem}\nend") == "id [redacted] and\n[redacted]\nend"


@pytest.mark.parametrize(
    "text",
    [
        "token_type=bearer",
        '"token_type": "bearer"',
        "password: must not be empty",
        "the keystore has 3 entries",
        "GET /v1/integrations?page=2 HTTP/1.1",
    ],
)
def test_text_without_credentials_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


@given(st.text())
def test_redact_text_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert isinstance(once, str)
    assert redact_text(once) == once


@given(st.text(), st.lists(canaries(), max_size=3))
def test_the_filter_redact_never_crashes(text: str, values: list[str | bytes]) -> None:
    redacting = RedactingFilter(Secret(v) for v in values)
    assert isinstance(redacting.redact(text), str)


# -- URLs and headers -----------------------------------------------------------------


def test_redact_url_keeps_scheme_host_port_path_and_parameter_names() -> None:
    url = "https://user:pa55@api.example.com:8443/v1/x;jsessionid=abc?key=s3cr3t&page=2&flag#frag"
    assert redact_url(url) == (
        "https://api.example.com:8443/v1/x;jsessionid=[redacted]?key=[redacted]&page=[redacted]&[redacted]"
    )
    assert redact_url("/relative/path?access_token=abc") == "/relative/path?access_token=[redacted]"
    assert redact_url("https://token@github.com/org/repo.git") == "https://github.com/org/repo.git"


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers()))
def test_redact_url_never_raises_on_garbage(url: Any) -> None:
    assert isinstance(redact_url(url), str)


@given(
    st.sampled_from(["https", "http"]),
    st.from_regex(r"\A[a-z][a-z0-9-]{0,20}(\.[a-z]{2,5}){1,2}\Z"),
    st.dictionaries(st.from_regex(r"\A[a-z_]{1,10}\Z"), canaries().map(str), min_size=1),
    canaries().map(str),
)
def test_redact_url_drops_every_query_value_userinfo_and_fragment(
    scheme: str, host: str, query: dict[str, str], userinfo: str
) -> None:
    url = (
        f"{scheme}://{urllib.parse.quote(userinfo, safe='')}@{host}/p?"
        f"{urllib.parse.urlencode(query)}#{urllib.parse.quote(userinfo)}"
    )
    output = redact_url(url)
    assert output.startswith(f"{scheme}://{host}/p?")
    for name, value in query.items():
        assert f"{name}=[redacted]" in output
        assert_no_leak(output, value)
    assert_no_leak(output, userinfo)
    assert "#" not in output


def test_scrub_headers_replaces_credential_headers_only() -> None:
    headers = {
        "Authorization": "Bearer abc",
        "Proxy-Authorization": "Basic abc",
        "Cookie": "a=b",
        "Set-Cookie": "sid=abc",
        "X-Api-Key": "abc",
        "x-mc-app-key": "abc",
        "X-MC-Req-ID": "req-1",
        "X-Amz-Security-Token": "abc",
        "X-Hub-Signature-256": "sha256=abc",
        "Accept": "application/json",
        "Content-Type": "text/plain",
        "Location": "https://x.example/cb?code=abc#access_token=def",
    }
    scrubbed = scrub_headers(headers)
    assert list(scrubbed) == list(headers)
    assert scrubbed == {
        **dict.fromkeys(
            [
                "Authorization",
                "Proxy-Authorization",
                "Cookie",
                "Set-Cookie",
                "X-Api-Key",
                "x-mc-app-key",
                "X-Amz-Security-Token",
                "X-Hub-Signature-256",
            ],
            "[redacted]",
        ),
        "X-MC-Req-ID": "req-1",
        "Accept": "application/json",
        "Content-Type": "text/plain",
        "Location": "https://x.example/cb?code=[redacted]",
    }
    assert headers["Authorization"] == "Bearer abc"  # the input is untouched
    case_insensitive = requests.structures.CaseInsensitiveDict({"authorization": "Bearer abc"})
    assert scrub_headers(case_insensitive) == {"authorization": "[redacted]"}


@given(
    st.dictionaries(st.text(max_size=30), st.text(max_size=30)),
    st.sampled_from(["token", "secret", "key", "auth", "password", "signature", "cookie"]),
    canaries().map(str),
)
def test_scrub_headers_catches_any_name_with_a_credential_word(
    headers: dict[str, str], word: str, value: str
) -> None:
    name = f"X-{word.upper()}-Thing"
    scrubbed = scrub_headers({**headers, name: value})
    assert scrubbed[name] == "[redacted]"
    assert set(scrubbed) == set(headers) | {name}


def test_scrub_headers_also_hides_the_extra_names_and_the_mimecast_app_id() -> None:
    headers = {"X-Tenant": "t-1", "X-MC-App-ID": "app", "X-MC-Date": "d", "Accept": "*/*"}
    assert scrub_headers(headers, extra=["x-tenant"]) == {
        "X-Tenant": "[redacted]",
        "X-MC-App-ID": "[redacted]",
        "X-MC-Date": "d",
        "Accept": "*/*",
    }
    assert scrub_headers(headers, extra="X-TENANT")["X-Tenant"] == "[redacted]"  # one name


# -- the filter on records --------------------------------------------------------------


def _record(msg: object, args: Any, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("tests.redact", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_a_shape_split_between_format_and_arguments_is_removed() -> None:
    record = _record("Authorization: Bearer %s for %(x)s", None)
    record.msg, record.args = "Authorization: Bearer %s (retry %d)", ("CANARYsplit-token-1", 2)
    assert RedactingFilter().filter(record) is True
    # a header runs to the line end
    assert record.getMessage() == "Authorization: Bearer [redacted]"
    assert not record.args


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        ("two %s %s", ("CANARYbroken-args-01",)),
        ("%(missing)s", ({"present": "CANARYbroken-args-01"},)),
        ("%d", ("CANARYbroken-args-01",)),
    ],
)
def test_a_broken_record_is_kept_redacted_and_never_raises(msg: str, args: Any) -> None:
    key = Secret("CANARYbroken-args-01")
    record = _record(msg, args)
    assert RedactingFilter([key]).filter(record) is True
    message = record.getMessage()
    assert "unformattable log arguments" in message
    assert "CANARYbroken" not in message


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_objects_that_cannot_be_printed_do_not_break_the_filter() -> None:
    record = _record(_Unprintable(), (_Unprintable(),), extra_field=_Unprintable())
    assert RedactingFilter().filter(record) is True
    assert "<unrepresentable>" in record.getMessage()


def test_a_failure_inside_redaction_removes_the_content(monkeypatch: pytest.MonkeyPatch) -> None:
    redacting = RedactingFilter()

    def explode(record: logging.LogRecord, redact: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(redacting, "_redact_record", explode)
    record = _record("client_secret=%s", ("CANARYfail-closed-01",))
    assert redacting.filter(record) is True
    assert "CANARY" not in record.getMessage()
    assert record.getMessage() == "<log record content removed: redaction failed>"


@pytest.mark.parametrize("keep", [False, True])
def test_exception_text_is_redacted_and_exc_info_dropped_unless_kept(keep: bool) -> None:
    key = Secret("CANARYexception-01")
    logger, stream = _capture(f"exc{keep}", RedactingFilter([key], keep_exc_info=keep))
    records: list[logging.LogRecord] = []

    def keep_record(record: logging.LogRecord) -> bool:
        records.append(record)
        return True

    logger.addFilter(keep_record)
    try:
        raise ValueError("bad url https://h/x?access_token=abc and CANARYexception-01")
    except ValueError:
        logger.exception("failed", extra={"extra_field": "-"})
    output = stream.getvalue()
    assert "ValueError: bad url https://h/x?access_token=[redacted] and [redacted]" in output
    assert "CANARY" not in output
    assert (records[0].exc_info is not None) is keep
    assert "CANARY" not in (records[0].exc_text or "")


def test_an_exc_text_cached_by_an_earlier_handler_is_redacted() -> None:
    record = _record("m", None)
    record.exc_text = "Traceback...\nRuntimeError: password=CANARYcached-01"
    record.message = "client_secret=CANARYcached-01"
    RedactingFilter().filter(record)
    assert "CANARY" not in record.exc_text
    assert "CANARY" not in record.message


# -- install_redaction ------------------------------------------------------------------


@pytest.fixture
def parent_and_child() -> Iterator[tuple[logging.Logger, logging.Logger, io.StringIO]]:
    parent = logging.getLogger("tests.redact.tree")
    child = logging.getLogger("tests.redact.tree.child.grandchild")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    saved = parent.handlers[:], parent.propagate, parent.level
    parent.handlers[:] = [handler]
    parent.propagate = False
    parent.setLevel(logging.DEBUG)
    yield parent, child, stream
    parent.handlers[:], parent.propagate, _ = saved
    parent.setLevel(saved[2])
    for logger in (parent, child):
        logger.filters.clear()


def test_a_filter_on_a_logger_misses_records_from_its_children(
    parent_and_child: tuple[logging.Logger, logging.Logger, io.StringIO],
) -> None:
    """Why install_redaction exists: the stdlib skips logger filters for propagated records."""
    parent, child, stream = parent_and_child
    parent.addFilter(RedactingFilter())
    child.debug("client_secret=CANARYchild-01")
    assert "CANARYchild-01" in stream.getvalue()


def test_install_redaction_covers_records_from_child_loggers(
    parent_and_child: tuple[logging.Logger, logging.Logger, io.StringIO],
) -> None:
    parent, child, stream = parent_and_child
    last_resort = logging.lastResort  # the stdlib's handler when none is configured
    assert last_resort is not None
    key = Secret("CANARYinstalled-01")
    redacting = install_redaction("tests.redact.tree", secrets=[key])
    try:
        child.debug("client_secret=%s and %s", "CANARYother-01", "CANARYinstalled-01")
        logging.getLogger("tests.redact.tree.created.later").warning("token=CANARYlate-01")
        assert "CANARY" not in stream.getvalue()
        assert stream.getvalue().count("[redacted]") == 3
        assert redacting in parent.handlers[0].filters
        assert redacting in child.filters
        assert redacting in last_resort.filters
    finally:
        redacting.detach()
    assert redacting not in parent.handlers[0].filters
    assert redacting not in parent.filters
    assert redacting not in child.filters
    assert redacting not in last_resort.filters


def test_install_redaction_covers_the_handlers_of_ancestors(
    parent_and_child: tuple[logging.Logger, logging.Logger, io.StringIO],
) -> None:
    """Installed on a logger without handlers, the filter reaches the handlers its records use."""
    _, _, stream = parent_and_child
    redacting = install_redaction("tests.redact.tree.branch")
    try:
        logging.getLogger("tests.redact.tree.branch.made.after").warning("token=CANARYlate-02")
    finally:
        redacting.detach()
    assert stream.getvalue() == "token=[redacted]\n"


def test_install_redaction_refuses_what_is_not_a_logger() -> None:
    with pytest.raises(ValidationError, match=r"^loggers\[0\]"):
        install_redaction(42)  # type: ignore[arg-type]


# -- a real requests/urllib3 exchange, logged at DEBUG --------------------------------------


class _TokenEndpoint(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = b'{"access_token": "CANARYissued-token-0001", "token_type": "bearer"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def token_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def debug_http_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """urllib3 at DEBUG, and http.client's wire dump routed into logging (a common recipe)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    wire = logging.getLogger("http.client")
    urllib3_logger = logging.getLogger("urllib3")
    saved_levels = (urllib3_logger.level, wire.level)
    root.addHandler(handler)
    urllib3_logger.setLevel(logging.DEBUG)
    wire.setLevel(logging.DEBUG)

    def wire_print(*args: object) -> None:
        wire.debug(" ".join(map(str, args)))

    monkeypatch.setattr(http.client, "print", wire_print, raising=False)
    monkeypatch.setattr(http.client.HTTPConnection, "debuglevel", 1)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        urllib3_logger.setLevel(saved_levels[0])
        wire.setLevel(saved_levels[1])


def _exchange(base_url: str, token: Secret, client_secret: Secret) -> None:
    app = logging.getLogger("tests.redact.app")
    response = requests.post(
        f"{base_url}/oauth/token?access_token=CANARYquery-token-0001",
        headers={"Authorization": f"Bearer {token.reveal()!s}"},
        data={"grant_type": "client_credentials", "client_secret": client_secret.reveal()},
        timeout=10,
    )
    app.debug("sent headers %s body %r", response.request.headers, response.request.body)
    app.debug("token endpoint answered %s", response.text)


def test_a_real_requests_debug_log_shows_no_credential_once_redaction_is_installed(
    token_server: str, debug_http_logs: io.StringIO
) -> None:
    token = Secret("CANARYbearer-token-0001")
    client_secret = Secret("CANARYclient/secret+0001=")
    logging.getLogger("tests.redact.app").setLevel(logging.DEBUG)
    canaries_sent = [
        "CANARYbearer-token-0001",
        "CANARYclient",
        "CANARYquery-token-0001",
        "CANARYissued-token-0001",
    ]

    _exchange(token_server, token, client_secret)  # control: without redaction, they leak
    unredacted = debug_http_logs.getvalue()
    assert all(canary in unredacted for canary in canaries_sent), unredacted
    assert "http.client send: b'POST" in unredacted
    assert "urllib3.connectionpool" in unredacted

    debug_http_logs.seek(0)
    debug_http_logs.truncate()
    redacting = install_redaction("urllib3", "http.client", "tests.redact.app", secrets=[token])
    try:
        _exchange(token_server, token, client_secret)
    finally:
        redacting.detach()
    redacted = debug_http_logs.getvalue()
    assert "urllib3.connectionpool" in redacted
    assert "Authorization: Bearer [redacted]" in redacted
    assert "client_secret=[redacted]" in redacted
    assert "CANARY" not in redacted, redacted
    assert_not_recoverable(redacted, "CANARYclient/secret+0001=")
    assert_not_recoverable(redacted, "CANARYbearer-token-0001")
