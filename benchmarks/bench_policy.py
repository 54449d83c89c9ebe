"""Policy engine throughput: decisions per second for CALL, against a bare inline check.

Run with ``python benchmarks/bench_policy.py [N]`` (default 10,000 integrations).
The "floor" is a plain function checking the same conditions as the built-in
policies and returning (allowed, codes): what the checks cost with no engine
around them (no Finding objects, messages, details, hooks or error isolation).

Hooks: 100 user hooks, each a one-line check of the integration (its owner's
length against a limit of its own; none finds anything), run by an engine
without the built-in policies, against the same 100 checks inline: each a
plain function of the integration called in a loop (what a caller writing
the checks without the engine would run). The cost per hook is the engine's
time with the hooks less its time with none, over 100; the ratio divides it
by the inline cost per check.
"""

from __future__ import annotations

import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from hf_api_governance import (
    Action,
    ApiKind,
    EventKind,
    Finding,
    Integration,
    IntegrationState,
    Licence,
    PolicyContext,
    PolicyEngine,
    PolicyHook,
    PolicySettings,
    policy_hook,
)
from hf_api_governance.testing import (
    NOW,
    make_integration,
    make_licence,
    with_event,
    with_state,
)

S = IntegrationState


def generate(n: int, seed: int = 20260115) -> list[Integration]:
    """Build ``n`` varied integrations: states, licences, info ages, credentials, notices."""
    rnd = random.Random(seed)
    out: list[Integration] = []
    for k in range(n):
        kind = ApiKind.THIRD_PARTY_API if rnd.random() < 0.8 else ApiKind.MIMECAST_API
        licences: list[Licence] = []
        for _ in range(rnd.choice((0, 1, 1, 1, 2, 3))):
            start = date(2025, 1, 1) + timedelta(days=rnd.randrange(0, 500))
            end = start + timedelta(days=rnd.randrange(30, 730))
            licences.append(make_licence(valid_from=start, valid_until=end))
        if rnd.random() < 0.3:
            licences.append(
                make_licence(grantor="Mimecast", scope="Aware", valid_until=date(2026, 12, 31))
            )
        integration = make_integration(
            id=f"integration-{k}",
            kind=kind,
            vendor="Okta" if kind is ApiKind.THIRD_PARTY_API else "Mimecast",
            credential=None if rnd.random() < 0.05 else f"key-{k}",
            licences=tuple(licences),
            info_verified_at=None
            if rnd.random() < 0.05
            else NOW - timedelta(days=rnd.randrange(0, 400)),
            base_url="http://127.0.0.1:8443/api"
            if rnd.random() < 0.05
            else "https://example.okta.com/api/v1",
        )
        roll = rnd.random()
        if roll < 0.05:
            integration = with_state(integration, S.REVOKED)
        elif roll < 0.10:
            integration = with_state(integration, S.SUSPENDED)
        elif roll < 0.13:
            integration = with_state(integration, S.RETIRED)
        if rnd.random() < 0.1 and integration.state is not S.RETIRED:
            integration = with_event(integration, EventKind.DEPRECATION_NOTICED)
        out.append(integration)
    return out


def _start(lic: Licence) -> datetime:
    v = lic.valid_from
    return v if isinstance(v, datetime) else datetime.combine(v, dtime(0), tzinfo=UTC)


def _end(lic: Licence) -> datetime | None:
    v = lic.valid_until
    if v is None or isinstance(v, datetime):
        return v
    return datetime.combine(v + timedelta(days=1), dtime(0), tzinfo=UTC)


def floor(
    i: Integration, at: datetime, warn: timedelta, max_age: timedelta
) -> tuple[bool, list[str]]:
    """The same conditions as the built-in policies for CALL, inline, codes only."""
    codes: list[str] = []
    deny = False
    state = i.state
    if state is S.REVOKED:
        codes.append("CREDENTIAL_REVOKED")
        deny = True
    if not i.credential_entries:
        codes.append("CREDENTIAL_MISSING")
        deny = True
    if state is S.SUSPENDED:
        codes.append("INTEROP_SUSPENDED")
        deny = True
    subs = False
    sub_ok = False
    if i.kind is ApiKind.THIRD_PARTY_API:
        seen = covered = future = False
        best: datetime | None = None
        open_ended = False
        for lic in i.licences:
            if lic.grantor.strip().casefold() == "mimecast":
                continue
            seen = True
            s, e = _start(lic), _end(lic)
            if at < s:
                future = True
            elif e is None or at < e:
                covered = True
                if e is None:
                    open_ended = True
                elif best is None or e > best:
                    best = e
        if not seen:
            codes.append("LICENCE_MISSING")
            deny = True
        elif covered:
            if not open_ended and best is not None and best - at <= warn:
                codes.append("LICENCE_EXPIRING")
        elif future:
            codes.append("LICENCE_NOT_YET_VALID")
            deny = True
        else:
            codes.append("LICENCE_EXPIRED")
            deny = True
    for lic in i.licences:
        if lic.grantor.strip().casefold() == "mimecast":
            subs = True
            s, e = _start(lic), _end(lic)
            if s <= at and (e is None or at < e):
                sub_ok = True
    if subs and not sub_ok:
        codes.append("SERVICE_SUBSCRIPTION_EXPIRED")
        deny = True
    for event in reversed(i.history):
        if event.kind is EventKind.DEPRECATION_NOTICED:
            codes.append("DEPRECATION_NOTICED")
            break
        if event.kind is EventKind.UPDATED or event.kind is EventKind.REINSTATED:
            break
    verified = i.info_verified_at
    if verified is None or at - verified > max_age:
        codes.append("INFO_STALE")
    url = i.base_url
    if not url.startswith("https://") and not url.startswith(("http://127.", "http://localhost")):
        codes.append("INSECURE_TRANSPORT")
        deny = True
    if state is S.RETIRED or state is S.PENDING:
        codes.append("NOT_ACTIVE")
        deny = True
    return (not deny), codes


def best_of(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    integrations = generate(n)
    settings = PolicySettings()
    engine = PolicyEngine(settings=settings)
    at = NOW
    warn, max_age = settings.licence_warning, settings.info_max_age

    # The two must agree, or the comparison means nothing.
    decisions = engine.evaluate_all(integrations, Action.CALL, at)
    for i, d in zip(integrations, decisions, strict=True):
        allowed, codes = floor(i, at, warn, max_age)
        assert d.allowed is allowed, (i.id, d.summary(), codes)
        assert d.codes == set(codes), (i.id, d.summary(), codes)
    denied = sum(not d.allowed for d in decisions)

    engine_s = best_of(5, lambda: engine.evaluate_all(integrations, Action.CALL, at))
    loop_s = best_of(5, lambda: [engine.evaluate(i, Action.CALL, at) for i in integrations])
    floor_s = best_of(5, lambda: [floor(i, at, warn, max_age) for i in integrations])

    findings = sum(len(d.findings) for d in decisions)
    print(f"python {platform.python_version()} on {platform.machine()}, {n} integrations")
    print(f"  denied: {denied} ({denied / n:.0%}), findings: {findings}")
    for label, seconds in (
        ("engine evaluate_all ", engine_s),
        ("engine evaluate loop", loop_s),
        ("bare inline floor   ", floor_s),
    ):
        print(f"  {label}: {n / seconds:>10,.0f} per second ({seconds * 1e6 / n:.1f} us each)")
    print(f"  ratio engine/floor  : {engine_s / floor_s:.2f}x")
    _hooks(integrations[: min(n, 2000)])
    return 0


def _check(limit: int) -> Callable[[Integration], bool]:
    def check(integration: Integration) -> bool:
        return len(integration.owner) > limit

    return check


def _hook(k: int, check: Callable[[Integration], bool]) -> PolicyHook:
    @policy_hook(code=f"BENCH_HOOK_{k:03d}", pure=True)
    def hook(ctx: PolicyContext) -> Finding | None:
        return ctx.deny("owner too long") if check(ctx.integration) else None

    return hook


def _hooks(integrations: list[Integration]) -> None:
    """100 hooks against the same 100 checks called inline (see the module docstring)."""
    checks = [_check(1000 + k) for k in range(100)]
    hooks = [_hook(k, c) for k, c in enumerate(checks)]
    with_hooks = PolicyEngine(hooks, include_builtin=False)
    without = PolicyEngine(include_builtin=False)
    at = NOW

    def inline() -> None:
        for i in integrations:
            findings = []
            for check in checks:
                if check(i):
                    findings.append(i.id)

    hooked_s = best_of(7, lambda: [with_hooks.evaluate(i, Action.CALL, at) for i in integrations])
    empty_s = best_of(7, lambda: [without.evaluate(i, Action.CALL, at) for i in integrations])
    inline_s = best_of(7, inline)
    n = len(integrations) * len(hooks)
    per_hook = (hooked_s - empty_s) / n
    per_check = inline_s / n
    print(f"  100 hooks, {len(integrations)} integrations:")
    print(f"    per hook (engine) : {per_hook * 1e6:.3f} us")
    print(f"    per check (inline): {per_check * 1e6:.3f} us")
    print(f"    ratio hook/inline : {per_hook / per_check:.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
