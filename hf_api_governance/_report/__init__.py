"""Reports that CI systems and people read natively, all drawn from one report.

- :mod:`~hf_api_governance._report.rules`: what each finding code means (title, fix).
- :mod:`~hf_api_governance._report.model`: the secret-free view of a ``Report``
  every format lays out, and where each integration is declared (:class:`Source`).
- :mod:`~hf_api_governance._report.sarif`: SARIF 2.1.0 for code scanning.
- :mod:`~hf_api_governance._report.junit`: JUnit XML for CI test reports.
- :mod:`~hf_api_governance._report.markdown`: pull-request comments and job summaries.
- :mod:`~hf_api_governance._report.timeline`: the SVG expiry timeline.
- :mod:`~hf_api_governance._report.html_page`: the self-contained posture page.

:func:`render` is the one entry point (``hf-gov check --format``); the
``table`` and ``json`` formats stay in :mod:`hf_api_governance._cli.output`
and read the same report, made secret-free by :func:`redact_report`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Unpack

from hf_api_governance._report.model import (
    ReportView,
    Source,
    ViewOptions,
    build_view,
    redact_report,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Report

__all__ = ["FORMATS", "RENDERERS", "Source", "redact_report", "render", "renderer"]

RENDERERS: Final = {
    "sarif": "hf_api_governance._report.sarif:render_sarif",
    "junit": "hf_api_governance._report.junit:render_junit",
    "markdown": "hf_api_governance._report.markdown:render_markdown",
    "html": "hf_api_governance._report.html_page:render_html",
}
"""The formats drawn from a :class:`ReportView`, by ``--format`` name: ``module:function``.

Imported when used, so that ``hf-gov --help`` and the table do not load them.
"""

FORMATS: Final = ("table", "json", *RENDERERS)
"""Every ``hf-gov check --format``: the table and JSON of the CLI, then these."""


def renderer(fmt: str) -> Callable[[ReportView], str]:
    """The function that writes format ``fmt``.

    Raises:
        KeyError: ``fmt`` is not one of :data:`RENDERERS`.
    """
    module, _, name = RENDERERS[fmt].partition(":")
    function: Callable[[ReportView], str] = getattr(importlib.import_module(module), name)
    return function


def render(fmt: str, report: Report, source: Source, **options: Unpack[ViewOptions]) -> str:
    """Write ``report`` in format ``fmt`` (``sarif``, ``junit``, ``markdown`` or ``html``).

    Args:
        fmt: A key of :data:`RENDERERS`.
        report: The report (``Governance.report`` or ``report_inventory``).
        source: Where its integrations are declared.
        **options: ``only_problems``, ``hooks``, ``tool_version``, as for
            :func:`~hf_api_governance._report.model.build_view`.

    Returns:
        The whole document, ending with a newline.

    Raises:
        KeyError: ``fmt`` is not one of :data:`RENDERERS`.
    """
    write = renderer(fmt)
    return write(build_view(report, source, **options))
