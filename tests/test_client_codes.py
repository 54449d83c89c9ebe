"""Every finding the governed client produces uses a built-in code, documented in docs/codes.md.

The client's findings are its own refusals (``AccessDenied`` it decides
before asking, or after, the policy engine); they are all built from one
table, ``Refusal``. These tests derive the codes from that table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hf_api_governance._client as client_package
from hf_api_governance import (
    AccessDenied,
    Action,
    GovernedSession,
    IntegrationState,
    PolicyEngine,
    Registry,
)
from hf_api_governance._client.refusals import STATE_REFUSALS, Refusal
from hf_api_governance._policy import BUILTIN_CODES
from hf_api_governance.testing import make_integration

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLIENT = Path(client_package.__file__).resolve().parent


def _client_codes() -> set[str]:
    return {refusal.code for refusal in Refusal} | {r.code for r in STATE_REFUSALS.values()}


def test_every_code_the_client_can_produce_is_a_builtin_code() -> None:
    assert _client_codes() <= BUILTIN_CODES


def test_every_state_that_may_not_call_has_a_refusal() -> None:
    assert set(STATE_REFUSALS) == set(IntegrationState) - {IntegrationState.ACTIVE}


def test_the_client_builds_findings_only_from_its_refusal_table() -> None:
    """The one place that makes a Finding in the client takes a Refusal (code and clause)."""
    makers: list[str] = []
    for path in sorted(CLIENT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding":
                code = node.args[0] if node.args else None
                makers.append(f"{path.name}:{ast.unparse(code) if code else '?'}")
    assert makers == ["refusals.py:refusal.code"]


def test_a_code_means_what_it_means_for_the_engine() -> None:
    """Where the engine produces the same code, it names the same clause."""
    engine = PolicyEngine()
    clauses: dict[str, str | None] = {}
    integrations = [make_integration(state=state) for state in IntegrationState]
    insecure = make_integration()
    object.__setattr__(
        insecure, "base_url", "http://example.okta.com/api/v1"
    )  # the model refuses it
    integrations.append(insecure)
    for integration in integrations:
        for finding in engine.evaluate(integration, Action.CALL).findings:
            clauses.setdefault(finding.code, finding.clause)
    shared = [refusal for refusal in Refusal if refusal.code in clauses]
    assert {r.code for r in shared} == {
        "CREDENTIAL_REVOKED",
        "INTEROP_SUSPENDED",
        "NOT_ACTIVE",
        "INSECURE_TRANSPORT",
    }
    for refusal in shared:
        assert refusal.clause == clauses[refusal.code], refusal


def test_the_codes_page_documents_every_client_code() -> None:
    page = (DOCS / "codes.md").read_text(encoding="utf-8")
    section = page.split("## Codes of the governed client", 1)[1].split("\n## ", 1)[0]
    missing = sorted(code for code in _client_codes() if f"| `{code}` |" not in section)
    assert not missing
    assert "STATE_" not in page


@pytest.mark.parametrize(
    ("state", "code"),
    [(IntegrationState.PENDING, "NOT_ACTIVE"), (IntegrationState.RETIRED, "NOT_ACTIVE")],
)
def test_without_an_engine_a_state_that_may_not_call_is_refused_with_its_code(
    registry: Registry, state: IntegrationState, code: str
) -> None:
    registry.register(make_integration(), actor="test")
    if state is IntegrationState.RETIRED:
        registry.retire("okta-directory", reason="replaced", actor="test")
    with (
        GovernedSession(registry, "okta-directory") as session,
        pytest.raises(AccessDenied) as caught,
    ):
        session.get("https://example.okta.com/api/v1/users")
    (finding,) = caught.value.decision.findings
    assert (finding.code, finding.clause) == (code, "1.1")
    assert finding.code in BUILTIN_CODES
