"""The documentation cannot rot: every Python block of every page runs, outputs shown are real.

For each ``docs/**/*.md`` page, in a fresh namespace, inside a temporary
working directory holding the example material (written by
``hf-gov init --example``'s code, with the repository on ``PYTHONPATH`` for
subprocesses), the page's blocks run in order:

- ```` ```python ```` blocks are executed;
- ```` ```{code-block} python ```` blocks run too, unless they carry the
  option ``:class: not-run`` (illustrative fragments; kept rare); with
  ``:caption: NAME`` (a file name, such as ``provision.py`` or
  ``tests/test_acme_policies.py``) the block is also appended to the file
  ``NAME``, which the reader builds block by block: a later block or a
  shell command imports or runs it;
- a ```` ```text ```` block right after ``<!-- expected-output -->`` must
  equal what the previous Python block printed; for a block of a file, what
  that file's blocks printed since the last output shown for it (every line
  a file's blocks print must be shown somewhere on the page: the tutorial
  test runs the file as a script and compares);
- a ```` ```text ```` block (or ``json``, ``xml``, ``markdown``) right after
  ``<!-- hf-gov-output: ARGS; exit N -->`` must equal what ``hf-gov ARGS``
  prints, and the command must exit with N;
  when a shell block precedes it, the shell block's last command must be
  that ``hf-gov`` command;
- ```` ```sh ```` blocks are what the reader types in a terminal. Here only
  their ``export NAME=VALUE`` lines take effect (the environment of the later
  blocks); ``tests/test_tutorials.py`` runs the tutorial pages' shell blocks
  for real, from the built wheel, in an empty folder. An output block after a
  shell block ``python NAME`` is compared with what ``NAME``'s blocks printed
  and was not shown yet, if anything (a second run of a script is left to
  the tutorial test).

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
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from hf_api_governance import FrozenClock, PolicyEngine
from hf_api_governance._cli.examples import write_examples
from hf_api_governance._cli.main import main as hf_gov
from hf_api_governance.testing import NOW

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)

FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
MARKER = re.compile(r"<!--\s*(expected-output|hf-gov-output:\s*(.*?);\s*exit\s+(\d+))\s*-->\s*$")
SKIP_OPTION = ":class: not-run"
OUTPUT_LANGUAGES = ("text", "json", "xml", "markdown")
"""The fences an output marker may precede (``hf-gov check --format`` writes XML and Markdown)."""
MAX_SKIPPED = 6
SHELLS = ("sh", "bash", "console", "shell")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


@attrs.frozen
class Block:
    """One fenced block of a page, with what the collector should do with it."""

    page: str
    line: int
    kind: str  # "run", "file", "skip", "shell", "expect-output", "expect-cli", "other"
    body: str
    file: str | None = None  # "file": the file the block belongs to (its caption)
    argv: tuple[str, ...] = ()
    exit_code: int = 0
    after_shell: str | None = None  # outputs: the shell block right before, if any

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


def shell_command(body: str) -> list[str]:
    """The last command of a shell block, as words, without leading ``NAME=value`` assignments."""
    joined = body.replace("\\\n", " ")  # continuation lines
    lines = [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]
    words = shlex.split(lines[-1], comments=True) if lines else []
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words


def parse(page: Path) -> list[Block]:
    """Every fenced block of ``page`` with its role, in order."""
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(DOCS).as_posix() if page.is_relative_to(DOCS) else page.name
    blocks: list[Block] = []
    for match in FENCE.finditer(text):
        info = match.group("info").strip()
        body = match.group("body")
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip().splitlines()
        marker = MARKER.search(before[-1]) if before else None
        words = info.split()
        language = words[0] if words else ""
        previous = blocks[-1] if blocks else None
        after_shell = previous.body if previous is not None and previous.kind == "shell" else None
        if language in ("py", "python3", "pycon", "ipython"):
            raise AssertionError(f"docs/{name}:{line}: fence Python as ```python, not {language}")
        if language == "python":
            if len(words) > 1:
                raise AssertionError(
                    f"docs/{name}:{line}: unknown python fence option {' '.join(words[1:])!r}"
                    " (name a file with ```{code-block} python and :caption: NAME)"
                )
            blocks.append(Block(name, line, "run", body))
        elif info == "{code-block} python":
            options, code = _code_block_body(body)
            if f":class: {options.get('class', '')}" == SKIP_OPTION:
                blocks.append(Block(name, line, "skip", code))
            elif "caption" in options:
                caption = options["caption"]
                if not re.fullmatch(r"(?:[a-z_]+/)?[A-Za-z_][A-Za-z0-9_]*\.py", caption):
                    raise AssertionError(f"docs/{name}:{line}: caption {caption!r} is no file name")
                blocks.append(Block(name, line, "file", code, file=caption))
            else:
                blocks.append(Block(name, line, "run", code))
        elif language in SHELLS and marker is None:
            blocks.append(Block(name, line, "shell", body))
        elif marker is not None and language in OUTPUT_LANGUAGES:
            if marker.group(1) == "expected-output":
                blocks.append(Block(name, line, "expect-output", body, after_shell=after_shell))
            else:
                argv = tuple(shlex.split(marker.group(2)))
                if after_shell is not None and shell_command(after_shell) != ["hf-gov", *argv]:
                    raise AssertionError(
                        f"docs/{name}:{line}: the output of hf-gov {' '.join(argv)} follows a"
                        " shell block that runs something else"
                    )
                blocks.append(
                    Block(
                        name,
                        line,
                        "expect-cli",
                        body,
                        argv=argv,
                        exit_code=int(marker.group(3)),
                        after_shell=after_shell,
                    )
                )
        elif marker is not None:
            raise AssertionError(
                f"docs/{name}:{line}: an output marker must precede ```text, ```json, "
                "```xml or ```markdown"
            )
        else:
            blocks.append(Block(name, line, "other", body))
    return blocks


def exports(body: str) -> dict[str, str]:
    """The ``export NAME=VALUE`` lines of a shell block."""
    found: dict[str, str] = {}
    for line in body.replace("\\\n", " ").splitlines():
        if not line.startswith("export "):
            continue
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            found[key] = value
    return found


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
    write_examples(workdir / "examples")
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


def _purge(module: str) -> None:
    """Forget ``module`` (and its submodules), so that the page's own file is imported."""
    for name in [m for m in sys.modules if m.split(".")[0] == module]:
        del sys.modules[name]


def run_page(page: Path, workdir: Path, refreshed: dict[int, str] | None = None) -> int:
    """Run every block of ``page``; return how many blocks ran.

    With ``refreshed`` (``docs/_tools/refresh_outputs.py``), what each
    ``hf-gov-output`` command prints is put there by the block's line instead
    of being compared (its exit code is still checked).
    """
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    printed: str | None = None
    printed_by: str | None = None  # the file of the last block that ran, if any
    pending: dict[str, str] = {}  # per file: printed and not shown yet
    ran = 0
    with sandbox(workdir):
        for block in parse(page):
            if block.kind == "file":
                assert block.file is not None
                target = workdir / block.file
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("a", encoding="utf-8") as handle:
                    handle.write(block.body)
                if "/" not in block.file:
                    _purge(block.file.removesuffix(".py"))
            if block.kind in ("run", "file"):
                out = io.StringIO()
                try:
                    code = compile(block.body, block.where, "exec")
                    with contextlib.redirect_stdout(out):
                        exec(code, namespace)  # noqa: S102 - the page's own example code
                except Exception as exc:
                    raise AssertionError(
                        f"{block.where}: block failed: {exc!r}\n{block.body}"
                    ) from exc
                printed, printed_by = out.getvalue(), block.file
                if block.file is not None:
                    pending[block.file] = pending.get(block.file, "") + printed
                ran += 1
            elif block.kind == "shell":
                os.environ.update(exports(block.body))
            elif block.kind == "expect-output" and block.after_shell is not None:
                command = shell_command(block.after_shell)
                script = command[1] if command[:1] == ["python"] and len(command) > 1 else None
                if script is not None and pending.get(script):
                    assert pending.pop(script) == block.body, (
                        f"{block.where}: python {script} prints otherwise:\n{block.body}"
                    )
            elif block.kind == "expect-output":
                assert printed is not None, f"{block.where}: no Python block printed before this"
                shown = pending.pop(printed_by, "") if printed_by is not None else printed
                assert shown == block.body, f"{block.where}: output differs:\n{shown}"
            elif block.kind == "expect-cli":
                out, err = io.StringIO(), io.StringIO()
                status = hf_gov(list(block.argv), out=out, err=err)
                assert status == block.exit_code, f"{block.where}: exit {status}: {err.getvalue()}"
                if refreshed is not None:
                    refreshed[block.line] = out.getvalue()
                    continue
                assert out.getvalue() == block.body, (
                    f"{block.where}: output differs:\n{out.getvalue()}"
                )
        unshown = {file: text for file, text in pending.items() if text}
        assert not unshown, f"docs/{page.name}: printed but not shown on the page: {unshown}"
        tests = {k: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
        for name, func in tests.items():
            available = fixtures()
            wanted = inspect.signature(func).parameters
            try:
                func(**{p: available[p] for p in wanted})
            except Exception as exc:
                raise AssertionError(f"docs/{page.name}: {name} failed: {exc!r}") from exc
    return ran


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_every_python_block_of_the_page_runs(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


def test_the_collector_sees_the_pages_and_their_blocks() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "getting-started.md", "policies.md", "client.md", "api/policy.md"} <= names
    blocks = [b for page in PAGES for b in parse(page)]
    assert sum(b.kind in ("run", "file") for b in blocks) >= 30
    assert any(b.kind == "file" for b in blocks)
    assert any(b.kind == "shell" for b in blocks)
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
    """Hook modules and test files are written, and their test_* are run."""
    blocks = parse(DOCS / "policies.md")
    files = [b.file for b in blocks if b.kind == "file"]
    assert {"acme_policies.py", "tests/test_acme_policies.py", "decisions.py"} <= set(files)
    defined = sum(b.body.count("\ndef test_") for b in blocks if b.kind == "file")
    assert defined >= 5


def test_a_file_block_is_written_run_and_its_output_shown_after_its_command(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```{code-block} python\n:caption: hello.py\n\nprint('hello')\n```\n\n"
        "```sh\nexport GREETING='hi there'\npython hello.py\n```\n\n"
        "<!-- expected-output -->\n```text\nhello\n```\n\n"
        "```python\nimport os\nprint(os.environ['GREETING'])\n```\n\n"
        "<!-- expected-output -->\n```text\nhi there\n```\n",
        encoding="utf-8",
    )
    assert run_page(page, tmp_path / "work") == 2
    assert (tmp_path / "work" / "hello.py").read_text(encoding="utf-8") == "print('hello')\n"


def test_a_file_output_never_shown_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```{code-block} python\n:caption: hello.py\n\nprint('hello')\n```\n", encoding="utf-8"
    )
    with pytest.raises(AssertionError, match="printed but not shown"):
        run_page(page, tmp_path / "work")


def test_a_cli_output_after_another_command_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nhf-gov check other.toml\n```\n\n"
        "<!-- hf-gov-output: check examples/inventory.toml; exit 1 -->\n```text\nx\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="runs something else"):
        parse(page)


def test_every_builtin_code_is_on_the_codes_page() -> None:
    from hf_api_governance._policy import BUILTIN_CODES

    page = (DOCS / "codes.md").read_text(encoding="utf-8")
    missing = sorted(code for code in BUILTIN_CODES if f"| `{code}` |" not in page)
    assert not missing
