"""Session options: one typed set of keyword arguments, checked once as SessionOptions."""

from __future__ import annotations

import attrs
import pytest
import requests

from hf_api_governance import (
    FrozenClock,
    GovernedSession,
    Registry,
    RetryPolicy,
    SystemClock,
    ValidationError,
    govern,
)
from hf_api_governance._client.options import (
    SESSION_KWARGS,
    SessionKwargs,
    SessionOptions,
    TuningKwargs,
)
from hf_api_governance._facade import Governance
from hf_api_governance.testing import make_integration


def test_the_keyword_arguments_are_exactly_the_options_fields() -> None:
    fields = [f.name for f in attrs.fields(SessionOptions)]
    assert fields[:2] == ["registry", "integration_id"]
    assert set(fields[2:]) == SESSION_KWARGS == set(SessionKwargs.__annotations__)
    # What the facade leaves to its caller is part of the same set.
    assert set(TuningKwargs.__annotations__) == {
        "retry",
        "contract",
        "contract_failures",
        "timeout",
        "profile",
    }
    assert set(TuningKwargs.__annotations__) < SESSION_KWARGS


def test_the_options_have_the_documented_defaults(registry: Registry) -> None:
    options = SessionOptions(registry, "okta-directory")
    assert options.engine is None
    assert options.recorder is None
    assert options.actor == "hf-gov"
    assert options.retry == RetryPolicy()
    assert options.contract is None
    assert options.contract_failures == 3
    assert isinstance(options.clock, SystemClock)


def test_the_options_are_frozen(registry: Registry, frozen_clock: FrozenClock) -> None:
    options = SessionOptions(registry, "okta-directory", clock=frozen_clock)
    assert options.clock is frozen_clock
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.actor = "mallory"  # type: ignore[misc]


def test_the_first_bad_argument_is_named_in_field_order(registry: Registry) -> None:
    with pytest.raises(ValidationError) as caught:
        SessionOptions(None, "", actor="")  # type: ignore[arg-type]
    assert caught.value.field == "registry"
    with pytest.raises(ValidationError) as caught:
        SessionOptions(registry, "", actor="")
    assert caught.value.field == "integration_id"


def test_an_unknown_keyword_is_a_type_error_naming_the_callers_function(
    registry: Registry,
) -> None:
    registry.register(make_integration(), actor="test")
    with pytest.raises(TypeError, match=r"GovernedSession\(\) got an unexpected keyword"):
        GovernedSession(registry, "okta-directory", retries=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"govern\(\) got an unexpected keyword arg\w+ 'keystore'"):
        govern(requests.Session(), registry, "okta-directory", keystore=None)  # type: ignore[call-arg]


def test_the_facade_takes_the_tuning_options_and_wires_the_rest(governance: Governance) -> None:
    governance.registry.register(make_integration(), actor="test")
    fast = RetryPolicy(max_attempts=1)
    with governance.session("okta-directory", retry=fast, contract_failures=5) as session:
        options = session._governor.options
        assert options.retry is fast
        assert options.contract_failures == 5
        assert options.engine is governance.engine
        assert options.actor == governance.actor
        assert options.clock is governance.clock
    # The engine, recorder, actor and clock are the facade's: not overridable.
    with pytest.raises(TypeError, match="multiple values for keyword argument 'engine'"):
        governance.session("okta-directory", engine=None)  # type: ignore[call-arg]
