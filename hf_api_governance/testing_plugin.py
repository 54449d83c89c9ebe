"""Pytest plugin: the ``frozen_clock``, ``policy_engine``, ``registry`` and ``governance`` fixtures.

Installed packages register it through the ``pytest11`` entry point, so the
fixtures are available in every test without a ``conftest.py``. From a
source checkout that is not installed, load it with
``pytest -p hf_api_governance.testing_plugin``; not both: pytest refuses a
plugin module registered twice (a ``conftest.py`` that registers it should
check ``config.pluginmanager.is_registered(testing_plugin)`` first).

A fixture of the same name in your own ``conftest.py`` takes precedence over
these.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from hf_api_governance._base.clock import FrozenClock
from hf_api_governance._facade import Governance
from hf_api_governance._policy import PolicyEngine
from hf_api_governance._registry.registry import Registry
from hf_api_governance.testing import NOW

__all__ = ["frozen_clock", "governance", "policy_engine", "registry"]

_ACTOR = "tester@example.com"


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


@pytest.fixture
def registry(frozen_clock: FrozenClock) -> Iterator[Registry]:
    """An empty in-memory :class:`~hf_api_governance.Registry` on ``frozen_clock``.

    Events are stamped with the frozen clock's time; the registry is closed
    after the test.
    """
    opened = Registry.open(":memory:", clock=frozen_clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def governance(tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Governance]:
    """A ``Governance`` facade on a fresh database in ``tmp_path``, on ``frozen_clock``.

    It has no keystore (checks see credential entry *names* only, nothing can
    be revealed), an audit log under a random key generated for the test (so
    ``governance.audit`` records and verifies every change), the actor
    ``tester@example.com`` and the built-in policies. It is closed after the
    test.
    """
    gov = Governance.open(
        tmp_path / "hf-gov" / "registry.db",
        actor=_ACTOR,
        clock=frozen_clock,
        audit_key=secrets.token_bytes(32),
    )
    try:
        yield gov
    finally:
        gov.close()
