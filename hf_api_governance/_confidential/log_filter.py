"""The logging side of redaction: a filter that rewrites every record, and its installer.

* :class:`RedactingFilter` is a :class:`logging.Filter` that rewrites every
  record it sees (message, arguments, extra string fields, exception and stack
  text) and always keeps the record.
* :func:`install_redaction` attaches one filter where it really applies: to
  loggers *and* to the handlers that emit their records.

What is removed, and how, is :mod:`redact`'s rule (registered secrets in every
common encoding, and credential shapes).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from hf_api_governance._confidential.redact import (
    REDACTED,
    Redactor,
    checked_secrets,
    compile_redactor,
    safe_repr,
    safe_str,
)
from hf_api_governance._confidential.secret import Secret, adopt_secret
from hf_api_governance.exceptions import ConfidentialityError, ValidationError

__all__ = ["RedactingFilter", "install_redaction"]

# -- logging ------------------------------------------------------------------------------

_MAX_DEPTH = 4  # how deep extra fields (dicts, lists) are walked
_STANDARD_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None)).keys()
    | {"message", "asctime", "taskName"}
)
_PLAIN_TYPES = (int, float, bool, type(None), Secret)


class RedactingFilter(logging.Filter):
    """A logging filter that removes secrets and credential shapes from every record.

    The filter rewrites the record in place and always returns ``True``: it
    never drops a record and never raises. It renders the message
    (``record.msg % record.args``, tuple or mapping arguments) and stores the
    redacted text in ``record.msg`` with empty ``args``, so that credential
    shapes split between the format string and its arguments
    (``"Authorization: Bearer %s"``) are found. It also redacts ``str`` (and
    ``bytes``, turned into their redacted ``repr``) fields passed with
    ``extra=`` (in dicts, lists and tuples too), the exception text
    (``exc_info`` is rendered into ``exc_text`` and then, by default,
    dropped: see ``keep_exc_info``), ``stack_info`` and a cached
    ``record.message``. A record whose message cannot be rendered (wrong
    arguments, a failing ``__str__``) is kept with its format string and the
    ``repr`` of its arguments, redacted.

    Registered secrets are held **strongly**, for the life of the filter (a
    value logged after its :class:`~hf_api_governance.Secret` object is gone,
    in a late retry or a delayed handler, is still removed); they stay in
    memory only and :meth:`unregister` forgets one. The filter cannot be
    pickled or copied.

    Filters on a logger do not apply to records that propagate to it from a
    child logger (``urllib3.connectionpool`` -> root): attach the filter to the
    *handlers* that emit the records, which :func:`install_redaction` does.

    Example:
        >>> import logging
        >>> from hf_api_governance import Secret
        >>> key = Secret("s3cr3t-api-key")
        >>> redactor = RedactingFilter(secrets=[key])
        >>> redactor.redact("sent key s3cr3t-api-key as czNjcjN0LWFwaS1rZXk=")
        'sent key REDACTED as REDACTED'

    Args:
        secrets: Secrets to remove from the start.
        keep_exc_info: Keep ``record.exc_info`` after rendering the redacted
            traceback into ``record.exc_text``. The standard
            :class:`logging.Formatter` uses ``exc_text`` when it is set, but a
            formatter or handler that formats ``exc_info`` itself (some JSON
            formatters, error-reporting services) would see the unredacted
            exception, so it is dropped unless you ask.
    """

    def __init__(self, secrets: Iterable[Secret] = (), *, keep_exc_info: bool = False) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: dict[Secret, None] = dict.fromkeys(checked_secrets(secrets))
        self._redactor: Redactor | None = None  # compiled on first use
        self._keep_exc_info = bool(keep_exc_info)
        self._attached: weakref.WeakSet[logging.Filterer] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"RedactingFilter(<{len(self._secrets)} secrets>)"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise ConfidentialityError(
            "a RedactingFilter cannot be pickled or copied: it holds confidential values"
        )

    def register(self, secret: Secret) -> None:
        """Remove ``secret`` from every record from now on.

        The combined expression is compiled again, lazily, on the next record:
        registering many secrets in a row costs one compilation.

        Raises:
            ValidationError: ``secret`` is not a :class:`~hf_api_governance.Secret`.
        """
        (checked,) = checked_secrets([secret])
        with self._lock:
            if checked not in self._secrets:
                self._secrets[checked] = None
                self._redactor = None

    def unregister(self, secret: Secret) -> None:
        """Stop looking for ``secret`` (an unknown secret is ignored)."""
        secret = adopt_secret(secret, "secret")  # type: ignore[assignment]  # a pydantic SecretStr
        with self._lock:
            if self._secrets.pop(secret, 0) is None:
                self._redactor = None

    def _current(self) -> Redactor:
        redactor = self._redactor
        if redactor is None:
            with self._lock:
                redactor = self._redactor
                if redactor is None:
                    redactor = self._redactor = compile_redactor(self._secrets)
        return redactor

    def redact(self, text: str) -> str:
        """Return ``text`` with the registered secrets and credential shapes removed.

        Never raises: on an internal failure the whole text becomes ``REDACTED``.
        """
        try:
            return self._current()(safe_str(text))
        except Exception:
            return REDACTED

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it.

        Returns:
            ``True``, always.
        """
        try:
            self._redact_record(record, self._current())
        except Exception:
            # Fail closed: a record that could not be redacted loses its content.
            with contextlib.suppress(Exception):  # a record that refuses attributes
                record.msg = "<log record content removed: redaction failed>"
                record.args = ()
                record.exc_info = None
                record.exc_text = None
                record.stack_info = None
        return True

    def _redact_record(self, record: logging.LogRecord, redact: Redactor) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = _describe_unformattable(record)
        record.msg = redact(message)
        record.args = ()
        if isinstance(record.__dict__.get("message"), str):
            record.message = record.msg
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = _format_exception(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(safe_str(record.exc_text))
        if not self._keep_exc_info:
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(safe_str(record.stack_info))
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_RECORD_ATTRIBUTES:
                record.__dict__[name] = _redact_field(value, redact, _MAX_DEPTH)

    def _attach(self, target: logging.Filterer) -> None:
        target.addFilter(self)
        self._attached.add(target)

    def detach(self) -> None:
        """Remove this filter from every logger and handler :func:`install_redaction` gave it to."""
        for target in list(self._attached):
            target.removeFilter(self)
        self._attached.clear()


def _describe_unformattable(record: logging.LogRecord) -> str:
    args = record.args
    if isinstance(args, Mapping):
        shown = ", ".join(f"{safe_repr(k)}: {safe_repr(v)}" for k, v in args.items())
    elif isinstance(args, tuple):
        shown = ", ".join(safe_repr(arg) for arg in args)
    else:
        shown = safe_repr(args)
    return f"{safe_str(record.msg)} [unformattable log arguments: {shown}]"


def _format_exception(exc_info: Any) -> str:
    try:
        return logging.Formatter().formatException(exc_info)
    except Exception:
        return "<exception could not be formatted>"


def _redact_field(value: object, redact: Redactor, depth: int) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, bytes | bytearray):
        return redact(safe_repr(value))
    if depth <= 0:
        return value
    if isinstance(value, dict):
        return {
            _redact_field(k, redact, depth - 1): _redact_field(v, redact, depth - 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [_redact_field(item, redact, depth - 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def install_redaction(
    *loggers: str | logging.Logger, secrets: Iterable[Secret] = ()
) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` everywhere the given loggers' records go.

    A filter on a logger only sees records created by that very logger; a
    record from a child logger (``urllib3.connectionpool`` under ``urllib3``)
    skips it and goes straight to the handlers up the hierarchy. So the filter
    is added to:

    * each named logger and every existing logger below it;
    * every handler of those loggers, and every handler of their ancestors
      that their records propagate to (the root logger's handlers, usually);
    * :data:`logging.lastResort`, used when no handler is configured.

    Call it **after** configuring logging (``basicConfig``, ``dictConfig``):
    a handler added later is not covered, unless the records it receives come
    from one of the loggers above. Calling it with no logger covers the root
    logger, so every existing logger and handler.

    Example:
        >>> flt = install_redaction("urllib3", "myapp.http", secrets=[Secret("s3cr3t-api-key")])
        >>> flt.detach()

    Args:
        *loggers: Logger names or :class:`logging.Logger` objects; none means
            the root logger.
        secrets: Secrets to register in the filter.

    Returns:
        The filter: :meth:`~RedactingFilter.register` more secrets on it later,
        :meth:`~RedactingFilter.detach` it to undo the installation.

    Raises:
        ValidationError: A logger is neither a name nor a ``Logger``, or a
            secret is not a :class:`~hf_api_governance.Secret`.
    """
    redacting = RedactingFilter(secrets)
    chosen: list[logging.Logger] = []
    for index, item in enumerate(loggers or (logging.getLogger(),)):
        if isinstance(item, logging.Logger):
            chosen.append(item)
        elif isinstance(item, str):
            chosen.append(logging.getLogger(item))
        else:
            raise ValidationError(
                f"loggers[{index}]", f"must be a logger name or a Logger, got {type(item).__name__}"
            )
    existing = [
        obj
        for obj in list(logging.Logger.manager.loggerDict.values())
        if isinstance(obj, logging.Logger)
    ]
    for logger in chosen:
        is_root = logger is logging.getLogger()
        below = [obj for obj in existing if is_root or obj.name.startswith(logger.name + ".")]
        for one in (logger, *below):
            redacting._attach(one)
            for handler in list(one.handlers):
                redacting._attach(handler)
        ancestor: logging.Logger | None = logger
        while ancestor is not None and ancestor.propagate and ancestor.parent is not None:
            ancestor = ancestor.parent
            for handler in list(ancestor.handlers):
                redacting._attach(handler)
    if logging.lastResort is not None:
        redacting._attach(logging.lastResort)
    return redacting
