"""Reports that CI systems and people read natively, all drawn from one report.

- :mod:`~hf_api_governance._report.rules`: what each finding code means (title, fix).
- :mod:`~hf_api_governance._report.model`: the secret-free view of a ``Report``
  every format lays out, and where each integration is declared (:class:`Source`).
- :mod:`~hf_api_governance._report.sarif`: SARIF 2.1.0 for code scanning.
- :mod:`~hf_api_governance._report.junit`: JUnit XML for CI test reports.
- :mod:`~hf_api_governance._report.markdown`: pull-request comments and job summaries.
- :mod:`~hf_api_governance._report.timeline`: the SVG expiry timeline.
- :mod:`~hf_api_governance._report.html_page`: the self-contained posture page.

- :mod:`~hf_api_governance._report.render`: :func:`~hf_api_governance._report.render.render`,
  the one entry point (``hf-gov check --format``).

This module holds only the table of formats (:data:`FORMATS`, :data:`RENDERERS`,
:data:`JSON_SCHEMA_ID`): the ``hf-gov`` parser reads it at start-up, so it
imports nothing. The ``table`` and ``json`` formats stay in
:mod:`hf_api_governance._cli.output` and read the same report, made
secret-free by :func:`~hf_api_governance._report.model.redact_report`.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FORMATS", "JSON_SCHEMA_ID", "RENDERERS"]

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

JSON_SCHEMA_ID: Final = "hf-gov/check/v1"
"""The ``schema`` of ``hf-gov check --format json`` documents (written by ``_cli.output``)."""
