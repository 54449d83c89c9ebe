"""Write a report in one of the :data:`~hf_api_governance._report.RENDERERS` formats."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from hf_api_governance._policy import PolicyHook
from hf_api_governance._report import RENDERERS
from hf_api_governance._report.model import ReportView, Source, build_view

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Report

__all__ = ["render", "renderer"]


def renderer(fmt: str) -> Callable[[ReportView], str]:
    """The function that writes format ``fmt``.

    Raises:
        KeyError: ``fmt`` is not one of :data:`RENDERERS`.
    """
    module, _, name = RENDERERS[fmt].partition(":")
    function: Callable[[ReportView], str] = getattr(importlib.import_module(module), name)
    return function


def render(
    fmt: str,
    report: Report,
    source: Source,
    *,
    only_problems: bool = False,
    hooks: Iterable[PolicyHook] = (),
    tool_version: str | None = None,
) -> str:
    """Write ``report`` in format ``fmt`` (``sarif``, ``junit``, ``markdown`` or ``html``).

    Args:
        fmt: A key of :data:`RENDERERS`.
        report: The report (``Governance.report`` or ``report_inventory``).
        source: Where its integrations are declared.
        only_problems: Leave out integrations allowed without warnings.
        hooks: The policy hooks the report was made with (they describe their codes).
        tool_version: The version to name (default: the installed one).

    Returns:
        The whole document, ending with a newline.

    Raises:
        KeyError: ``fmt`` is not one of :data:`RENDERERS`.
    """
    write = renderer(fmt)
    view = build_view(
        report, source, only_problems=only_problems, hooks=hooks, tool_version=tool_version
    )
    return write(view)
