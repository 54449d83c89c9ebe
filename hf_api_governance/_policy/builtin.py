"""The built-in clause policies: one method per contract obligation, each adding findings.

Revocation (1.1.1), credentials, interoperability suspension and
deprecation (1.1.2), third-party licences (1.1.2), the service subscription
(1.2), enablement information (1.1), lifecycle state and transport (1.1.3).
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable, Container
from datetime import datetime, timedelta
from typing import Any, Final, TypeAlias

from hf_api_governance._base.clock import END_OF_TIME, day_end, day_start, utc_text
from hf_api_governance._model.rules import is_loopback_host
from hf_api_governance._model.values import (
    ApiKind,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
)
from hf_api_governance._policy.decision import Action, Finding, Severity, trusted_finding
from hf_api_governance._policy.settings import PolicySettings

__all__ = []

FOREVER: Final = END_OF_TIME
"""What :meth:`Builtins.valid_until` returns when nothing could change a decision."""

_DAY: Final = timedelta(days=1)
_TICK: Final = timedelta(microseconds=1)

# ------------------------------------------------------------- built-in policies

_K = EventKind
_S = IntegrationState


def _start(licence: Licence) -> datetime:
    # The model's converter stores aware datetimes in UTC: no re-check needed.
    value = licence.valid_from
    if isinstance(value, datetime):
        return value
    return day_start(value)


def _end(licence: Licence) -> datetime | None:
    value = licence.valid_until
    if value is None or isinstance(value, datetime):
        return value
    return day_end(value)  # 9999-12-31 ends at datetime.max, no overflow


def _is_subscription(licence: Licence) -> bool:
    return licence.grantor.strip().casefold() == "mimecast"


def _last(history: tuple[Event, ...], kind: EventKind) -> Event | None:
    for event in reversed(history):
        if event.kind is kind:
            return event
    return None


def _day(value: datetime) -> str:
    return value.date().isoformat()


def _until(licence: Licence, end: datetime, *, past: bool = False) -> str:
    """Say when a licence ends the way it was written: a last day, or an end instant."""
    if isinstance(licence.valid_until, datetime):
        return f"{'ended' if past else 'ends'} at {utc_text(end)}"
    return f"{'was' if past else 'is'} valid through {licence.valid_until}"


def _licence_facts(licence: Licence) -> dict[str, Any]:
    return {
        "grantor": licence.grantor,
        "scope": licence.scope,
        "reference": licence.reference,
        "valid_from": licence.valid_from.isoformat()
        if not isinstance(licence.valid_from, datetime)
        else utc_text(licence.valid_from),
        "valid_until": None
        if licence.valid_until is None
        else licence.valid_until.isoformat()
        if not isinstance(licence.valid_until, datetime)
        else utc_text(licence.valid_until),
    }


@functools.lru_cache(maxsize=512)
def _insecure(url: str) -> tuple[str, str | None] | None:
    """``(scheme, host)`` when ``url`` is neither https nor plain http to loopback, else ``None``.

    Cached: integrations' URLs repeat on every evaluation.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback_host(parts.hostname or "")
    ):
        return None
    return parts.scheme, parts.hostname


def _shift(value: datetime, by: timedelta) -> datetime | None:
    """``value + by``, or ``None`` past the ends of the calendar."""
    try:
        return value + by
    except OverflowError:
        return None


def _add(candidates: list[datetime], at: datetime, instant: datetime | None) -> None:
    if instant is not None and instant > at:
        candidates.append(instant)


_Out: TypeAlias = list[Finding]
_Policy: TypeAlias = Callable[[Integration, Action, datetime, _Out], None]


class Builtins:
    """The built-in clause policies, sharing the engine's settings and credential lists."""

    __slots__ = ("keystore", "revoked", "settings")

    def __init__(
        self,
        settings: PolicySettings,
        keystore: Container[str] | None,
        revoked: Container[str] | None,
    ) -> None:
        self.settings = settings
        self.keystore = keystore
        self.revoked = revoked

    def valid_until(self, i: Integration, at: datetime, containers_checked: bool) -> datetime:
        """The first instant after ``at`` at which a policy below could find otherwise.

        Only the licence, subscription and information policies read the
        instant; each of their findings changes only when ``at`` crosses a
        licence's start or end, the start of its warning window, a day of
        the days left within it, the information age limit or a day of the
        age past it. Every such instant after ``at`` is a candidate; the
        earliest is returned (``at`` itself when a container of credential
        names is read, unless ``containers_checked``: the caller re-checks
        them on every use). Conservative: an instant at which nothing changes
        may be returned, never a later one.
        """
        if not containers_checked and (self.keystore is not None or self.revoked is not None):
            return at
        candidates: list[datetime] = []
        warning = self.settings.licence_warning
        for lic in i.licences:
            _add(candidates, at, _start(lic))
            end = _end(lic)
            if end is None:
                continue
            _add(candidates, at, end)
            window = _shift(end, -warning)
            _add(candidates, at, window)
            if (window is None or window <= at) and at < end:
                days = (end - at) // _DAY  # the days left change just after end - days
                if days >= 1:
                    _add(candidates, at, _shift(end - days * _DAY, _TICK))
        verified = i.info_verified_at
        if verified is not None:
            limit = self.settings.info_max_age
            age = at - verified
            if age <= limit:
                _add(candidates, at, _shift(verified, limit + _TICK))
            else:
                _add(candidates, at, _shift(verified, (age // _DAY + 1) * _DAY))
        return min(candidates, default=FOREVER)

    def policies(self) -> tuple[tuple[str, _Policy], ...]:
        """The policies, each with the name a POLICY_ERROR finding gives it."""
        return (
            ("builtin.revocation", self.revocation),
            ("builtin.credential", self.credential),
            ("builtin.suspension", self.suspension),
            ("builtin.licence", self.licence),
            ("builtin.subscription", self.subscription),
            ("builtin.deprecation", self.deprecation),
            ("builtin.info", self.info),
            ("builtin.transport", self.transport),
            ("builtin.lifecycle", self.lifecycle),
        )

    # -- clause 1.1.1 ------------------------------------------------------------

    def revocation(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.state is _S.REVOKED:
            event = _last(i.history, _K.REVOKED)
            if event is None:
                revoker, actor, when, reason = "unknown", None, None, None
            else:
                revoker = str(event.evidence.get("revoker", event.actor))
                actor, when, reason = event.actor, utc_text(event.at), event.reason
            on = f" on {when[:10]}" if when else ""
            out.append(
                trusted_finding(
                    "CREDENTIAL_REVOKED",
                    "1.1.1",
                    Severity.DENY,
                    f"API access was revoked by {revoker}{on}: do not retry with the revoked "
                    "credential; obtain a new one and replace the credential "
                    "(Registry.replace_credential)",
                    i.id,
                    {"revoker": revoker, "revoked_by": actor, "revoked_at": when, "reason": reason},
                )
            )
        revoked = self.revoked
        if revoked is not None:
            dead = [name for name in i.credential_entries if name in revoked]
            if dead:
                out.append(
                    trusted_finding(
                        "CREDENTIAL_REVOKED",
                        "1.1.1",
                        Severity.DENY,
                        f"credential entries {', '.join(dead)} are recorded as revoked: never "
                        "send them again; replace the credential",
                        i.id,
                        {"entries": tuple(dead)},
                    )
                )

    def credential(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        entries = i.credential_entries
        if not entries:
            severity = Severity.WARN if action is Action.PROVISION else Severity.DENY
            out.append(
                trusted_finding(
                    "CREDENTIAL_MISSING",
                    "1.1.1",
                    severity,
                    "no credential is named: store the key in the keystore and name its entry "
                    "in the integration's credential or auth",
                    i.id,
                    {"entries": ()},
                )
            )
            return
        keystore = self.keystore
        if keystore is None:
            return
        absent = [name for name in entries if name not in keystore]
        if absent:
            severity = (
                Severity.WARN
                if action is Action.PROVISION or action is Action.ROTATE_CREDENTIAL
                else Severity.DENY
            )
            out.append(
                trusted_finding(
                    "CREDENTIAL_MISSING",
                    "1.1.1",
                    severity,
                    f"keystore entries {', '.join(absent)} are missing: store the credential "
                    "(Governance.store_key) or fix the entry names",
                    i.id,
                    {"entries": tuple(absent)},
                )
            )

    # -- clause 1.1.2 ------------------------------------------------------------

    def suspension(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.state is not _S.SUSPENDED:
            return
        event = _last(i.history, _K.SUSPENDED)
        details: dict[str, Any]
        if event is None:
            cause, details = "unknown", {"cause": "unknown"}
        else:
            cause = str(event.evidence.get("cause", "unknown"))
            details = {
                "cause": cause,
                "suspended_by": event.actor,
                "suspended_at": utc_text(event.at),
                "reason": event.reason,
                "evidence": event.evidence,
            }
        out.append(
            trusted_finding(
                "INTEROP_SUSPENDED",
                "1.1.2",
                Severity.DENY,
                f"interoperability with {i.vendor} is suspended ({cause}): fix or migrate the "
                "integration, then reinstate it (Registry.reinstate)",
                i.id,
                details,
            )
        )

    def licence(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.kind is not ApiKind.THIRD_PARTY_API:
            return
        seen = 0
        best: Licence | None = None
        best_end: datetime | None = None
        covered = False
        upcoming: Licence | None = None
        upcoming_start: datetime | None = None
        ended: Licence | None = None
        ended_at: datetime | None = None
        for lic in i.licences:
            if _is_subscription(lic):
                continue
            seen += 1
            start = _start(lic)
            end = _end(lic)
            if at < start:
                if upcoming_start is None or start < upcoming_start:
                    upcoming, upcoming_start = lic, start
            elif end is not None and at >= end:
                if ended_at is None or end > ended_at:
                    ended, ended_at = lic, end
            elif not covered or (best_end is not None and (end is None or end > best_end)):
                covered, best, best_end = True, lic, end
        if not seen:
            out.append(
                trusted_finding(
                    "LICENCE_MISSING",
                    "1.1.2",
                    Severity.DENY,
                    f"no licence is recorded for the {i.vendor} API: the customer must hold a "
                    f"valid licence; record it (Registry.add_licence)",
                    i.id,
                    {"vendor": i.vendor},
                )
            )
        elif covered:
            assert best is not None  # noqa: S101 - set together with covered
            if best_end is not None and best_end - at <= self.settings.licence_warning:
                left = best_end - at
                out.append(
                    trusted_finding(
                        "LICENCE_EXPIRING",
                        "1.1.2",
                        Severity.WARN,
                        f"the {best.grantor} licence ({best.scope}) {_until(best, best_end)}, "
                        f"{left.days} days left: renew the licence with {best.grantor} or "
                        "record the renewal (Registry.add_licence)",
                        i.id,
                        {
                            **_licence_facts(best),
                            "ends_at": utc_text(best_end),
                            "days_left": left.days,
                        },
                    )
                )
        elif upcoming is not None:
            assert upcoming_start is not None  # noqa: S101 - set together
            out.append(
                trusted_finding(
                    "LICENCE_NOT_YET_VALID",
                    "1.1.2",
                    Severity.WARN if action is Action.PROVISION else Severity.DENY,
                    f"the {upcoming.grantor} licence ({upcoming.scope}) starts on "
                    f"{_day(upcoming_start)}: wait until it starts, or record a licence valid "
                    "now (Registry.add_licence)",
                    i.id,
                    {**_licence_facts(upcoming), "starts_at": utc_text(upcoming_start)},
                )
            )
        else:
            assert ended is not None  # noqa: S101 - every licence ended
            assert ended_at is not None  # noqa: S101
            out.append(
                trusted_finding(
                    "LICENCE_EXPIRED",
                    "1.1.2",
                    Severity.DENY,
                    f"every {i.vendor} licence has expired (the last "
                    f"{_until(ended, ended_at, past=True)}): "
                    f"renew the licence with {ended.grantor} or record the renewal "
                    "(Registry.add_licence)",
                    i.id,
                    {**_licence_facts(ended), "ended_at": utc_text(ended_at)},
                )
            )

    def deprecation(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        notice: Event | None = None
        for event in reversed(i.history):
            kind = event.kind
            if kind is _K.DEPRECATION_NOTICED:
                notice = event
                break
            if kind is _K.UPDATED or kind is _K.REINSTATED:
                return
        if notice is None:
            return
        out.append(
            trusted_finding(
                "DEPRECATION_NOTICED",
                "1.1.2",
                Severity.WARN,
                f"{i.vendor} announced the deprecation of this API on {_day(notice.at)}: "
                "plan the migration before the sunset, then record it with an update "
                "(new api_version or base_url)",
                i.id,
                {
                    "noticed_at": utc_text(notice.at),
                    "reason": notice.reason,
                    "evidence": notice.evidence,
                },
            )
        )

    # -- clause 1.2 --------------------------------------------------------------

    def subscription(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        seen = False
        covering: list[tuple[Licence, datetime | None]] = []
        last: Licence | None = None
        last_end: datetime | None = None
        for lic in i.licences:
            if not _is_subscription(lic):
                continue
            seen = True
            start = _start(lic)
            end = _end(lic)
            if start <= at and (end is None or at < end):
                covering.append((lic, end))
            elif end is not None and at >= end and (last_end is None or end > last_end):
                last, last_end = lic, end
        if covering:
            # The subscription runs as long as its longest-running covering licence.
            if any(end is None for _, end in covering):
                return
            lic, end = max(covering, key=lambda pair: pair[1] or at)
            assert end is not None  # noqa: S101 - open-ended handled above
            if end - at <= self.settings.licence_warning:
                left = end - at
                out.append(
                    trusted_finding(
                        "SERVICE_SUBSCRIPTION_EXPIRING",
                        "1.2",
                        Severity.WARN,
                        f"the Mimecast service subscription {_until(lic, end)}, "
                        f"{left.days} days left: renew it with Mimecast or record the "
                        "renewal (Registry.add_licence)",
                        i.id,
                        {**_licence_facts(lic), "ends_at": utc_text(end), "days_left": left.days},
                    )
                )
            return
        if not seen:
            return
        if last is not None and last_end is not None:
            when = _until(last, last_end, past=True)
            details = {**_licence_facts(last), "ended_at": utc_text(last_end)}
        else:
            when = "has not started yet"
            details = {}
        out.append(
            trusted_finding(
                "SERVICE_SUBSCRIPTION_EXPIRED",
                "1.2",
                Severity.DENY,
                f"the Mimecast service subscription {when}: renew the subscription with "
                "Mimecast or record the renewal (Registry.add_licence)",
                i.id,
                details,
            )
        )

    # -- clause 1.1 --------------------------------------------------------------

    def info(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        verified = i.info_verified_at
        limit = self.settings.info_max_age
        details: dict[str, Any]
        if verified is None:
            when, details = "has never been verified", {"verified_at": None}
        else:
            age = at - verified
            if age <= limit:
                return
            when = f"was last verified on {_day(verified)}, {age.days} days ago"
            details = {"verified_at": utc_text(verified), "age_days": age.days}
        details["max_age_days"] = limit.days
        out.append(
            trusted_finding(
                "INFO_STALE",
                "1.1",
                Severity.DENY if action is Action.PROVISION else Severity.WARN,
                f"the enablement information given to Mimecast {when} (limit {limit.days} "
                "days): check it is still correct and current, then run verify-info "
                "(Registry.verify_info)",
                i.id,
                details,
            )
        )

    def lifecycle(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        state = i.state
        if state is _S.RETIRED:
            message = "the integration is retired: register a new integration to use this API"
        elif state is _S.PENDING and action is Action.CALL:
            message = "the integration is pending: provision and activate it before calling"
        else:
            return
        out.append(
            trusted_finding(
                "NOT_ACTIVE", "1.1", Severity.DENY, message, i.id, {"state": state.value}
            )
        )

    # -- clause 1.1.3 ------------------------------------------------------------

    def transport(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if action is Action.REVEAL_CREDENTIAL:
            return
        urls = [("base_url", i.base_url)]
        if i.auth is not None and "token_url" in i.auth.params:
            urls.append(("auth.token_url", i.auth.params["token_url"]))
        for field, url in urls:
            if url.startswith("https://"):
                continue
            parts = _insecure(url)
            if parts is None:
                continue
            out.append(
                trusted_finding(
                    "INSECURE_TRANSPORT",
                    "1.1.3",
                    Severity.DENY,
                    f"{field} does not use https: data and keys would travel in clear; "
                    "switch the URL to https (plain http is only accepted for loopback hosts)",
                    i.id,
                    {"field": field, "scheme": parts[0], "host": parts[1]},
                )
            )
