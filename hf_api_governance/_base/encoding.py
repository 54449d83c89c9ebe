"""Keys written as text: strict base64 and hex, never quoting what was given."""

from __future__ import annotations

import base64
import binascii

__all__ = ["b64decode_strict", "decode_key_text"]


# -- keys written as text ----------------------------------------------------------------


def b64decode_strict(text: str | bytes) -> bytes | None:
    """Decode standard or URL-safe base64, padding optional; ``None`` if it is not base64.

    Strict on purpose: a character outside the alphabet (a typo, a passphrase
    given where a key is expected) refuses the whole text instead of being
    silently dropped, which would yield a shorter, different key.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_key_text(text: str) -> bytes | None:
    """Decode a key written in hex (preferred) or base64; ``None`` if it is neither.

    Hex wins when the text decodes as hex to at least 16 bytes; otherwise the
    text is read as strict base64 (:func:`b64decode_strict`). Callers check
    the length they need and raise their own error, which must never quote
    the text.
    """
    try:
        key = bytes.fromhex(text)
    except ValueError:
        pass
    else:
        if len(key) >= 16:
            return key
    return b64decode_strict(text)
