"""pytest set-up for ACME's policy tests.

A customer's repository would install its policy package (``pip install -e .``)
or set ``pythonpath = ["."]`` in its pytest configuration. This one lives in
the examples of ``hf_api_governance``, whose test run collects it too
(``testpaths`` in ``pyproject.toml``), so it puts its own directory on
``sys.path`` to make ``acme_policies`` importable, and registers the testing
kit's plugin (fixtures ``frozen_clock``, ``policy_engine``...) unless the
installed package's ``pytest11`` entry point or another conftest already did:
pytest refuses a plugin module registered twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hf_api_governance import testing_plugin

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def pytest_configure(config: pytest.Config) -> None:
    """Register ``hf_api_governance.testing_plugin`` once."""
    if not config.pluginmanager.is_registered(testing_plugin):
        config.pluginmanager.register(testing_plugin, "hf_api_governance")
