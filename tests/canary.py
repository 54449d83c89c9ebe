"""Canary secrets and every textual encoding of them, for leak tests.

A canary is a random value with a fixed marker, long enough (at least 16
characters) that neither it nor any of its encodings can appear in an output by
chance: when one of them shows up, the value leaked.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import string
import urllib.parse

from hypothesis import strategies as st

MARKER = "CANARY"
_ALNUM = string.ascii_letters + string.digits


def str_canaries() -> st.SearchStrategy[str]:
    """Marker + at least 10 random letters/digits + any unicode tail (no surrogates)."""
    return st.builds(
        lambda core, tail: MARKER + core + tail,
        st.text(alphabet=_ALNUM, min_size=10, max_size=24),
        st.text(max_size=12),
    )


def bytes_canaries() -> st.SearchStrategy[bytes]:
    """Marker + at least 10 random bytes (often not valid UTF-8)."""
    return st.builds(
        lambda core, tail: MARKER.encode() + core + tail,
        st.binary(min_size=10, max_size=24),
        st.binary(max_size=8),
    )


def canaries() -> st.SearchStrategy[str | bytes]:
    """A str or a bytes canary."""
    return st.one_of(str_canaries(), bytes_canaries())


def as_bytes(value: str | bytes) -> bytes:
    """The value's bytes, as :meth:`Secret.reveal_bytes` gives them."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def text_encodings(value: str | bytes) -> dict[str, str]:
    """Every textual form of ``value`` that must never appear in an output."""
    data = as_bytes(value)
    forms: dict[str, str] = {
        "hex": data.hex(),
        "HEX": data.hex().upper(),
        "base64": base64.b64encode(data).decode().rstrip("="),
        "urlsafe base64": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "quote": urllib.parse.quote(data, safe=""),
        "quote (safe /)": urllib.parse.quote(data),
        "quote_plus": urllib.parse.quote_plus(data, safe=""),
        "bytes repr": repr(data)[2:-1],
        "bytes as latin-1": data.decode("latin-1"),
        "hexlify": binascii.hexlify(data).decode(),
    }
    if isinstance(value, str):
        forms["raw"] = value
        forms["str repr"] = repr(value)[1:-1]
    else:
        with contextlib.suppress(UnicodeDecodeError):
            forms["utf-8 text"] = data.decode("utf-8")
    return forms


def leaks(output: str | bytes, value: str | bytes) -> list[str]:
    """Names of the encodings of ``value`` found in ``output`` (empty: no leak)."""
    if isinstance(output, bytes):
        data = as_bytes(value)
        return ["utf-8 bytes"] if data in output else []
    return [name for name, form in text_encodings(value).items() if form and form in output]


def assert_no_leak(output: str | bytes, value: str | bytes) -> None:
    """Fail, naming the encodings, if any encoding of ``value`` is in ``output``."""
    found = leaks(output, value)
    assert not found, f"value leaked as {found} in {output!r}"
