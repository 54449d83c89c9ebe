r"""Redaction of confidential values in log records, text, URLs and headers (clause 1.1.1).

A :class:`~hf_api_governance.Secret` never prints its value, but the value
still leaves the process on purpose (an ``Authorization`` header, a token
request body), and libraries on that path log what they send: ``urllib3``
logs request lines with their query strings, ``http.client`` prints whole
requests when its debug level is raised, applications log response bodies
that carry fresh tokens. This module removes credentials from such text (the
logging filter built on it is in ``log_filter``):

* :func:`redact_text`, :func:`redact_url` and :func:`scrub_headers` do the same
  for any string, URL or header mapping.

Two kinds of things are removed:

1. **Registered secrets**, in every encoding in which they are commonly
   written: raw text, hex (both cases), standard and urlsafe base64 (padded or
   not, and at the three byte alignments, so a password inside
   ``base64(user:password)`` is found too), percent-encoding (``quote``,
   ``quote_plus``, either hex case), the escaped body of a ``str`` or
   ``bytes`` ``repr`` and JSON string escaping. All of them are matched by one
   combined regular expression, compiled when the set of secrets changes.
2. **Credential shapes**, whatever the value: ``Authorization:`` and
   ``Proxy-Authorization:`` header values of any scheme (the scheme word is
   kept: ``Bearer REDACTED``, ``MC REDACTED``), ``Cookie``/``Set-Cookie`` and
   ``X-...-Key``/``-Token``/``-Secret`` style headers, ``name=value`` pairs in
   form bodies, query strings and keyword reprs for credential names
   (``client_secret``, ``access_token``, ``refresh_token``, ``id_token``,
   ``password``, ``api_key``, ``token``, ...), the same names as JSON or
   Python-dict keys in double or single quotes (also inside ``b'...'``
   reprs, as urllib3 and requests log bodies), a bare ``Bearer <token>``,
   the password of a URL's userinfo, JSON Web Tokens and PEM private keys.

Replaced text becomes ``REDACTED``. Redaction errs on the side of removing too
much: a registered value is removed wherever it occurs, even inside another
word.
"""

from __future__ import annotations

import base64
import json
import re
import string
import urllib.parse
from collections.abc import Callable, Iterable, Mapping

from hf_api_governance._confidential.secret import Secret, adopt_secret
from hf_api_governance.exceptions import ValidationError

__all__ = [
    "redact_text",
    "redact_url",
    "scrub_headers",
]

REDACTED = "[redacted]"
_BAD_URL = "<unparseable URL>"
_BROKEN = "<unrepresentable>"
_MIN_CORE = 8  # shortest base64 fragment searched for at a shifted alignment

# -- credential shapes -------------------------------------------------------------------

# Names whose value is a credential, as form fields, query parameters, JSON keys...
# A name may carry a short prefix ("x_api_key", "aware.client_secret").
_NAMES = (
    r"(?:access|refresh|id|auth|bearer|session|csrf|xsrf)[_-]?token|token|"
    r"client[_-]?secret|secret[_-]?key|secret|api[_-]?key|apikey|app[_-]?key|access[_-]?key|"
    r"private[_-]?key|password|passwd|passphrase|pwd|session[_-]?id|jsessionid|sessionid|"
    r"signature|client[_-]?assertion|assertion|code[_-]?verifier|"
    r"(?:proxy[_-])?authorization|cookie|set[_-]cookie|credentials?"
)
_KEY = rf"(?:[a-z0-9]{{1,32}}[_.-]){{0,4}}(?:{_NAMES})"
# Start of a name: not inside a word, or right after an escaped \r \n \t of a repr.
_START = r"(?:(?<![\w-])|(?<=\\[rnt]))"

# The shape expressions are matched, case-sensitively, against an ASCII-only
# lower-cased copy of the text (same length, same positions), which is several
# times faster than re.IGNORECASE; replacements take their kept parts (the
# header name, the scheme, the quotes) from the original text.
_PRIVATE_KEY = re.compile(
    r"-----begin [a-z0-9 ]*private key-----.*?(?:-----end [a-z0-9 ]*private key-----|\Z)",
    re.DOTALL,
)
_JWT = re.compile(r"(?<![\w-])eyj[\w-]{8,}\.eyj[\w-]{8,}\.[\w-]*")
_URL_USERINFO = re.compile(
    r"(?P<pre>(?<![\w+.-])[a-z][a-z0-9+.-]{0,30}://(?:[^\s:/?#@\"'<>\\]{0,256}:)?)"
    r"(?P<val>[^\s/?#@\"'<>\\]{1,1024})(?=@)"
)
# Known credential headers, and hyphenated names ending in a credential word
# ("X-Api-Key", "X-MC-App-Key", "Private-Token"); a lone "password:" or
# "token:" in prose is not a header.
_HEADER_LINE = re.compile(
    rf"(?P<pre>{_START}(?:(?:proxy-)?authorization|cookie|set-cookie|api-?key|apikey|"
    r"(?:[a-z0-9]{1,32}-){1,4}(?:key|token|secret|password|passwd|signature|session|"
    r"credentials?|auth))"
    r"[ \t]*:[ \t]*)"
    r"(?P<scheme>[a-z][\w.+-]{0,30}[ \t]+(?=[^\s\\\"']))?"
    r"(?P<val>(?:(?!\\[rnt])[^\r\n\"'])*)"
)
_QUOTED_VALUE = (
    r"b?\"(?:\\.|[^\"\\\n]){0,16384}\""
    r"|b?'(?:\\.|[^'\\\n]){0,16384}'"
    r"|\\\"(?:(?!\\\")[^\n]){0,16384}\\\""
    r"|\\'(?:(?!\\')[^\n]){0,16384}\\'"
    r"|(?:b?[\"']|\\[\"'])[^\"'\\\n]*"  # unterminated (truncated) string
)
_QUOTED_KEY = re.compile(
    rf"(?P<pre>(?P<q>\\?[\"']){_KEY}(?P=q)[ \t]*[:=][ \t]*)"
    rf"(?P<val>{_QUOTED_VALUE}|[^\s,;}}\])&\"'\\]+)"
)
_ASSIGNMENT = re.compile(
    rf"(?P<pre>{_START}{_KEY}[ \t]*=[ \t]*)(?P<val>{_QUOTED_VALUE}|(?:(?!\\[rnt])[^&\s\"'<>])+)"
)
# b64token (RFC 6750); trailing "=" only as padding, not as the start of "=value".
_BEARER = re.compile(r"(?P<pre>(?<![\w-])bearer[ \t]+)(?P<val>[\w.~+/-]+(?:=+(?![\w.~+/-]))?)")
_OPENING_QUOTE = re.compile(r"b?[\"']|\\[\"']")
_REPEATED = re.compile(f"(?:{re.escape(REDACTED)}){{2,}}")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, so that positions do not move."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _part(match: re.Match[str], text: str, group: str) -> str:
    start, end = match.span(group)
    return text[start:end] if start >= 0 else ""


def _keep_quotes(match: re.Match[str], text: str) -> str:
    value = _part(match, text, "val")
    opening = _OPENING_QUOTE.match(value)
    if opening is None:
        return _part(match, text, "pre") + REDACTED
    quote = opening.group().removeprefix("b").removeprefix("B")
    closed = len(value) > len(opening.group()) and value.endswith(quote)
    return _part(match, text, "pre") + opening.group() + REDACTED + (quote if closed else "")


def _keep_scheme(match: re.Match[str], text: str) -> str:
    return _part(match, text, "pre") + _part(match, text, "scheme") + REDACTED


def _replace_value(match: re.Match[str], text: str) -> str:
    return _part(match, text, "pre") + REDACTED


def _replace_all(match: re.Match[str], text: str) -> str:
    return REDACTED


_Replacement = Callable[[re.Match[str], str], str]

# Cheap gates, on the lower-cased text: a shape's full expression runs only
# when its separator and one of the words every credential name contains are
# present. Most log lines pass none of them and cost a few fast searches.
_NAME_WORD = re.compile(
    r"token|secret|key|passw|passphrase|pwd|session|signature|assertion|verifier|auth|cookie|"
    r"credential"
)


def _names_and(separators: str) -> Callable[[str], bool]:
    def gate(lowered: str) -> bool:
        return any(sep in lowered for sep in separators) and bool(_NAME_WORD.search(lowered))

    return gate


_SHAPES: tuple[tuple[Callable[[str], bool], re.Pattern[str], _Replacement], ...] = (
    (lambda low: "private key" in low, _PRIVATE_KEY, _replace_all),
    (lambda low: "eyj" in low, _JWT, _replace_all),
    (lambda low: "://" in low and "@" in low, _URL_USERINFO, _replace_value),
    (_names_and(":"), _HEADER_LINE, _keep_scheme),
    (_names_and("'\""), _QUOTED_KEY, _keep_quotes),
    (_names_and("="), _ASSIGNMENT, _keep_quotes),
    (lambda low: "bearer" in low, _BEARER, _replace_value),
)


def _redact_shapes(text: str) -> str:
    if REDACTED + REDACTED in text:
        text = _REPEATED.sub(REDACTED, text)
    lowered = _ascii_lower(text)
    for could_match, pattern, replace in _SHAPES:
        if not could_match(lowered):
            continue
        pieces: list[str] = []
        position = 0
        for match in pattern.finditer(lowered):
            pieces.append(text[position : match.start()])
            pieces.append(replace(match, text))
            position = match.end()
        if pieces:
            pieces.append(text[position:])
            text = "".join(pieces)
            lowered = _ascii_lower(text)
    if REDACTED + REDACTED in text:  # adjacent replacements: one marker, so redaction is stable
        text = _REPEATED.sub(REDACTED, text)
    return text


# -- registered secrets ------------------------------------------------------------------


def _lower_percent(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def _repr_bodies(text: str) -> set[str]:
    """The body of ``repr(text)`` with ``'`` escaped or not (it depends on the whole string)."""
    escaped = repr(text + "\"'")[1:-4]  # both quotes present: ' is the delimiter, escaped
    return {escaped, escaped.replace("\\'", "'")}


def _base64_forms(data: bytes) -> set[str]:
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms.update({whole, whole.rstrip("=")})
        # The same bytes inside a longer encoded blob (``user:password``),
        # at each of the three byte alignments: keep only the characters that
        # depend on these bytes alone.
        for shift in range(3):
            shifted = encode(b"\0" * shift + data).decode("ascii")
            start = -(-8 * shift // 6)
            end = (8 * (shift + len(data))) // 6
            core = shifted[start:end]
            if len(core) >= _MIN_CORE:
                forms.add(core)
    return forms


def _variants(secret: Secret) -> set[str]:
    """Every textual form of one secret that :class:`RedactingFilter` looks for."""
    value, data = secret.reveal(), secret.reveal_bytes()
    texts: set[str] = set()
    if isinstance(value, str):
        texts.add(value)
    else:
        try:
            texts.add(data.decode("utf-8"))
        except UnicodeDecodeError:
            texts.add(data.decode("latin-1"))
    forms = set(texts)
    forms.update({data.hex(), data.hex().upper()})
    forms.update(_base64_forms(data))
    quoted = {
        urllib.parse.quote(data, safe=""),
        urllib.parse.quote(data),
        urllib.parse.quote_plus(data, safe=""),
    }
    forms.update(quoted)
    forms.update(_lower_percent(form) for form in quoted)
    escaped = _bytes_repr_bodies(data)
    for text in texts:
        escaped |= _repr_bodies(text)
    # Escaped once more: the repr of a str that holds a repr (logging "%r" of a
    # message that already contains b'...').
    forms.update(escaped)
    forms.update(twice for body in escaped for twice in _repr_bodies(body))
    for text in texts:
        forms.add(json.dumps(text)[1:-1])
        forms.add(json.dumps(text, ensure_ascii=False)[1:-1])
    forms.discard("")
    return forms


def _bytes_repr_bodies(data: bytes) -> set[str]:
    escaped = repr(data + b"\"'")[2:-4]
    return {escaped, escaped.replace("\\'", "'")}


Redactor = Callable[[str], str]
_Trie = dict[str, "_Trie"]


def _literal_pattern(words: set[str]) -> re.Pattern[str]:
    """One expression matching any of ``words``, longest first where several start at one place.

    The words are laid out as a trie (``abc|abd`` becomes ``ab(?:c|d)``), so
    the engine tests a few characters per position instead of every word:
    with 1000 secrets (some 20,000 forms) a plain alternation is many times
    slower. A trie too deep for the regular-expression compiler falls back to
    the plain alternation.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    try:
        return re.compile(_trie_expression(trie))
    except (RecursionError, re.error, OverflowError):
        ordered = sorted(words, key=lambda word: (-len(word), word))
        return re.compile("|".join(map(re.escape, ordered)))


def _trie_expression(node: _Trie) -> str:
    branches: list[str] = []
    for char in sorted(key for key in node if key):
        chars, child = [char], node[char]
        while len(child) == 1 and "" not in child:  # a chain without branching: one literal
            ((following, child),) = child.items()
            chars.append(following)
        branches.append(re.escape("".join(chars)) + _trie_expression(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # A word may end here, or go on: the greedy "?" prefers the longer match.
    return f"(?:{body})?" if "" in node else body


def compile_redactor(secrets: Iterable[Secret]) -> Redactor:
    """Return one function that removes every form of every secret, then the shapes.

    The compiled expression (which spells out the values) lives only in the
    closure, never in an attribute that ``vars()`` or a debugger would show.
    """
    forms: set[str] = set()
    for secret in secrets:
        forms |= _variants(secret)
    if not forms:
        return _redact_shapes
    pattern = _literal_pattern(forms)
    del forms

    def redact(text: str) -> str:
        match = pattern.search(text)
        if match is None:
            return _redact_shapes(text)
        # Collect every occurrence, overlapping ones included (a search from
        # each match's start + 1), and blank the union of their spans.
        spans: list[list[int]] = []
        while match is not None:
            start, end = match.span()
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
            match = pattern.search(text, start + 1)
        pieces: list[str] = []
        position = 0
        for start, end in spans:
            pieces.append(text[position:start])
            pieces.append(REDACTED)
            position = end
        pieces.append(text[position:])
        return _redact_shapes("".join(pieces))

    return redact


# -- public functions --------------------------------------------------------------------


def safe_str(value: object) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:
        return _BROKEN


def safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return _BROKEN


def redact_text(text: str, secrets: Iterable[Secret] = ()) -> str:
    """Return ``text`` with registered secrets and credential shapes replaced by ``REDACTED``.

    This compiles a matcher for ``secrets`` on every call; to redact many
    strings against the same secrets, keep a :class:`RedactingFilter` and call
    its :meth:`~RedactingFilter.redact`.

    Args:
        text: Any text (a non-``str`` is converted with ``str`` first).
        secrets: Values to remove in every common encoding.

    Returns:
        The redacted text. On an internal failure the whole text is replaced
        by ``REDACTED``.

    Raises:
        ValidationError: An item of ``secrets`` is not a
            :class:`~hf_api_governance.Secret` (whatever ``text`` is, this
            function does not raise otherwise).
    """
    try:
        return compile_redactor(checked_secrets(secrets))(safe_str(text))
    except ValidationError:
        raise
    except Exception:
        return REDACTED


def checked_secrets(secrets: Iterable[Secret]) -> list[Secret]:
    given: object = secrets
    if isinstance(given, Secret):  # one secret instead of an iterable of them
        return [given]
    given = adopt_secret(given, "secret")
    if isinstance(given, Secret):  # a pydantic SecretStr
        return [given]
    listed = [adopt_secret(s, "secret") for s in secrets]
    for index, secret in enumerate(listed):
        if not isinstance(secret, Secret):
            raise ValidationError(
                f"secrets[{index}]", f"must be a Secret, got {type(secret).__name__}"
            )
    return listed  # type: ignore[return-value]  # every item was checked just above


def _redact_query_item(item: str) -> str:
    name, equals, _ = item.partition("=")
    if equals:
        return f"{name}={REDACTED}"
    return REDACTED if item else item


def redact_url(url: str) -> str:
    """Return ``url`` safe to log: no userinfo, no query values, no fragment.

    The scheme, host, port and path are kept (credential shapes in the path,
    such as ``;jsessionid=...``, are redacted); every query parameter keeps its
    name and gets the value ``REDACTED`` (a parameter without ``=`` becomes
    ``REDACTED``).

    Example:
        >>> redact_url("https://user:pw@api.example.com:8443/v1/x?key=abc&page=2#frag")
        'https://api.example.com:8443/v1/x?key=REDACTED&page=REDACTED'

    Args:
        url: The URL, absolute or relative.

    Returns:
        The redacted URL, or ``"<unparseable URL>"`` for input that is not a
        URL at all. Never raises.
    """
    given: object = url  # callers without type checking pass anything
    try:
        if isinstance(given, bytes | bytearray):
            given = bytes(given).decode("utf-8", "replace")
        if not isinstance(given, str):
            return _BAD_URL
        parts = urllib.parse.urlsplit(given.strip())
        host_port = parts.netloc.rpartition("@")[2]
        query = "&".join(_redact_query_item(item) for item in parts.query.split("&"))
        path = _redact_shapes(parts.path)
        return urllib.parse.urlunsplit((parts.scheme, host_port, path, query, ""))
    except Exception:
        return _BAD_URL


_CREDENTIAL_HEADER_WORDS = (
    "token",
    "secret",
    "key",
    "auth",
    "password",
    "passwd",
    "signature",
    "cookie",
    "session",
    "credential",
)
# Credential headers whose name holds none of the words above: the Mimecast
# application id is a keystore credential of the ``mimecast_hmac_v1`` scheme.
_CREDENTIAL_HEADER_NAMES = frozenset({"x-mc-app-id"})
_URL_HEADERS = frozenset({"location", "content-location", "referer", "referrer"})


def _is_credential_header(lowered: str) -> bool:
    return lowered in _CREDENTIAL_HEADER_NAMES or any(
        word in lowered for word in _CREDENTIAL_HEADER_WORDS
    )


def is_credential_header(name: str) -> bool:
    """Whether a header named ``name`` (any case) carries a credential.

    The same test :func:`scrub_headers` applies: ``x-mc-app-id``, or a name
    holding ``token``, ``secret``, ``key``, ``auth``, ``password``,
    ``signature``, ``cookie``, ``session`` or ``credential``. The governed
    client strips such headers from requests to a foreign origin.
    """
    return _is_credential_header(safe_str(name).lower())


def scrub_headers(headers: Mapping[str, str], *, extra: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of ``headers`` that is safe to log.

    Credential headers (``Authorization``, ``Proxy-Authorization``,
    ``Cookie``, ``Set-Cookie``, ``X-Api-Key``, ``x-mc-app-key``,
    ``x-mc-app-id``, any header whose name contains ``token``, ``secret``,
    ``key``, ``auth``, ``password``, ``signature``, ``cookie``, ``session``
    or ``credential``, and the names in ``extra``, in any case) get the value
    ``REDACTED``. URL-valued headers (``Location``, ``Content-Location``,
    ``Referer``) go through :func:`redact_url`. Other headers are copied
    unchanged, in order.

    Example:
        >>> scrub_headers({"Authorization": "Bearer abc", "Accept": "application/json"})
        {'Authorization': 'REDACTED', 'Accept': 'application/json'}
        >>> scrub_headers({"X-Tenant": "t-1", "Accept": "*/*"}, extra=["x-tenant"])
        {'X-Tenant': 'REDACTED', 'Accept': '*/*'}

    Args:
        headers: Any mapping of header names to values (a ``dict``,
            ``requests``' ``CaseInsensitiveDict``, ``http.client`` messages).
        extra: More header names to treat as credentials (an integration's
            own API-key header, for instance), in any case.

    Returns:
        A new ``dict``; the input is not changed.
    """
    names: object = extra
    if isinstance(names, str):  # one name instead of an iterable of names
        extra = (names,)
    also = frozenset(safe_str(name).lower() for name in extra)
    scrubbed: dict[str, str] = {}
    for name, value in headers.items():
        lowered = safe_str(name).lower()
        if lowered in also or _is_credential_header(lowered):
            scrubbed[name] = REDACTED
        elif lowered in _URL_HEADERS:
            scrubbed[name] = redact_url(value)
        else:
            scrubbed[name] = value
    return scrubbed
