"""The documentation cannot rot: every Python block of every page runs, outputs shown are real.

For each ``docs/*.md`` page, in a fresh namespace, inside a temporary working
directory holding a copy of ``examples/`` (with the repository on
``PYTHONPATH`` for subprocesses), the page's blocks run in order:

- ```` ```python ```` blocks are executed;
- ```` ```python file=NAME.py ```` blocks are written to an importable module
  ``NAME`` instead (the policy tutorial's hook module);
- ```` ```{code-block} python ```` blocks run too, unless they carry the
  option ``:class: not-run`` (illustrative fragments; kept rare);
- a ```` ```text ```` block right after ``<!-- expected-output -->`` must
  equal what the previous Python block printed;
- a ```` ```text ```` block (or ``json``, ``xml``, ``markdown``) right after
  ``<!-- hf-gov-output: ARGS; exit N -->`` must equal what ``hf-gov ARGS``
  prints, and the command must exit with N.

Then every ``test_*`` function the page defined is called, with the testing
kit's fixtures (``frozen_clock``, ``policy_engine``) passed by name, as pytest
would. The working directory, environment, ``sys.path``, the modules the page
wrote and the root logger are restored afterwards.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from hf_api_governance import FrozenClock, PolicyEngine
from hf_api_governance._cli.main import main as hf_gov
from hf_api_governance.testing import NOW

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))

FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
MARKER = re.compile(r"<!--\s*(expected-output|hf-gov-output:\s*(.*?);\s*exit\s+(\d+))\s*-->\s*$")
SKIP_OPTION = ":class: not-run"
OUTPUT_LANGUAGES = ("text", "json", "xml", "markdown")
"""The fences an output marker may precede (``hf-gov check --format`` writes XML and Markdown)."""
MAX_SKIPPED = 6


@attrs.frozen
class Block:
    """One fenced block of a page, with what the collector should do with it."""

    page: str
    line: int
    kind: str  # "run", "module", "skip", "expect-output", "expect-cli", "other"
    body: str
    module: str | None = None
    argv: tuple[str, ...] = ()
    exit_code: int = 0

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def _code_block_body(body: str) -> tuple[dict[str, str], str]:
    """Split a MyST directive's ``:option: value`` lines from its content."""
    options: dict[str, str] = {}
    lines = body.splitlines(keepends=True)
    while lines and lines[0].startswith(":"):
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key.strip()] = value.strip()
    if lines and not lines[0].strip():
        lines.pop(0)
    return options, "".join(lines)


def parse(page: Path) -> list[Block]:
    """Every fenced block of ``page`` with its role, in order."""
    text = page.read_text(encoding="utf-8")
    blocks: list[Block] = []
    for match in FENCE.finditer(text):
        info = match.group("info").strip()
        body = match.group("body")
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip().splitlines()
        marker = MARKER.search(before[-1]) if before else None
        words = info.split()
        language = words[0] if words else ""
        name = page.name
        if language in ("py", "python3", "pycon", "ipython"):
            raise AssertionError(f"docs/{name}:{line}: fence Python as ```python, not {language}")
        if language == "python":
            extra = " ".join(words[1:])
            if not extra:
                blocks.append(Block(name, line, "run", body))
                continue
            target = re.fullmatch(r"file=([A-Za-z_][A-Za-z0-9_]*)\.py", extra)
            if target is None:
                raise AssertionError(f"docs/{name}:{line}: unknown python fence option {extra!r}")
            blocks.append(Block(name, line, "module", body, module=target.group(1)))
        elif info == "{code-block} python":
            options, code = _code_block_body(body)
            skipped = f":class: {options.get('class', '')}" == SKIP_OPTION
            blocks.append(Block(name, line, "skip" if skipped else "run", code))
        elif marker is not None and language in OUTPUT_LANGUAGES:
            if marker.group(1) == "expected-output":
                blocks.append(Block(name, line, "expect-output", body))
            else:
                argv = tuple(shlex.split(marker.group(2)))
                blocks.append(
                    Block(name, line, "expect-cli", body, argv=argv, exit_code=int(marker.group(3)))
                )
        elif marker is not None:
            raise AssertionError(
                f"docs/{name}:{line}: an output marker must precede ```text, ```json, "
                "```xml or ```markdown"
            )
        else:
            blocks.append(Block(name, line, "other", body))
    return blocks


def fixtures() -> dict[str, Any]:
    """The testing kit's pytest fixtures, for the ``test_*`` functions a page defines."""
    clock = FrozenClock(NOW)
    return {"frozen_clock": clock, "policy_engine": PolicyEngine(clock=clock)}


LoggerState = tuple[list[logging.Handler], list[Any], int, bool, bool]
LoggingState = tuple[dict[str, LoggerState], list[tuple[logging.Handler, list[Any]]]]


def _loggers() -> dict[str, logging.Logger]:
    found = {"": logging.getLogger()}
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            found[name] = logger
    return found


def _logging_state() -> LoggingState:
    """Handlers, filters, level, propagate and disabled of every logger, and handler filters."""
    loggers = {
        name: (list(lg.handlers), list(lg.filters), lg.level, lg.propagate, lg.disabled)
        for name, lg in _loggers().items()
    }
    handlers = {h for state in loggers.values() for h in state[0]}
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    return loggers, [(h, list(h.filters)) for h in handlers]


def _restore_logging(state: LoggingState) -> None:
    loggers, handler_filters = state
    for name, logger in _loggers().items():
        handlers, filters, level, propagate, disabled = loggers.get(name, ([], [], 0, True, False))
        logger.handlers[:] = handlers
        logger.filters[:] = filters
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled
    for handler, kept in handler_filters:
        handler.filters[:] = kept


@contextlib.contextmanager
def sandbox(workdir: Path) -> Iterator[None]:
    """Run a page inside ``workdir`` and put the process back as it was afterwards."""
    shutil.copytree(ROOT / "examples", workdir / "examples")
    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    saved_modules = dict(sys.modules)
    saved_logging = _logging_state()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(workdir), *filter(None, [saved_env.get("PYTHONPATH")])]
    )
    sys.path.insert(0, str(workdir))
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path
        for module in set(sys.modules) - set(saved_modules):
            if getattr(sys.modules[module], "__file__", "") and str(workdir) in str(
                sys.modules[module].__file__
            ):
                del sys.modules[module]
        # Put back modules a page shadowed with a ``file=NAME.py`` block of the
        # same name (examples/policies also has an ``acme_policies`` package).
        sys.modules.update(saved_modules)
        _restore_logging(saved_logging)


def run_page(page: Path, workdir: Path) -> int:
    """Run every block of ``page``; return how many blocks ran."""
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    printed: str | None = None
    ran = 0
    with sandbox(workdir):
        for block in parse(page):
            if block.kind == "module":
                assert block.module is not None
                (workdir / f"{block.module}.py").write_text(block.body, encoding="utf-8")
                for name in [m for m in sys.modules if m.split(".")[0] == block.module]:
                    del sys.modules[name]  # the page's module, not one imported earlier
            elif block.kind == "run":
                out = io.StringIO()
                try:
                    code = compile(block.body, block.where, "exec")
                    with contextlib.redirect_stdout(out):
                        exec(code, namespace)  # noqa: S102 - the page's own example code
                except Exception as exc:
                    raise AssertionError(
                        f"{block.where}: block failed: {exc!r}\n{block.body}"
                    ) from exc
                printed = out.getvalue()
                ran += 1
            elif block.kind == "expect-output":
                assert printed is not None, f"{block.where}: no Python block printed before this"
                assert printed == block.body, f"{block.where}: output differs:\n{printed}"
            elif block.kind == "expect-cli":
                out, err = io.StringIO(), io.StringIO()
                status = hf_gov(list(block.argv), out=out, err=err)
                assert status == block.exit_code, f"{block.where}: exit {status}: {err.getvalue()}"
                assert out.getvalue() == block.body, (
                    f"{block.where}: output differs:\n{out.getvalue()}"
                )
        tests = {k: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
        for name, func in tests.items():
            available = fixtures()
            wanted = inspect.signature(func).parameters
            try:
                func(**{p: available[p] for p in wanted})
            except Exception as exc:
                raise AssertionError(f"docs/{page.name}: {name} failed: {exc!r}") from exc
    return ran


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_python_block_of_the_page_runs(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


def test_the_collector_sees_the_pages_and_their_blocks() -> None:
    names = {p.name for p in PAGES}
    assert {"index.md", "getting-started.md", "policies.md", "client.md"} <= names
    blocks = [b for page in PAGES for b in parse(page)]
    assert sum(b.kind == "run" for b in blocks) >= 30
    assert any(b.kind == "module" for b in blocks)
    assert any(b.kind == "expect-cli" for b in blocks)
    assert any(b.kind == "expect-output" for b in blocks)


def test_few_blocks_are_skipped() -> None:
    """Fragments that do not run are the exception; each one is listed here when it fails."""
    skipped = [b.where for page in PAGES for b in parse(page) if b.kind == "skip"]
    assert len(skipped) <= MAX_SKIPPED, skipped


def test_a_wrong_expected_output_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint('hello')\n```\n\n<!-- expected-output -->\n```text\nhullo\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="output differs"):
        run_page(page, tmp_path / "work")


def test_a_failing_block_fails_and_names_its_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n```python\nassert 1 == 2\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"docs/page\.md:3"):
        run_page(page, tmp_path / "work")


def test_a_skipped_block_does_not_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```{code-block} python\n:class: not-run\n\nraise SystemExit(3)\n```\n", encoding="utf-8"
    )
    assert run_page(page, tmp_path / "work") == 0


def test_the_policy_tutorial_defines_tests_that_the_collector_calls() -> None:
    """What the former per-page test checked: hook modules are written, test_* are run."""
    blocks = parse(DOCS / "policies.md")
    assert [b.module for b in blocks if b.kind == "module"] == ["acme_policies"]
    defined = sum(b.body.count("\ndef test_") for b in blocks if b.kind == "run")
    assert defined >= 5


def test_every_builtin_code_is_on_the_codes_page() -> None:
    from hf_api_governance._policy import BUILTIN_CODES

    page = (DOCS / "codes.md").read_text(encoding="utf-8")
    missing = sorted(code for code in BUILTIN_CODES if f"| `{code}` |" not in page)
    assert not missing
