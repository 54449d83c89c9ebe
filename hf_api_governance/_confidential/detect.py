"""Secret heuristics: does a piece of text look like a key rather than a name?

Used wherever a value pasted by mistake must be caught before it is stored or
printed: keystore entry names, URLs, evidence, error messages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Final

__all__ = ["SECRETISH_KEY_RE", "looks_like_secret"]

SECRETISH_KEY_RE: Final = re.compile(
    r"secret|passw(or)?d|passwd|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE
)
_SECRET_PREFIXES: Final = ("eyJ", "sk_", "sk-", "ghp_", "gho_", "xox", "AKIA", "ASIA", "-----BEGIN")


def looks_like_secret(text: str) -> bool:
    """Guess whether ``text`` is a secret value rather than a name.

    A heuristic to catch a key pasted where a keystore entry *name* belongs:
    known key prefixes (JWT, Slack, GitHub, AWS, Stripe...), base64-looking
    runs, or a long run of high-entropy text. Text with spaces and URLs are
    judged word by word (path segment by path segment), so a sentence, a URL
    or an ISO 8601 instant is not taken for a key, but ``Bearer <key>`` or a
    key in a query string is.
    """
    if len(text) < 20 and not _HAS_PREFIX(text):
        return False  # every word (or URL part) of it is short, and none starts with a key prefix
    words = text.split()
    if len(words) != 1 or words[0] != text:  # whitespace in it: judge word by word
        return any(looks_like_secret(word) for word in words)
    if "://" in text:
        return any(_looks_like_secret_word(part) for part in _URL_SPLIT.split(text) if part)
    return _looks_like_secret_word(text)


_HAS_PREFIX: Final = re.compile("|".join(re.escape(p) for p in _SECRET_PREFIXES)).search
_URL_SPLIT: Final = re.compile(r"[/?&#;,<>'\"=]+")
_BASE64ISH: Final = re.compile(r"[A-Za-z0-9+/=_-]{20,}")


def _looks_like_secret_word(text: str) -> bool:
    if text.startswith(_SECRET_PREFIXES):
        return True
    if len(text) < 20:  # too short for the base64 run and for the entropy test
        return False
    if ("+" in text or "/" in text or "=" in text) and _BASE64ISH.fullmatch(text):
        return True
    counts = Counter(text)
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    has_digit = any(c.isdigit() for c in text)
    has_upper = any(c.isupper() for c in text)
    has_lower = any(c.islower() for c in text)
    separators = sum(text.count(c) for c in "-_.")
    # Names are words joined by separators; keys are long runs of mixed characters.
    longest_run = max((len(part) for part in re.split(r"[-_.]", text)), default=0)
    return (
        entropy >= 3.5
        and has_digit
        and ((has_upper and has_lower) or longest_run >= 24)
        and (separators <= 2 or longest_run >= 20)
    )
