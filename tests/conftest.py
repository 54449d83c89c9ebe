"""Shared test settings: hypothesis profiles, and the testing kit's pytest plugin.

``HYPOTHESIS_PROFILE=ci`` (the default) bounds examples and disables deadlines
so the suite is fast and not flaky on a loaded 2-core machine; ``dev`` explores
more.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from hf_api_governance import testing_plugin

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """Load the ``hf_api_governance.testing_plugin`` fixtures exactly once.

    An installed package already registers the plugin through its ``pytest11``
    entry point (or ``-p hf_api_governance.testing_plugin`` may name it);
    registering the same module twice is an error, so only register it when
    absent.
    """
    if not config.pluginmanager.is_registered(testing_plugin):
        config.pluginmanager.register(testing_plugin, "hf_api_governance")


# --------------------------------------------------------------- local HTTP servers
# Real servers on 127.0.0.1 (port 0) for the governed-client tests.

from collections.abc import Iterator  # noqa: E402

from tests.servers import LocalServer  # noqa: E402


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """The integration's own API."""
    srv = LocalServer()
    yield srv
    srv.close()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    """Another origin (another port): must never receive our credentials."""
    srv = LocalServer()
    yield srv
    srv.close()


from pathlib import Path  # noqa: E402

from tests.client_support import World  # noqa: E402


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Real registry, keystore and policy engine for the governed-client tests."""
    parts = World(tmp_path)
    yield parts
    parts.close()


# --------------------------------------------------------------- PostgreSQL
# One real server per test session (tests/pg_support.py), a fresh database per test.

import subprocess  # noqa: E402

from tests import pg_support  # noqa: E402


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg_support.Cluster]:
    """A PostgreSQL server for the whole session; skips (or fails in CI) without one."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _no_postgres("psycopg is not installed (the 'postgresql' extra)")
    try:
        cluster = pg_support.start_cluster()
    except pg_support.NoPostgres as exc:
        _no_postgres(str(exc))
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"the PostgreSQL test server did not start: {exc.stderr or exc.stdout}")
    yield cluster
    cluster.close()


def _no_postgres(reason: str) -> None:
    if os.environ.get(pg_support.REQUIRE_ENV) == "1":
        pytest.fail(f"{pg_support.REQUIRE_ENV}=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_url(pg_cluster: pg_support.Cluster) -> Iterator[str]:
    """The URL of a fresh registry database (schema already migrated), dropped afterwards."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a registry lives, once per store: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "registry.db")
    url: str = request.getfixturevalue("pg_url")
    return url
