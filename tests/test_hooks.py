"""User policy hooks: declaring, loading, running, failing closed; the docs' example hooks."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    Action,
    Finding,
    FrozenClock,
    Integration,
    IntegrationState,
    PolicyContext,
    PolicyEngine,
    PolicyError,
    PolicyHook,
    PolicySettings,
    Secret,
    Severity,
    ValidationError,
    load_hooks,
    policy_hook,
)
from hf_api_governance import strategies as hst
from hf_api_governance.testing import (
    NOW,
    assert_allowed,
    assert_denied,
    assert_warned,
    make_integration,
)

# ------------------------------------------------ the example hooks of docs/policies.md


@policy_hook(code="ACME_OWNER_IS_A_PERSON", clause="1.5", actions=[Action.PROVISION, Action.CALL])
def owner_is_a_person(ctx: PolicyContext) -> Finding | None:
    """Every integration must name a person (an e-mail address) as its owner."""
    if "@" not in ctx.integration.owner:
        return ctx.deny(
            "name a person (an e-mail address) as owner, not a team",
            owner=ctx.integration.owner,
        )
    return None


@policy_hook(code="ACME_EU_REGION", clause="1.1", actions=Action.PROVISION)
def enablement_names_an_eu_region(ctx: PolicyContext) -> Finding | None:
    """ACME keeps Human Factors data in the EU: the enablement information must say so."""
    region = ctx.integration.enablement.get("region")
    if region is None:
        return ctx.warn("record the region in the enablement information")
    if region != "eu":
        return ctx.deny("ACME only enables APIs in the EU region", region=region)
    return None


def test_a_team_owner_is_denied(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(owner_is_a_person)
    decision = engine.evaluate(make_integration(owner="Platform Team"), Action.CALL)
    finding = assert_denied(decision, "ACME_OWNER_IS_A_PERSON")
    assert finding is not None
    assert finding.details["owner"] == "Platform Team"


def test_a_person_owner_is_allowed(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(owner_is_a_person)
    assert_allowed(engine.evaluate(make_integration(), Action.CALL))


def test_the_region_hook_only_runs_when_provisioning(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(enablement_names_an_eu_region)
    us = make_integration(enablement={"region": "us"})
    assert_denied(engine.evaluate(us, Action.PROVISION), "ACME_EU_REGION")
    assert_allowed(engine.evaluate(us, Action.CALL))
    assert_warned(engine.evaluate(make_integration(enablement={}), "provision"), "ACME_EU_REGION")


@given(hst.integrations(with_history=True), hst.actions())
def test_the_example_hooks_never_fail(integration: Integration, action: Action) -> None:
    engine = PolicyEngine(
        [owner_is_a_person, enablement_names_an_eu_region], clock=FrozenClock(NOW)
    )
    assert "POLICY_ERROR" not in engine.evaluate(integration, action).codes


# ------------------------------------------------------------------ declaring hooks


def test_policy_hook_builds_a_hook_with_its_declaration() -> None:
    assert isinstance(owner_is_a_person, PolicyHook)
    assert owner_is_a_person.code == "ACME_OWNER_IS_A_PERSON"
    assert owner_is_a_person.clause == "1.5"
    assert owner_is_a_person.actions == {Action.PROVISION, Action.CALL}
    assert owner_is_a_person.name == f"{__name__}.owner_is_a_person"
    assert enablement_names_an_eu_region.actions == {Action.PROVISION}


def test_a_hook_without_actions_runs_for_every_action() -> None:
    @policy_hook(code="ACME_ALWAYS", name="always")
    def always(ctx: PolicyContext) -> Finding:
        return ctx.info("seen")

    assert always.actions == frozenset(Action)
    assert always.clause is None
    assert always.name == "always"
    engine = PolicyEngine([always], clock=FrozenClock(NOW))
    for action in Action:
        assert engine.evaluate(make_integration(), action).codes == {"ACME_ALWAYS"}


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"code": "lower_case"}, "must match"),
        ({"code": "AB"}, "must match"),
        ({"code": "A" * 65}, "must match"),
        ({"code": "1ABC"}, "must match"),
        ({"code": "LICENCE_EXPIRED"}, "built-in"),
        ({"code": "POLICY_ERROR"}, "built-in"),
        ({"code": "ACME_X", "clause": "one"}, "clause"),
        ({"code": "ACME_X", "actions": []}, "must not be empty"),
        ({"code": "ACME_X", "actions": ["delete"]}, "actions"),
        ({"code": "ACME_X", "actions": "delete"}, "actions"),
        ({"code": "ACME_X", "actions": 3}, "actions"),
        ({"code": "ACME_X", "name": " "}, "name"),
    ],
)
def test_bad_declarations_are_refused(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        policy_hook(**kwargs)


def test_only_functions_can_be_decorated() -> None:
    with pytest.raises(PolicyError, match="plain function"):
        policy_hook(code="ACME_X")(42)  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="plain function"):
        policy_hook(code="ACME_Y")(owner_is_a_person)


def test_an_undecorated_function_is_refused_with_a_hint() -> None:
    def plain(ctx: PolicyContext) -> None:
        return None

    with pytest.raises(PolicyError, match=r"plain is not a policy hook: decorate it"):
        PolicyEngine([plain])  # type: ignore[list-item]
    with pytest.raises(PolicyError, match="iterable of policy hooks"):
        PolicyEngine(42)  # type: ignore[arg-type]


def test_two_hooks_may_not_share_a_code_but_a_hook_may_repeat() -> None:
    @policy_hook(code="ACME_OWNER_IS_A_PERSON")
    def impostor(ctx: PolicyContext) -> None:
        return None

    with pytest.raises(PolicyError, match="both declare code ACME_OWNER_IS_A_PERSON"):
        PolicyEngine([owner_is_a_person, impostor])
    assert PolicyEngine([owner_is_a_person, owner_is_a_person]).hooks == (owner_is_a_person,)


def test_with_hooks_returns_a_new_engine_and_accepts_groups() -> None:
    base = PolicyEngine(clock=FrozenClock(NOW))
    grown = base.with_hooks([owner_is_a_person], enablement_names_an_eu_region)
    assert base.hooks == ()
    assert set(grown.hooks) == {owner_is_a_person, enablement_names_an_eu_region}
    assert grown.clock is base.clock
    assert_denied(grown.evaluate(make_integration(owner="Platform Team"), "call"))
    assert_allowed(base.evaluate(make_integration(owner="Platform Team"), "call"))


def test_the_context_is_read_only_and_complete() -> None:
    seen: list[PolicyContext] = []

    @policy_hook(code="ACME_SPY", clause="1.1")
    def spy(ctx: PolicyContext) -> None:
        seen.append(ctx)

    settings = PolicySettings(info_max_age=timedelta(days=90))
    integration = make_integration()
    PolicyEngine([spy], settings=settings, clock=FrozenClock(NOW)).evaluate(
        integration, "reveal_credential"
    )
    (ctx,) = seen
    assert ctx.integration is integration
    assert ctx.action is Action.REVEAL_CREDENTIAL
    assert ctx.at == NOW
    assert ctx.history == integration.history
    assert ctx.settings is settings
    assert (ctx.code, ctx.clause) == ("ACME_SPY", "1.1")
    with pytest.raises(AttributeError):
        ctx.action = Action.CALL  # type: ignore[misc]
    finding = ctx.deny("no", when=NOW)
    assert finding == Finding(
        "ACME_SPY", "1.1", Severity.DENY, "no", "okta-directory", {"when": "2026-01-15T12:00:00Z"}
    )


# ------------------------------------------------------------------- failing closed


def hook_returning(value: Callable[[PolicyContext], object], code: str = "ACME_ODD") -> PolicyHook:
    return policy_hook(code=code, name=f"odd.{code.lower()}")(value)  # type: ignore[arg-type]


def raising(ctx: PolicyContext) -> None:
    raise KeyError("tenant")


def leaking(ctx: PolicyContext) -> None:
    raise ValueError("bad key sk_live_51HxYzAbCdEfGhIjKlMnOpQr for tenant " + "x" * 400)


def generator_that_fails(ctx: PolicyContext) -> Iterator[Finding]:
    yield ctx.warn("first")
    raise RuntimeError("midway")


@pytest.mark.parametrize(
    ("func", "problem"),
    [
        (raising, "KeyError"),
        (lambda ctx: 42, "returned a int"),
        (lambda ctx: "DENY", "returned a str"),
        (lambda ctx: {"code": "X"}, "returned a dict"),
        (lambda ctx: [ctx.warn("ok"), "junk"], "returned a str among its findings"),
        (lambda ctx: Finding("ACME_OTHER", None, Severity.INFO, "m"), "declared ACME_ODD"),
        (lambda ctx: Finding("LICENCE_EXPIRED", None, Severity.INFO, "m"), "declared ACME_ODD"),
        (lambda ctx: Finding("ACME_ODD", None, Severity.INFO, "m", "other-id"), "another"),
        (generator_that_fails, "midway"),
        (lambda ctx: ctx.warn("x", obj=object()), "JSON-able"),
        (lambda ctx: iter(lambda: ctx.info("again"), None), "more than 1000"),
    ],
)
def test_a_misbehaving_hook_denies_with_policy_error(
    func: Callable[[PolicyContext], object], problem: str
) -> None:
    engine = PolicyEngine([hook_returning(func)], clock=FrozenClock(NOW))
    decision = engine.evaluate(make_integration(), Action.CALL)
    assert not decision.allowed
    assert decision.codes == {"POLICY_ERROR"}
    (finding,) = decision.findings
    assert finding.details["policy"] == "odd.acme_odd"
    assert problem in finding.message


def test_policy_error_messages_are_scrubbed_and_truncated() -> None:
    engine = PolicyEngine([hook_returning(leaking)], clock=FrozenClock(NOW))
    (finding,) = engine.evaluate(make_integration(), Action.CALL).findings
    assert "sk_live" not in finding.message
    assert "sk_live" not in str(finding.to_json())
    assert "[redacted]" in finding.details["error"]
    assert len(finding.details["error"]) <= 200
    assert finding.details["error_type"] == "ValueError"


def test_a_finding_without_integration_id_is_attributed() -> None:
    hook = hook_returning(lambda ctx: Finding("ACME_ODD", "1.1", Severity.WARN, "m"))
    decision = PolicyEngine([hook], clock=FrozenClock(NOW)).evaluate(make_integration(), "call")
    assert decision.findings[0].integration_id == "okta-directory"
    assert decision.allowed


def test_base_exceptions_other_than_exception_are_not_swallowed() -> None:
    def interrupted(ctx: PolicyContext) -> None:
        raise KeyboardInterrupt

    engine = PolicyEngine([hook_returning(interrupted)], clock=FrozenClock(NOW))
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate(make_integration(), Action.CALL)


# ---------------------------------------------------------------------- properties

_BEHAVIOURS: dict[str, Callable[[PolicyContext], object]] = {
    "none": lambda ctx: None,
    "deny": lambda ctx: ctx.deny("no", state=ctx.integration.state),
    "warn": lambda ctx: [ctx.warn("careful"), ctx.info("fyi")],
    "info": lambda ctx: (f for f in [ctx.info("fyi")]),
    "raise": raising,
    "garbage": lambda ctx: 3.5,
    "garbage-list": lambda ctx: [None],
    "wrong-code": lambda ctx: Finding("ACME_ELSEWHERE", None, Severity.WARN, "m"),
    "fails-midway": generator_that_fails,
}


@st.composite
def hook_sets(draw: st.DrawFn) -> list[PolicyHook]:
    names = draw(st.lists(st.sampled_from(sorted(_BEHAVIOURS)), max_size=5))
    hooks = []
    for n, name in enumerate(names):
        actions = draw(st.frozensets(hst.actions(), min_size=1))
        hooks.append(
            policy_hook(code=f"ACME_H{n}", actions=actions, name=f"h{n}.{name}")(_BEHAVIOURS[name])  # type: ignore[arg-type]
        )
    return hooks


@given(
    hst.integrations(with_history=True),
    hst.actions(),
    hst.instants(),
    hook_sets(),
    st.randoms(use_true_random=False),
)
def test_property_evaluation_never_raises_and_ignores_hook_order(
    integration: Integration,
    action: Action,
    at: datetime,
    hooks: list[PolicyHook],
    random: Any,
) -> None:
    decision = PolicyEngine(hooks).evaluate(integration, action, at)
    shuffled = list(hooks)
    random.shuffle(shuffled)
    assert PolicyEngine(shuffled).evaluate(integration, action, at) == decision
    assert decision.allowed is not any(f.severity is Severity.DENY for f in decision.findings)
    for hook in hooks:
        if action not in hook.actions:
            assert not any(hook.code == f.code for f in decision.findings)
            assert not any(f.details.get("policy") == hook.name for f in decision.findings)
        elif hook.name.split(".")[1] in {
            "raise",
            "garbage",
            "garbage-list",
            "wrong-code",
            "fails-midway",
        }:
            assert not decision.allowed
            assert any(f.details.get("policy") == hook.name for f in decision.findings)


@given(hst.integrations(state=IntegrationState.REVOKED), hst.actions(), hook_sets())
def test_property_no_hook_can_allow_a_revoked_integration(
    integration: Integration, action: Action, hooks: list[PolicyHook]
) -> None:
    decision = PolicyEngine(hooks).evaluate(integration, action, datetime(2026, 1, 1, tzinfo=UTC))
    assert_denied(decision, "CREDENTIAL_REVOKED")


# -------------------------------------------------------------------- load_hooks


def write_module(root: Path, name: str, body: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_load_hooks_collects_decorated_hooks(modules: Path) -> None:
    write_module(
        modules,
        "acme_hooks_decorated",
        """
        from hf_api_governance import policy_hook

        @policy_hook(code="ACME_B", clause="1.1")
        def second(ctx):
            return ctx.warn("b")

        @policy_hook(code="ACME_A")
        def first(ctx):
            return None

        def helper():
            pass
        """,
    )
    hooks = load_hooks("acme_hooks_decorated")
    assert [h.code for h in hooks] == ["ACME_B", "ACME_A"]
    decision = PolicyEngine(hooks, clock=FrozenClock(NOW)).evaluate(make_integration(), "call")
    assert_warned(decision, "ACME_B")


def test_load_hooks_prefers_the_module_hooks_list(modules: Path) -> None:
    write_module(
        modules,
        "acme_hooks_listed",
        """
        from hf_api_governance import policy_hook

        @policy_hook(code="ACME_LISTED")
        def listed(ctx):
            return None

        @policy_hook(code="ACME_UNLISTED")
        def unlisted(ctx):
            return None

        HOOKS = [listed]
        """,
    )
    assert [h.code for h in load_hooks("acme_hooks_listed")] == ["ACME_LISTED"]


def test_load_hooks_merges_several_modules_once_each(modules: Path) -> None:
    write_module(
        modules,
        "acme_group_one",
        """
        from hf_api_governance import policy_hook

        @policy_hook(code="ACME_ONE")
        def one(ctx):
            return None
        """,
    )
    write_module(modules, "acme_group_two", "from acme_group_one import one\nHOOKS = [one]\n")
    hooks = load_hooks("acme_group_one", "acme_group_two")
    assert [h.code for h in hooks] == ["ACME_ONE"]


@pytest.mark.parametrize(
    ("name", "body", "problem"),
    [
        (
            "acme_missing_module",
            None,
            r"cannot import policy module 'acme_missing_module': ModuleNotFoundError",
        ),
        ("acme_broken", "raise RuntimeError('boom')\n", r"cannot import .*RuntimeError: boom"),
        ("acme_syntax", "def (:\n", r"cannot import .*SyntaxError"),
        ("acme_empty", "X = 1\n", r"defines no policy hook"),
        ("acme_empty_list", "HOOKS = []\n", r"defines no policy hook"),
        ("acme_bad_list", "HOOKS = [print]\n", r"HOOKS\[0\] is a builtin_function_or_method"),
        ("acme_bad_hooks", "HOOKS = 'ACME'\n", r"HOOKS must be a list"),
    ],
)
def test_load_hooks_explains_what_is_wrong(
    modules: Path, name: str, body: str | None, problem: str
) -> None:
    if body is not None:
        write_module(modules, name, body)
    with pytest.raises(PolicyError, match=problem):
        load_hooks(name)


def test_load_hooks_needs_a_module() -> None:
    with pytest.raises(PolicyError, match="at least one"):
        load_hooks()
    with pytest.raises(PolicyError, match="non-empty"):
        load_hooks("")


def test_findings_from_hooks_must_be_secret_free() -> None:
    with pytest.raises(ValidationError, match="Secret"):
        Finding("ACME_X", None, Severity.WARN, "m", details={"k": Secret("v")})


def test_hooks_accept_iterables_of_findings(policy_engine: PolicyEngine) -> None:
    @policy_hook(code="ACME_MANY")
    def many(ctx: PolicyContext) -> Iterable[Finding]:
        return (ctx.warn(f"w{n}") for n in range(3))

    decision = policy_engine.with_hooks(many).evaluate(make_integration(), "call")
    assert [f.message for f in decision.warnings] == ["w0", "w1", "w2"]
