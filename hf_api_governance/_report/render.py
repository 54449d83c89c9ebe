"""Write a report in one of the :data:`~hf_api_governance._report.RENDERERS` formats."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Unpack

from hf_api_governance._report import RENDERERS
from hf_api_governance._report.model import ReportView, Source, ViewOptions, build_view

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._policy.report import Report

__all__ = ["render", "renderer"]


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
