"""Pytest plugin: the ``frozen_clock`` and ``policy_engine`` fixtures.

Installed packages register it through the ``pytest11`` entry point, so the
fixtures are available in every test without a ``conftest.py``. From a
source checkout that is not installed, load it with
``pytest -p hf_api_governance.testing_plugin``; not both: pytest refuses a
plugin module registered twice (a ``conftest.py`` that registers it should
check ``config.pluginmanager.is_registered(testing_plugin)`` first).
"""

from __future__ import annotations

import pytest

from hf_api_governance._clock import FrozenClock
from hf_api_governance._policy import PolicyEngine
from hf_api_governance.testing import NOW

__all__ = ["frozen_clock", "policy_engine"]


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """A :class:`~hf_api_governance.FrozenClock` at 2026-01-15T12:00Z (``testing.NOW``).

    Each test gets its own clock: moving it (``frozen_clock.advance(days=30)``)
    does not leak into other tests.
    """
    return FrozenClock(NOW)


@pytest.fixture
def policy_engine(frozen_clock: FrozenClock) -> PolicyEngine:
    """A :class:`~hf_api_governance.PolicyEngine` with the built-in policies on ``frozen_clock``.

    Add your hooks with ``policy_engine.with_hooks(...)``.
    """
    return PolicyEngine(clock=frozen_clock)
