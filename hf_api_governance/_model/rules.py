"""Field rules of the domain values: identifiers, entry names, owners, URLs.

Each ``check_*`` validates one kind of field and raises
:class:`~hf_api_governance.exceptions.ValidationError` naming it; none quotes
a value that could be a secret.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import urllib.parse
from typing import Any, Final

from hf_api_governance._base.checks import check_optional_text, check_text
from hf_api_governance._base.identifiers import ENTRY_NAME
from hf_api_governance._confidential.detect import SECRETISH_KEY_RE, looks_like_secret
from hf_api_governance.exceptions import ValidationError

__all__ = ["check_entry_name", "check_origin_pattern", "check_url", "is_loopback_host"]

EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEAM_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,99}$")


def text_field(field: str, *, max_len: int = 200, optional: bool = False) -> Any:
    """Build an attrs validator for a (possibly optional) text field."""

    def check(_inst: object, _attr: object, value: Any) -> None:
        if optional:
            check_optional_text(field, value, max_len=max_len)
        else:
            check_text(field, value, max_len=max_len)

    return check


def check_entry_name(field: str, value: object) -> str:
    """Validate a keystore entry name used as a credential reference.

    Raises:
        ValidationError: Not a valid entry name, or it looks like a secret value.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a keystore entry name, got {type(value).__name__}")
    if looks_like_secret(value):
        # Never quote the value: it may be a real key pasted by mistake.
        raise ValidationError(
            field,
            "looks like a secret value, not a keystore entry name; store the value with "
            "'hf-gov keys set NAME' and put the NAME here",
        )
    if not ENTRY_NAME.fullmatch(value):
        raise ValidationError(
            field,
            "must be a keystore entry name: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 128 characters",
        )
    return value


@functools.lru_cache(maxsize=512)
def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``).

    Cached: the policy engine and the governed client ask on every call.
    """
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(field: str, value: object) -> str:
    """Validate an API URL: absolute, https unless the host is loopback, no credentials in it.

    Raises:
        ValidationError: The URL is not acceptable.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "must be an absolute URL")
    if "\\" in value or not value.isprintable():
        # HTTP clients disagree on what a backslash means ("http://a\\@b/" is host
        # b for urllib.parse, host a for urllib3): refuse the ambiguity outright.
        raise ValidationError(field, "must not contain a backslash or control characters")
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationError(field, "is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(
            field, "must be an absolute http(s) URL such as https://api.example.com/v1"
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            field, "must not contain credentials (user:password@); use the keystore"
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValidationError(
            field, "must use https: plain http is only accepted for loopback hosts (clause 1.1.3)"
        )
    if " " in value:  # the only whitespace isprintable() lets through
        raise ValidationError(field, "must not contain whitespace")
    if "#" in value:
        raise ValidationError(field, "must not have a fragment (#...)")
    _check_url_parameters(field, parts.path, parts.query)
    return value


# Words that, alone or inside a parameter name, say the value is a credential.
# Compared with the name's words (split at separators and camelCase humps), so
# ``api_key``, ``apiKey`` and ``X-Amz-Signature`` match but ``keyword``,
# ``author`` and ``country_code`` do not.
_CREDENTIAL_PARAM_WORDS: Final = frozenset(
    {
        "key",
        "sig",
        "signature",
        "auth",
        "authorization",
        "authorisation",
        "session",
        "sessionid",
        "jsessionid",
        "sid",
        "pwd",
        "pass",
        "passphrase",
        "assertion",
        "cookie",
        "apikey",
        "accesskey",
        "secretkey",
    }
)
# Whole names that are credentials only when they stand alone: Azure Functions'
# ``?code=<function key>``, an OAuth authorization ``code``.
_CREDENTIAL_PARAM_NAMES: Final = frozenset({"code"})
_NAME_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _is_credential_param(name: str) -> bool:
    lowered = name.lower()
    if lowered in _CREDENTIAL_PARAM_NAMES or SECRETISH_KEY_RE.search(name):
        return True
    return any(word.lower() in _CREDENTIAL_PARAM_WORDS for word in _NAME_WORDS.findall(name))


_QUOTABLE_PARAM: Final = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


def _check_url_parameters(field: str, path: str, query: str) -> None:
    """Refuse a credential carried by the URL's query or path parameters (``;name=value``).

    The message names the parameter when its name is a plain short word, and
    never quotes a value.
    """
    if not query and ";" not in path:
        return
    items = [("path", item) for segment in path.split("/") for item in segment.split(";")[1:]]
    items += [("query", item) for item in re.split(r"[&;]", query)]
    advice = "; keep credentials in the keystore and name them in the auth scheme"
    for where, item in items:
        if not item:
            continue
        raw_name, equals, raw_value = item.partition("=")
        name = urllib.parse.unquote_plus(raw_name)
        if looks_like_secret(name):
            raise ValidationError(
                field,
                f"must not carry a credential: a {where} parameter looks like a secret value"
                + advice,
            )
        what = (
            f"{where} parameter {name!r}" if _QUOTABLE_PARAM.match(name) else f"a {where} parameter"
        )
        if _is_credential_param(name):
            raise ValidationError(
                field, f"must not carry a credential: {what} names a credential" + advice
            )
        if equals and looks_like_secret(urllib.parse.unquote_plus(raw_value)):
            raise ValidationError(
                field,
                f"must not carry a credential: {what} looks like it holds a secret value" + advice,
            )


_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def check_origin_pattern(field: str, value: object) -> str:
    """Validate a declared data origin: ``scheme://host[:port]``, the host may start with ``*.``.

    ``https://*.blob.core.windows.net`` matches every host under
    ``blob.core.windows.net`` (one or more labels), not the bare domain.
    https is required unless the host is loopback; no path, query, fragment
    or credentials; a wildcard only as the whole first label, before at
    least two more. The host is returned in lower case (IDNA for a
    non-ASCII name), a ``/`` path removed.

    Raises:
        ValidationError: The pattern is not acceptable (the field is named).
    """
    if not isinstance(value, str) or not value or not value.isprintable() or "\\" in value:
        raise ValidationError(field, "must be an origin such as https://*.blob.core.windows.net")
    try:
        parts = urllib.parse.urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise ValidationError(field, "is not a valid origin") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(field, "must be an origin such as https://*.blob.core.windows.net")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(field, "must not contain credentials (user:password@)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "#" in value:
        raise ValidationError(field, "must be an origin only: no path, query or fragment")
    host = parts.hostname
    wildcard = host.startswith("*.")
    name = host[2:] if wildcard else host
    try:
        ascii_name = name.encode("idna").decode("ascii").lower() if not name.isascii() else name
    except UnicodeError:
        raise ValidationError(field, "has a host name that cannot be encoded") from None
    labels = ascii_name.split(".")
    if "*" in ascii_name or not all(_LABEL.fullmatch(label) for label in labels if label):
        raise ValidationError(
            field, "has an invalid host: a wildcard may only be the whole first label (*.)"
        )
    if wildcard and len([label for label in labels if label]) < 2:
        raise ValidationError(field, "must not be a wildcard over a top-level domain")
    if parts.scheme == "http" and not (not wildcard and is_loopback_host(ascii_name)):
        raise ValidationError(
            field, "must use https: plain http is only accepted for loopback hosts (clause 1.1.3)"
        )
    netloc = ("*." if wildcard else "") + ascii_name + (f":{port}" if port is not None else "")
    return f"{parts.scheme}://{netloc}"
