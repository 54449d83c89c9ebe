"""``hf-gov check --format``: SARIF, JUnit, Markdown and HTML, checked as their readers read them.

SARIF and JUnit are parsed and checked structurally (required members,
levels, line numbers against the inventory file itself); Markdown and HTML
for their content and escaping; every format for ``--at``,
``--only-problems``, determinism (golden files, ``python
tests/refresh_golden.py``) and secrets (canaries). The HTML page in a real
browser is tests/test_report_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    Governance,
    Integration,
    Licence,
    Revoker,
    Secret,
    SuspensionCause,
    dump_inventory,
    load_inventory,
)
from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._defaults import passphrase_secret
from hf_api_governance._policy import BUILTIN_CODES
from hf_api_governance._registry.inventory import load_inventory_with_lines
from hf_api_governance._report import RENDERERS
from hf_api_governance._report.markdown import render_markdown
from hf_api_governance._report.model import Source, build_view, installed_version
from hf_api_governance._report.render import render
from hf_api_governance._report.rules import RULES
from hf_api_governance._report.sarif import FINGERPRINT_KEY
from tests.canary import assert_no_leak
from tests.report_support import (
    AT,
    DOCS_EXAMPLE_PAGE,
    EXAMPLE,
    GOLDEN,
    GOLDEN_CASES,
    ROOT,
    golden_output,
    hf_gov,
    normalise,
)

FORMATS = ("table", "json", "sarif", "junit", "markdown", "html")
LEVEL = {"deny": "error", "warn": "warning", "info": "note"}
PASS = "correct horse battery staple"


def check(*extra: str, target: str = EXAMPLE, where: Path = ROOT) -> str:
    status, out, err = hf_gov(["check", target, "--at", AT, *extra], where)
    assert status in (0, 1), err
    assert err == ""
    return out


def as_json(*extra: str, target: str = EXAMPLE, where: Path = ROOT) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(check("--format", "json", *extra, target=target, where=where))
    return doc


def findings_of(doc: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    """(integration, code, severity) of every finding of a ``--json`` document."""
    return Counter(
        (row["id"], f["code"], f["severity"])
        for row in doc["integrations"]
        for f in row["findings"]
    )


def parse_xml(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output


def header_lines(path: Path) -> dict[str, int]:
    """Independently of the loader: the line of each ``[[integration]]`` and the id below it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, int] = {}
    for n, line in enumerate(lines):
        if line.strip() == "[[integration]]":
            for below in lines[n + 1 :]:
                match = re.match(r'\s*id\s*=\s*"([^"]+)"', below)
                if match:
                    found[match.group(1)] = n + 1
                    break
    return found


# ----------------------------------------------------------------------------- SARIF


def sarif(*extra: str, target: str = EXAMPLE, where: Path = ROOT) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(check("--format", "sarif", *extra, target=target, where=where))
    return doc


def test_sarif_has_every_member_code_scanning_requires() -> None:
    doc = sarif()
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].startswith("https://")
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hf-gov"
    assert driver["version"] == installed_version()
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), "one rule per code"
    assert ids == sorted(ids)
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"].startswith("What to do: ")
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert rule["properties"]["clause"] == RULES[rule["id"]].clause
        assert RULES[rule["id"]].fix in rule["help"]["text"]
    assert run["automationDetails"]["id"] == "hf-gov/check/call/examples/inventory.toml/"
    assert run["artifacts"] == [
        {"location": {"uri": "examples/inventory.toml"}, "roles": ["analysisTarget"]}
    ]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "examples/inventory.toml", "index": 0}
        assert isinstance(physical["region"]["startLine"], int)
        assert physical["region"]["startLine"] >= 1
        (logical,) = location["logicalLocations"]
        assert logical["name"] == result["properties"]["integration"]
        assert set(result["partialFingerprints"]) == {FINGERPRINT_KEY, "primaryLocationLineHash"}


def test_sarif_has_one_result_per_finding_with_its_level() -> None:
    results = sarif()["runs"][0]["results"]
    expected = findings_of(as_json())
    got = Counter(
        (r["properties"]["integration"], r["ruleId"], r["properties"]["severity"]) for r in results
    )
    assert got == expected
    for r in results:
        assert r["level"] == LEVEL[r["properties"]["severity"]]
    # The example has both kinds; DENY is error, WARN is warning.
    assert {r["level"] for r in results} == {"error", "warning"}


def test_sarif_lines_are_the_lines_that_declare_each_integration() -> None:
    lines = header_lines(ROOT / EXAMPLE)
    text = (ROOT / EXAMPLE).read_text(encoding="utf-8").splitlines()
    results = sarif()["runs"][0]["results"]
    assert results
    for r in results:
        line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert line == lines[r["properties"]["integration"]]
        assert text[line - 1].strip() == "[[integration]]"


def test_sarif_fingerprints_do_not_change_when_lines_move(tmp_path: Path) -> None:
    """The same finding is the same alert: fingerprints depend on integration and code only."""
    before = sarif()["runs"][0]["results"]
    moved = tmp_path / "inventory.toml"
    items = load_inventory(ROOT / EXAMPLE)
    dump_inventory(list(reversed(items)), moved, header="moved around\n\nby a refactoring")
    after = sarif(target=str(moved))["runs"][0]["results"]

    def prints(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, str]]:
        return {
            (r["properties"]["integration"], r["ruleId"]): r["partialFingerprints"] for r in results
        }

    assert prints(before) == prints(after)
    assert len({p[FINGERPRINT_KEY] for p in prints(before).values()}) == len(before)
    line = {r["properties"]["integration"]: _line(r) for r in before}
    moved_line = {r["properties"]["integration"]: _line(r) for r in after}
    assert line != moved_line
    assert moved_line == {k: v for k, v in header_lines(moved).items() if k in moved_line}


def _line(result: dict[str, Any]) -> int:
    line: int = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    return line


def test_a_hook_reporting_one_code_twice_gets_two_fingerprints(tmp_path: Path) -> None:
    (tmp_path / "twice_rules.py").write_text(
        "from hf_api_governance import policy_hook\n\n"
        "@policy_hook(code='ACME_TWICE', clause='1.5')\n"
        "def twice(ctx):\n"
        '    """Two things to say.\n\n    Say them both."""\n'
        "    return [ctx.info('first'), ctx.warn('second')]\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        doc = sarif("--hooks", "twice_rules")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("twice_rules", None)
    (run,) = doc["runs"]
    mine = [r for r in run["results"] if r["ruleId"] == "ACME_TWICE"]
    assert len(mine) == 2 * 8
    assert len({r["partialFingerprints"][FINGERPRINT_KEY] for r in mine}) == 16
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "ACME_TWICE"]
    assert rule["shortDescription"]["text"] == "Two things to say."
    assert rule["help"]["text"] == "What to do: Say them both."
    assert rule["defaultConfiguration"]["level"] == "warning"  # the worst it reported
    assert rule["properties"]["source"] == "policy-hook"


@pytest.fixture
def registry_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry database with a keystore holding a canary, one revocation, one suspension."""
    db = tmp_path / "registry.db"
    with Governance.open(
        db,
        keystore=tmp_path / "keystore.hfks",
        passphrase=passphrase_secret(PASS),
        actor="alice@example.com",
    ) as gov:
        assert gov.keystore is not None
        gov.keystore.put("okta-api-token", Secret(KEYSTORE_CANARY))
        gov.sync(load_inventory(ROOT / EXAMPLE))
        gov.registry.activate("slack-aware", actor="alice@example.com")
        gov.revoke("mimecast-aware", by=Revoker.MIMECAST, reason=f"leaked as {REASON_CANARY}")
        gov.suspend("slack-aware", cause=SuspensionCause.API_CHANGED, reason="v1 removed")
    monkeypatch.setenv("HF_GOV_PASSPHRASE", PASS)
    return db


def test_sarif_of_a_registry_locates_findings_by_integration_id(registry_db: Path) -> None:
    doc = sarif(target=str(registry_db))
    (run,) = doc["runs"]
    assert "artifacts" not in run
    assert run["results"]
    for r in run["results"]:
        (location,) = r["locations"]
        assert "physicalLocation" not in location
        (logical,) = location["logicalLocations"]
        assert logical["name"] == r["properties"]["integration"]
        assert logical["fullyQualifiedName"] == f"integration/{logical['name']}"
    codes = {(r["properties"]["integration"], r["ruleId"]) for r in run["results"]}
    assert ("mimecast-aware", "CREDENTIAL_REVOKED") in codes
    assert ("slack-aware", "INTEROP_SUSPENDED") in codes


def test_sarif_names_the_action_and_the_inventory_in_its_category() -> None:
    assert sarif("--action", "provision")["runs"][0]["automationDetails"]["id"] == (
        "hf-gov/check/provision/examples/inventory.toml/"
    )


def test_an_absolute_inventory_path_is_a_file_uri(tmp_path: Path) -> None:
    copy = tmp_path / "my inventory.toml"
    shutil.copyfile(ROOT / EXAMPLE, copy)
    (run,) = sarif(target=str(copy))["runs"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == copy.as_uri()
    assert uri.startswith("file:///")
    assert "%20" in uri


def test_an_inventory_without_header_lines_falls_back_to_logical_locations(
    tmp_path: Path,
) -> None:
    inline = tmp_path / "inline.toml"
    inline.write_text(
        'integration = [{id = "okta-directory", name = "Okta", service = "engage", '
        'kind = "third_party_api", vendor = "Okta", base_url = "https://example.okta.com", '
        'owner = "identity@example.com", credential = "okta-token"}]\n',
        encoding="utf-8",
    )
    (run,) = sarif(target=str(inline))["runs"]
    assert run["results"]
    for r in run["results"]:
        assert "physicalLocation" not in r["locations"][0]


# ------------------------------------------------------------------ inventory lines


def test_load_inventory_with_lines_gives_each_header_line(tmp_path: Path) -> None:
    items, lines = load_inventory_with_lines(ROOT / EXAMPLE)
    assert items == load_inventory(ROOT / EXAMPLE)
    assert lines == header_lines(ROOT / EXAMPLE)
    assert set(lines) == {i.id for i in items}


def test_a_header_inside_a_string_never_gives_a_wrong_line(tmp_path: Path) -> None:
    tricky = tmp_path / "tricky.toml"
    tricky.write_text(
        "[[integration]]\n"
        'id = "one"\nname = "One"\nservice = "engage"\nkind = "mimecast_api"\n'
        'vendor = "Mimecast"\nbase_url = "https://api.example.com"\nowner = "a@example.com"\n'
        '[integration.enablement]\nnote = """\n[[integration]]\nid = "two"\n"""\n'
        "[[ integration ]]\n"
        'id = "two"\nname = "Two"\nservice = "engage"\nkind = "mimecast_api"\n'
        'vendor = "Mimecast"\nbase_url = "https://api.example.com"\nowner = "a@example.com"\n',
        encoding="utf-8",
    )
    items, lines = load_inventory_with_lines(tricky)
    assert [i.id for i in items] == ["one", "two"]
    text = tricky.read_text(encoding="utf-8").splitlines()
    for ident, line in lines.items():  # whatever is given is right
        assert text[line - 1].strip().replace(" ", "") == "[[integration]]"
        assert f'id = "{ident}"' in text[line]


# ----------------------------------------------------------------------------- JUnit


def test_junit_has_one_test_case_per_integration_failed_when_denied() -> None:
    root = parse_xml(check("--format", "junit"))
    doc = as_json()
    rows = {row["id"]: row for row in doc["integrations"]}
    denied = sum(not row["allowed"] for row in rows.values())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    for element in (root, suite):
        assert element.get("tests") == str(len(rows))
        assert element.get("failures") == str(denied)
        assert element.get("errors") == "0"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["at"] == "2026-11-26T00:00:00Z"
    assert props["action"] == "call"
    assert props["denied"] == str(doc["summary"]["denied"])
    cases = suite.findall("testcase")
    assert sorted(c.get("name") or "" for c in cases) == sorted(rows)
    lines = header_lines(ROOT / EXAMPLE)
    for case in cases:
        name = case.get("name") or ""
        row = rows[name]
        assert case.get("classname") == f"hf-gov.{row['service']}"
        assert case.get("file") == EXAMPLE
        assert case.get("line") == str(lines[name])
        failures = case.findall("failure")
        assert len(failures) == (0 if row["allowed"] else 1)
        out = case.findtext("system-out") or ""
        for f in row["findings"]:
            if f["severity"] == "deny":
                assert f"DENY {f['code']}" in (failures[0].text or "")
                assert f["code"] in (failures[0].get("message") or "")
            else:
                assert f"{f['severity'].upper()} {f['code']}" in out
        if not row["findings"]:
            assert list(case) == []


def test_junit_of_a_registry_has_no_file_attribute(registry_db: Path) -> None:
    root = parse_xml(check("--format", "junit", target=str(registry_db)))
    for case in root.iter("testcase"):
        assert case.get("file") is None
        assert case.get("line") is None


# -------------------------------------------------------------------------- Markdown


def test_markdown_summarises_counts_then_problems_with_fixes() -> None:
    text = check("--format", "markdown")
    doc = as_json()
    s = doc["summary"]
    warned = sum(1 for r in doc["integrations"] if r["allowed"] and r["findings"])
    assert text.startswith(f"## hf-gov check: {s['denied']} denied, {warned} with warnings\n")
    assert f"| {s['integrations']} | {s['allowed']} | {warned} | {s['denied']} |" in text
    denied_part = text.split("### Denied")[1].split("### Allowed with warnings")[0]
    warned_part = text.split("### Allowed with warnings")[1]
    for row in doc["integrations"]:
        part = denied_part if not row["allowed"] else warned_part
        if row["findings"]:
            assert f"`{row['id']}`" in part
            for f in row["findings"]:
                assert f"`{f['code']}`" in part
                assert RULES[f["code"]].fix.replace("_", "\\_") in part
    clean = sorted(r["id"] for r in doc["integrations"] if not r["findings"])
    assert f"Allowed without warnings ({len(clean)}): " in text


def _hooks_module(tmp_path: Path, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(
        "from hf_api_governance import policy_hook\n\n" + body, encoding="utf-8"
    )


def test_markdown_escapes_what_could_change_the_layout(tmp_path: Path) -> None:
    _hooks_module(
        tmp_path,
        "loud_rules",
        "@policy_hook(code='ACME_LOUD')\n"
        "def loud(ctx):\n"
        "    return ctx.warn('a | pipe, <script>x</script>, **bold**, [link](http://e.example)')\n",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        text = check("--format", "markdown", "--hooks", "loud_rules")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("loud_rules", None)
    assert "a \\| pipe, \\<script\\>x\\</script\\>, \\*\\*bold\\*\\*, \\[link\\]" in text
    for line in text.splitlines():
        if line.startswith(("| `", "|  |")):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line


def test_markdown_stays_under_a_comment_size_and_says_what_it_left_out(tmp_path: Path) -> None:
    from tests.report_support import big_inventory

    inventory = tmp_path / "big.toml"
    big_inventory(inventory, 400)
    report = Governance.report_inventory(
        load_inventory(inventory), datetime(2026, 11, 26, tzinfo=UTC)
    )
    view = build_view(report, Source.inventory(inventory, {}))
    full = render_markdown(view, limit=10**9)
    cut = render_markdown(view, limit=20_000)
    assert len(full) > 20_000
    assert len(cut) <= 20_000 + 200
    left = re.search(r"^(\d+) more integrations are not listed here", cut, re.M)
    assert left is not None
    listed = set(re.findall(r"^\| `([a-z0-9-]+)`", cut, re.M))
    assert int(left.group(1)) + len(listed) == view.totals.integrations
    assert "more integrations are not listed" not in full
    assert len(render_markdown(view)) <= 60_000 + 200


# ------------------------------------------------------------------------------ HTML


class _Page(HTMLParser):
    """Every tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def test_the_html_page_is_self_contained() -> None:
    text = check("--format", "html")
    page = parse_html(text)
    tags = [tag for tag, _ in page.tags]
    for banned in ("script", "link", "img", "iframe", "object", "embed", "form", "base"):
        assert banned not in tags
    (csp,) = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert (csp.get("content") or "").startswith("default-src 'none'")
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("href", "src", "xlink:href", "action", "srcset", "poster", "data"):
                assert (value or "").startswith("#"), f"<{tag} {name}={value!r}> loads something"
            assert not name.startswith("on"), f"<{tag} {name}> is a script"
    style = text[text.index("<style>") : text.index("</style>")]
    assert "@import" not in style
    assert "@font-face" not in style
    assert re.findall(r"url\(([^)]*)\)", text) == ["#stripes"]


def test_the_html_page_has_one_bar_per_licence_and_a_section_per_integration() -> None:
    page = parse_html(check("--format", "html"))
    bars = [
        (a["data-integration"], a["data-licence"])
        for t, a in page.tags
        if t == "rect" and "bar" in (a.get("class") or "").split()
    ]
    expected = [
        (i.id, str(n)) for i in load_inventory(ROOT / EXAMPLE) for n, _ in enumerate(i.licences)
    ]
    assert sorted(bars) == sorted(expected)
    sections = [a["id"] for t, a in page.tags if t == "section"]
    assert sections == [f"integration-{r['id']}" for r in as_json()["integrations"]]
    classes = {c for t, a in page.tags if t == "rect" for c in (a.get("class") or "").split()}
    assert {"valid", "expiring", "expired", "not-yet-valid", "warning-window"} <= classes
    assert [t for t, a in page.tags if t == "line" and a.get("class") == "now"]


def test_the_timeline_puts_the_most_urgent_first_and_writes_each_status() -> None:
    text = check("--format", "html")
    third_party = text.split("Third-party licences")[1].split("</svg>")[0]
    order = re.findall(r'data-integration="([^"]+)"', third_party)
    assert order == ["entra-graph-directory", "okta-directory", "slack-aware", "workday-departures"]
    statuses = re.findall(r'<text class="status[^"]*"[^>]*>([^<]+)</text>', third_party)
    assert statuses == [
        "EXPIRED 2026-10-31 (25 d ago)",
        "EXPIRING 2026-12-20 (25 d left)",
        "VALID until 2027-03-01 00:00Z (95 d left)",
        "NOT YET VALID from 2027-01-01 (in 36 d)",
    ]


def test_a_licence_outside_the_chart_still_has_a_visible_bar(tmp_path: Path) -> None:
    inventory = tmp_path / "old.toml"
    old = Licence("Okta", "Old API", date(2010, 1, 1), date(2011, 1, 1))
    future = Licence("Okta", "Next API", date(2031, 1, 1), None)
    dump_inventory(
        [
            Integration(
                id="okta-directory",
                name="Okta",
                service="engage",
                kind="third_party_api",
                vendor="Okta",
                base_url="https://example.okta.com",
                owner="identity@example.com",
                credential="okta-token",
                licences=(old, future),
            )
        ],
        inventory,
    )
    page = parse_html(check("--format", "html", target=str(inventory)))
    widths = [
        float(a["width"] or 0)
        for t, a in page.tags
        if t == "rect" and "bar" in (a.get("class") or "").split()
    ]
    assert len(widths) == 2
    assert min(widths) >= 4


# ----------------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_problems_leaves_clean_integrations_out_of_every_format(fmt: str) -> None:
    clean = [r["id"] for r in as_json()["integrations"] if not r["findings"]]
    assert clean
    full = check("--format", fmt)
    short = check("--format", fmt, "--only-problems")
    problems = [r["id"] for r in as_json()["integrations"] if r["findings"]]
    for ident in clean:
        if fmt != "sarif":  # SARIF has results for findings only, with or without the option
            assert ident in full
        assert ident not in short, f"{ident} in {fmt} with --only-problems"
    for ident in problems:
        assert ident in short


@pytest.mark.parametrize("fmt", FORMATS)
def test_at_applies_to_every_format(fmt: str) -> None:
    now = check("--format", fmt)
    later = check("--format", fmt, "--at", "2027-06-01")
    assert later != now
    assert "2027-06-01" in later
    assert f"{AT}T00:00:00Z" not in later


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic_for_a_report_and_at(fmt: str) -> None:
    assert check("--format", fmt) == check("--format", fmt)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_output_matches_its_golden_file(name: str) -> None:
    """Refresh with ``python tests/refresh_golden.py`` after changing a format on purpose."""
    golden = GOLDEN / name
    assert golden.exists(), f"run python tests/refresh_golden.py to create {golden}"
    assert normalise(golden_output(name)) == golden.read_text(encoding="utf-8"), (
        f"{name} differs: run python tests/refresh_golden.py and review the diff"
    )


def test_the_docs_example_page_is_the_golden_page() -> None:
    assert normalise(DOCS_EXAMPLE_PAGE.read_text(encoding="utf-8")) == normalise(
        golden_output("example.html")
    )


# --------------------------------------------------------------------------- secrets

FREE_TEXT_CANARY = "Zt7Kq2Vw9Xr4Lm8Np3Bc6Yd1"
HOOK_CANARY = "Hv5Qm8Wz2Tn6Ry9Lp4Jd7Xk3"
DETAIL_CANARY = "Dq4Wm7Zt2Xv9Kr5Np8Lc3Yb6"
SHAPE_CANARY = "shape-canary-hunter2-value"
KEYSTORE_CANARY = "Kp9Xv2Lm7Qz4Wt8Rn3Bd6Ys1"
REASON_CANARY = "Rv3Nk8Xw2Mq7Lz4Tp9Cd6Hy1"

CANARY_HOOKS = f'''
@policy_hook(code="ACME_CHATTY", clause="1.5")
def chatty(ctx):
    """Reports what it should not: {HOOK_CANARY}.

    Rotate the key {HOOK_CANARY} (api_key={SHAPE_CANARY})."""
    return ctx.warn(
        "the key {HOOK_CANARY} leaked; token={SHAPE_CANARY}; Bearer {SHAPE_CANARY}",
        note="{DETAIL_CANARY}",
        token="{SHAPE_CANARY}",
    )
'''


def _canary_inventory(tmp_path: Path) -> Path:
    items = load_inventory(ROOT / EXAMPLE)
    okta = next(i for i in items if i.id == "okta-directory")
    pasted = Licence(
        "Okta",
        f"Workforce Identity API, key {FREE_TEXT_CANARY}",
        date(2026, 1, 1),
        date(2026, 12, 20),
        holder=f"password={SHAPE_CANARY}",
        reference=FREE_TEXT_CANARY,
    )
    items[items.index(okta)] = Integration(
        **{
            **{f: getattr(okta, f) for f in ("id", "service", "kind", "base_url", "owner")},
            "name": f"Okta {FREE_TEXT_CANARY}",
            "vendor": "Okta",
            "credential": "okta-api-token",
            "licences": (pasted,),
        }
    )
    path = tmp_path / "inventory.toml"
    dump_inventory(items, path)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_shows_a_secret_pasted_into_the_inventory_or_a_hook(
    fmt: str, tmp_path: Path
) -> None:
    inventory = _canary_inventory(tmp_path)
    _hooks_module(tmp_path, "chatty_rules", CANARY_HOOKS)
    sys.path.insert(0, str(tmp_path))
    try:
        out = check("--format", fmt, "--hooks", "chatty_rules", target=str(inventory))
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("chatty_rules", None)
    assert "ACME_CHATTY" in out
    assert "okta-directory" in out
    for canary in (FREE_TEXT_CANARY, HOOK_CANARY, DETAIL_CANARY, SHAPE_CANARY):
        assert_no_leak(out, canary)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_of_a_registry_shows_a_keystore_value_or_a_pasted_reason(
    fmt: str, registry_db: Path, tmp_path: Path
) -> None:
    out = check("--format", fmt, target=str(registry_db))
    assert "mimecast-aware" in out
    for canary in (KEYSTORE_CANARY, REASON_CANARY, PASS):
        assert_no_leak(out, canary)
    written = tmp_path / f"report.{fmt}"
    check("--format", fmt, "--output", str(written), target=str(registry_db))
    for canary in (KEYSTORE_CANARY, REASON_CANARY, PASS):
        assert_no_leak(written.read_bytes(), canary)


@given(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=20)
    .map(lambda core: "Q7z" + core)
    .filter(looks_like_secret)
)
def test_what_looks_like_a_key_never_reaches_a_format(canary: str) -> None:
    """Property: any secret-looking value in free text is redacted in every format."""
    okta = Integration(
        id="okta-directory",
        name=f"Okta {canary}",
        service="engage",
        kind="third_party_api",
        vendor="Okta",
        base_url="https://example.okta.com",
        owner="identity@example.com",
        credential="okta-token",
        licences=(Licence("Okta", f"API {canary}", date(2026, 1, 1), reference=canary),),
    )
    report = Governance.report_inventory([okta], datetime(2026, 11, 26, tzinfo=UTC))
    for fmt in RENDERERS:
        assert_no_leak(render(fmt, report, Source.inventory("inv.toml", {})), canary)


# ---------------------------------------------------------------------- CLI options


def test_output_writes_the_file_atomically_and_prints_a_summary(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    out = check("--format", "sarif", "--output", str(target))
    assert out == f"sarif report written to {target}: 8 integrations, 3 denied\n"
    assert target.read_text(encoding="utf-8") == check("--format", "sarif")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]  # no temporary left
    check("--format", "junit", "--output", str(target))  # replaced
    assert target.read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_output_works_for_the_table_and_json_too(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    check("--format", fmt, "--output", str(target))
    assert target.read_text(encoding="utf-8") == check("--format", fmt)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", "--format", "sarif"], "--json is short for --format json"),
        (["--format", "pdf"], "invalid choice: 'pdf'"),
        (["--output", "no/such/dir/report.sarif"], "--output: no/such/dir is not a directory"),
        (["--output", "examples"], "--output: examples is a directory"),
        (["--output", EXAMPLE], "is the checked file itself"),
    ],
)
def test_bad_format_or_output_is_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (ROOT / EXAMPLE).read_bytes()
    status, out, err = hf_gov(["check", EXAMPLE, *args])
    assert status == 2
    assert message in err + capsys.readouterr().err  # argparse writes to sys.stderr
    assert out == ""
    assert (ROOT / EXAMPLE).read_bytes() == before


@pytest.mark.parametrize(
    "content", [b"SQLite format 3\x00rest", b"HFGOVKS\x00rest", b"[[integration]]\n"]
)
def test_output_is_never_written_over_a_database_keystore_or_inventory(
    content: bytes, tmp_path: Path
) -> None:
    kept = tmp_path / ("other.toml" if content.startswith(b"[[") else "kept.bin")
    kept.write_bytes(content)
    status, out, err = hf_gov(["check", EXAMPLE, "--format", "sarif", "--output", str(kept)])
    assert (status, out) == (2, "")
    assert "a report is never written over one" in err
    assert kept.read_bytes() == content


def test_json_flag_and_format_json_agree() -> None:
    assert check("--json") == check("--format", "json") == check("--json", "--format", "json")


def test_formats_run_as_a_user_runs_them(tmp_path: Path) -> None:
    """A real process, global options before the command and check options after it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "hf_api_governance", "--debug", "check", str(ROOT / EXAMPLE)),
            *("--format", "sarif", "--only-problems", "--at", AT, "--output", "out.sarif"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == "sarif report written to out.sarif: 8 integrations, 3 denied\n"
    doc = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert doc["version"] == "2.1.0"
    assert doc["runs"][0]["properties"]["onlyProblems"] is True


# ----------------------------------------------------------------------------- rules


def _docs_fixes() -> dict[str, str]:
    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    fixes = {}
    for line in page.splitlines():
        match = re.match(r"\| `([A-Z_]+)` \| [0-9n][^|]* \|.*\| ([^|]+) \|$", line)
        if match and line.count("|") == 6:
            fixes[match.group(1)] = match.group(2).strip().replace("`", "")
    return fixes


def test_every_builtin_code_has_a_rule_whose_fix_is_the_codes_page() -> None:
    assert set(RULES) == set(BUILTIN_CODES)
    fixes = _docs_fixes()
    assert len(fixes) == len(BUILTIN_CODES) - 1  # FOREIGN_ORIGIN: the client's table
    for code, fix in fixes.items():
        assert RULES[code].fix == fix, code
    for code, rule in RULES.items():
        assert rule.title
        assert rule.code == code


def test_the_rule_table_is_the_clause_table_of_the_codes_page() -> None:
    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    by_clause = page.split("## Codes by clause")[1]
    for code, rule in RULES.items():
        (row,) = [line for line in by_clause.splitlines() if f"`{code}`" in line]
        assert row.startswith(f"| {rule.clause or 'none'} |"), code


def test_the_installed_version_is_the_package_version() -> None:
    import hf_api_governance

    assert installed_version() == hf_api_governance.__version__


def test_the_warning_window_is_the_settings_of_the_report() -> None:
    from hf_api_governance import PolicySettings

    items = load_inventory(ROOT / EXAMPLE)
    at = datetime(2026, 11, 26, tzinfo=UTC)
    wide = Governance.report_inventory(
        items, at, settings=PolicySettings(licence_warning=timedelta(days=100))
    )
    assert wide.settings.licence_warning == timedelta(days=100)
    view = build_view(wide, Source.inventory(EXAMPLE, {}))
    statuses = {(lic.integration_id, lic.status.value) for lic in view.licences}
    assert ("slack-aware", "expiring") in statuses  # ends 2027-03-01: inside 100 days
    html = render("html", wide, Source.inventory(EXAMPLE, {}))
    assert "warning window (100 days after the report instant)" in html


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_inventory_is_a_valid_report_in_every_format(fmt: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    status, out, err = hf_gov(["check", str(empty), "--at", AT, "--format", fmt])
    assert (status, err) == (0, "")
    if fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"] == []
    elif fmt == "junit":
        assert parse_xml(out).get("tests") == "0"
    elif fmt in ("markdown", "html"):
        assert "no integration declared" in out
