"""``hf-gov check FILE.toml --jobs N``: parts checked by forked workers give one process's answer.

Every comparison runs the real command in a fresh interpreter (no test
threads: forking is refused in a threaded process), once with ``--jobs 1``
and once with several jobs, and wants the same bytes and exit status. The
worker path is proved to run (not silently skipped) by calling
``check_in_parts`` in a fresh interpreter too.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import dump_inventory
from hf_api_governance._cli.output import json_row
from hf_api_governance._registry.inventory import INTEGRATION_HEADER, split_inventory_text
from hf_api_governance.testing import make_integration, make_licence
from tests.canary import assert_no_leak
from tests.test_cli import ROOT, run

AT = "2026-11-26"


def _inventory(path: Path, n: int, *, seed: int = 7) -> Path:
    """``n`` integrations in shuffled id order: allowed, warned (expiring) and denied (expired)."""
    rnd = random.Random(seed)
    ends = (date(2027, 6, 1), date(2026, 12, 10), date(2026, 10, 1))  # valid, expiring, expired
    items = [
        make_integration(
            id=f"svc-{k:05d}",
            name=f"Service {k}",
            credential=f"token-{k}",
            info_verified_at=datetime(2026, 11, 1, tzinfo=UTC),
            licences=(make_licence(valid_from=date(2025, 1, 1), valid_until=ends[k % 3]),),
        )
        for k in rnd.sample(range(n), n)
    ]
    dump_inventory(items, path)
    return path


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _inventory(tmp_path_factory.mktemp("fanout") / "inventory.toml", 240)


@pytest.mark.parametrize(
    "options",
    [[], ["--json"], ["--only-problems"], ["--json", "--only-problems"], ["--action", "provision"]],
)
def test_parts_write_the_bytes_one_process_writes(inventory: Path, options: list[str]) -> None:
    one = run("check", str(inventory), "--at", AT, "--jobs", "1", *options)
    three = run("check", "--jobs", "3", str(inventory), "--at", AT, *options)
    assert one.returncode == 1, one.stderr  # expired licences deny
    assert (three.returncode, three.stdout, three.stderr) == (one.returncode, one.stdout, "")
    assert "240 integrations" in one.stdout or '"integrations": 240' in one.stdout


def test_the_json_summary_counts_every_part(inventory: Path) -> None:
    document = json.loads(run("check", str(inventory), "--at", AT, "--json", "--jobs", "4").stdout)
    summary = document["summary"]
    assert summary == {"integrations": 240, "allowed": 160, "denied": 80, "with_warnings": 80}
    ids = [row["id"] for row in document["integrations"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 240


def test_parts_are_really_checked_by_workers(inventory: Path) -> None:
    """In a fresh interpreter: the parts answer (not None) and their rows are one process's."""
    script = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from hf_api_governance._cli.fanout import check_in_parts
        from hf_api_governance._cli.output import check_rows
        from hf_api_governance._base.clock import FrozenClock
        from hf_api_governance._policy import Action
        from hf_api_governance._policy.report import evaluate_inventory
        from hf_api_governance._registry.inventory import load_inventory_text, read_inventory_text
        from hf_api_governance._report.model import redact_report
        where, text = read_inventory_text({str(inventory)!r})
        now = datetime(2026, 11, 20, tzinfo=UTC)
        at = datetime(2026, 11, 26, tzinfo=UTC)
        for as_json in (False, True):
            rows = check_in_parts(where, text, jobs=3, at=at, now=now, action=Action.CALL,
                                  actor="t", as_json=as_json)
            assert rows is not None, "the parts did not answer"
            declared, _ = load_inventory_text(where, text)
            report = evaluate_inventory(declared, at, Action.CALL, hooks=(), settings=None,
                                        clock=FrozenClock(now), actor="t", progress=None)
            assert rows == check_rows(redact_report(report, integrations=as_json), as_json=as_json)
        print("ok")
        """
    )
    result = _python(script)
    assert result.stdout.strip() == "ok", result.stderr


def _parts_answer(inventory: Path, sabotage: str, jobs: int) -> str:
    """Run check_in_parts in a fresh interpreter after ``sabotage``: "fallback" or "answered"."""
    script = (
        textwrap.dedent(
            """
        import errno, os, signal
        from datetime import UTC, datetime
        from hf_api_governance._cli import fanout
        from hf_api_governance._policy import Action
        from hf_api_governance._registry.inventory import read_inventory_text
        parent = os.getpid()
        """
        )
        + textwrap.dedent(sabotage)
        + textwrap.dedent(
            f"""
        where, text = read_inventory_text({str(inventory)!r})
        now = datetime(2026, 11, 20, tzinfo=UTC)
        rows = fanout.check_in_parts(where, text, jobs={jobs}, at=None, now=now,
                                     action=Action.CALL, actor="t", as_json=False)
        print("fallback" if rows is None else "answered")
        """
        )
    )
    result = _python(script)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_worker_that_dies_leaves_the_check_to_one_process(inventory: Path) -> None:
    dying = """
        real = fanout.load_inventory_text
        def dying(where, text, **kwargs):
            if os.getpid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(where, text, **kwargs)
        fanout.load_inventory_text = dying
        """
    assert _parts_answer(inventory, dying, jobs=2) == "fallback"
    assert _parts_answer(inventory, "", jobs=2) == "answered"  # the same run, unharmed


def test_no_process_to_be_had_leaves_the_check_to_one_process(inventory: Path) -> None:
    """os.fork failing (EAGAIN: a process limit) is not an error: one process checks."""
    refused = """
        def refused():
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        os.fork = refused
        """
    assert _parts_answer(inventory, refused, jobs=3) == "fallback"


def _broken(tmp_path: Path, inventory: Path, where: str) -> Path:
    """The inventory with one mistake near its end or its start."""
    text = inventory.read_text(encoding="utf-8")
    blocks = text.split("[[integration]]")
    index = len(blocks) - 1 if where == "end" else 1
    if where == "duplicate":  # the last integration takes the first one's id
        first_id = blocks[1].split('id = "', 1)[1].split('"', 1)[0]
        last = blocks[-1].split("\n", 2)
        blocks[-1] = f'{last[0]}\nid = "{first_id}"\n{last[2]}'
    else:
        blocks[index] = blocks[index].replace("valid_from = 2025-01-01", "valid_from = 2025-13-01")
    bad = tmp_path / f"broken-{where}.toml"
    bad.write_text("[[integration]]".join(blocks), encoding="utf-8")
    return bad


@pytest.mark.parametrize("where", ["end", "start", "duplicate"])
def test_a_mistake_in_any_part_is_reported_as_one_process_reports_it(
    tmp_path: Path, inventory: Path, where: str
) -> None:
    bad = _broken(tmp_path, inventory, where)
    one = run("check", str(bad), "--at", AT, "--jobs", "1")
    three = run("check", str(bad), "--at", AT, "--jobs", "3")
    assert one.returncode == 2
    assert "line" in one.stderr
    assert (three.returncode, three.stdout, three.stderr) == (2, "", one.stderr)


def test_a_header_inside_a_multiline_string_is_not_a_cut(tmp_path: Path, inventory: Path) -> None:
    """A cut there leaves a piece that does not parse: one process answers, whatever it says."""
    text = inventory.read_text(encoding="utf-8")
    middle = text.index("[[integration]]", len(text) // 2)
    tricky = text[:middle] + '# a comment\nx = """\n' + text[middle:] + '"""\n'
    bad = tmp_path / "tricky.toml"
    bad.write_text(tricky, encoding="utf-8")
    pieces = split_inventory_text(tricky, 2)
    assert len(pieces) == 2  # the cut does fall inside the string
    one = run("check", str(bad), "--at", AT, "--jobs", "1")
    two = run("check", str(bad), "--at", AT, "--jobs", "2")
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)


@pytest.mark.parametrize("value", ["0", "-2", "two", ""])
def test_jobs_must_be_a_whole_number_of_one_or_more(inventory: Path, value: str) -> None:
    result = run("check", str(inventory), "--jobs", value)
    assert result.returncode == 2
    assert "--jobs" in result.stderr
    assert result.stdout == ""


def test_hooks_and_line_pointing_formats_use_one_process(inventory: Path) -> None:
    """They give the same report with or without --jobs (hooks may count their calls)."""
    one = run("check", str(inventory), "--at", AT, "--format", "sarif", "--jobs", "1")
    three = run("check", str(inventory), "--at", AT, "--format", "sarif", "--jobs", "3")
    assert one.returncode == three.returncode == 1
    assert one.stdout == three.stdout


_LINE = st.sampled_from(
    ["[[integration]]", "  [[ integration ]]  # c", "[integration.auth]", 'id = "a"', "", "x"]
)


@given(st.lists(_LINE, max_size=30), st.integers(min_value=1, max_value=6))
def test_split_pieces_join_back_and_start_at_headers(lines: list[str], parts: int) -> None:
    text = "\n".join(lines)
    pieces = split_inventory_text(text, parts)
    assert "".join(pieces) == text
    assert len(pieces) <= max(parts, 1)
    for piece in pieces[1:]:
        assert INTEGRATION_HEADER.match(piece)


def _python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_TEXT = st.text(max_size=40)
_FINDING = st.tuples(st.none() | _TEXT, _TEXT, _TEXT, _TEXT)


@given(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT), st.booleans(), st.lists(_FINDING, max_size=3))
def test_a_json_row_is_the_text_json_dumps_writes(
    texts: tuple[str, str, str, str, str],
    allowed: bool,
    findings: list[tuple[str | None, str, str, str]],
) -> None:
    row: dict[str, object] = dict(
        zip(("id", "name", "service", "kind", "state"), texts, strict=True)
    )
    row["allowed"] = allowed
    row["findings"] = [
        {"clause": c, "code": code, "message": m, "severity": sev} for c, code, m, sev in findings
    ]
    expected = "    " + json.dumps(row, indent=2, sort_keys=True).replace("\n", "\n    ")
    assert json_row(*texts, allowed, findings) == expected


@pytest.mark.parametrize("jobs", ["1", "3"])
@pytest.mark.parametrize("options", [[], ["--json"]])
def test_a_key_pasted_into_names_and_licences_never_reaches_the_table_or_json(
    tmp_path: Path, jobs: str, options: list[str]
) -> None:
    canary = "Q7zK4mN8pR2sT6vW9xY3bC5d"
    items = [
        make_integration(
            id=f"svc-{k:03d}",
            name=f"Service {canary}",
            vendor="Okta",
            licences=(make_licence(scope=f"API {canary}", reference=canary),),
        )
        for k in range(30)
    ]
    inventory = tmp_path / "inventory.toml"
    dump_inventory(items, inventory)
    assert canary in inventory.read_text(encoding="utf-8")
    result = run("check", str(inventory), "--at", AT, "--jobs", jobs, *options)
    assert result.returncode in (0, 1), result.stderr
    assert_no_leak(result.stdout + result.stderr, canary)
    if options:
        assert "Service [redacted]" in result.stdout
