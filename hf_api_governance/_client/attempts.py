"""One ungoverned attempt of a governed call, and what its failures keep.

The governor sends through :func:`send_once`; a failure that is not
requests' own (http.client refusing to encode a header...) becomes
:class:`Unsendable`, keeping only the exception's name: the original may
quote a header value, a credential. :func:`unreadable` reads a body that is
not streamed, so that a broken one fails inside the governed call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
import requests

from hf_api_governance._client.ports import Transport
from hf_api_governance._client.retry import RetryStats

__all__ = ["ONE_ATTEMPT", "Call", "Unsendable", "failure_name", "send_once", "unreadable"]


class Unsendable(requests.RequestException):
    """Internal: an attempt failed with an exception that is not requests' (only its name kept).

    http.client refusing to encode a header, a parser refusing a URL...: the
    original may hold a header value (a credential), so it is dropped.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def failure_name(error: BaseException) -> str:
    return error.name if isinstance(error, Unsendable) else type(error).__name__


def send_once(
    adapter: Transport, request: requests.PreparedRequest, kwargs: dict[str, Any]
) -> requests.Response:
    """One ungoverned attempt; a non-requests failure becomes :class:`Unsendable`."""
    name = ""
    try:
        return adapter.raw_send(request, kwargs)
    except requests.RequestException:
        raise
    except Exception as exc:
        name = type(exc).__name__
    raise Unsendable(name)  # outside the except block: no __context__


ONE_ATTEMPT: Final = RetryStats()  # frozen: shared by every request that needed no retry


def unreadable(response: requests.Response, kwargs: Mapping[str, Any]) -> str:
    """Read the body now unless streamed; return the failure's name, or ``""``.

    A body that cannot be read (a broken chunked stream, an encoding that
    cannot be decoded) becomes a :class:`TransportError` here, inside the
    governed call, instead of a raw requests exception later.
    """
    if kwargs.get("stream"):
        return ""
    try:
        response.content  # noqa: B018 - read it once, here
    except Exception as exc:
        return type(exc).__name__
    return ""


@attrs.frozen
class Call:
    """What a confirmation needs to send on behalf of the call being inspected."""

    adapter: Transport
    kwargs: Mapping[str, Any]
