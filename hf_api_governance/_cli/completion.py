"""Shell completion scripts for ``hf-gov`` (bash, zsh, fish), generated from the parser.

``hf-gov completion SHELL`` walks :func:`~hf_api_governance._cli.parser.build_parser`
and prints a static script: commands, subcommands, options and their choices
are written into it, so completing never runs ``hf-gov`` (no Python start-up
on a tab press) and the script always matches the parser it came from. This
module is imported only by that command: ``hf-gov``'s start-up does not pay
for it.

The scripts find the command typed so far (``keys set``) by skipping options
and the values of options that take one, then offer: the choices of the
option just typed, file names after a path option, the options of the
command after ``-``, else its subcommands or positional choices, else files.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

import attrs

__all__ = ["completion_script"]

PATH_METAVARS = frozenset({"PATH", "FILE", "PATH_OR_URL"})
"""Option metavars whose values are file names (completed with files)."""


@attrs.frozen
class _Option:
    flags: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    is_path: bool
    help: str


@attrs.frozen
class _Command:
    path: str  # "" for hf-gov itself, "keys set" for a subcommand
    subcommands: tuple[tuple[str, str], ...]  # (name, help)
    options: tuple[_Option, ...]
    positional_choices: tuple[str, ...]


def _commands(parser: argparse.ArgumentParser, path: str = "") -> list[_Command]:
    subs: list[tuple[str, str]] = []
    children: list[tuple[str, argparse.ArgumentParser]] = []
    options: list[_Option] = []
    positional: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, child in action.choices.items():
                subs.append((name, helps.get(name, "")))
                children.append((name, child))
        elif action.option_strings:
            options.append(
                _Option(
                    flags=tuple(action.option_strings),
                    takes_value=action.nargs != 0,
                    choices=tuple(str(c) for c in action.choices or ()),
                    is_path=action.metavar in PATH_METAVARS,
                    help=" ".join((action.help or "").split()),
                )
            )
        elif action.choices:
            positional += [str(c) for c in action.choices]
    found = [_Command(path, tuple(subs), tuple(options), tuple(positional))]
    for name, child in children:
        found += _commands(child, f"{path} {name}".strip())
    return found


def _words(items: Iterable[str]) -> str:
    return " ".join(items)


def _case(function: str, cases: Iterable[tuple[str, str]]) -> list[str]:
    """A shell function printing a word list chosen by ``case "$1 $2"`` (bash and zsh alike)."""
    lines = [f"{function}() {{", '    case "$*" in']
    for key, words in cases:
        if words:
            lines.append(f"        {_quote(key)}) echo {_quote(words)} ;;")
    lines += ["    esac", "}"]
    return lines


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _tables(commands: list[_Command]) -> tuple[list[str], set[str], set[str]]:
    """The shared helper functions, the options that take a value, the path options."""
    valued = {f for c in commands for o in c.options if o.takes_value for f in o.flags}
    paths = {f for c in commands for o in c.options if o.is_path for f in o.flags}
    lines: list[str] = []
    lines += _case(
        "_hf_gov_commands", [(c.path, _words(n for n, _ in c.subcommands)) for c in commands]
    )
    lines += _case(
        "_hf_gov_options",
        [(c.path, _words(f for o in c.options for f in o.flags)) for c in commands],
    )
    lines += _case(
        "_hf_gov_choices",
        [
            (f"{c.path} {flag}".strip(), _words(o.choices))
            for c in commands
            for o in c.options
            for flag in o.flags
            if o.choices
        ],
    )
    lines += _case(
        "_hf_gov_positional_choices", [(c.path, _words(c.positional_choices)) for c in commands]
    )
    return lines, valued, paths


def _walk(words: str, start: int, valued: set[str]) -> list[str]:
    """The loop (bash and zsh) that sets ``cmdpath`` to the command typed before the cursor."""
    return [
        '    local cmdpath="" w skip=0 i',
        f"    for ((i = {start}; i < {words}; i++)); do",
        f'        w="{"${COMP_WORDS[i]}" if start == 1 else "${words[i]}"}"',
        "        if ((skip)); then skip=0; continue; fi",
        '        case "$w" in',
        f"            {'|'.join(sorted(valued))}) skip=1 ;;",
        "            -*) ;;",
        '            *) if [[ " $(_hf_gov_commands "$cmdpath") " == *" $w "* ]]; then',
        '                   cmdpath="${cmdpath:+$cmdpath }$w"',
        "               fi ;;",
        "        esac",
        "    done",
    ]


def _choose(
    valued: set[str],
    paths: set[str],
    *,
    listed: tuple[str, str],
    offer: str,
    files: str,
    nothing: str,
    options: str,
) -> list[str]:
    """What bash and zsh offer after ``cmdpath``, in the same order, in each shell's words.

    Choices of the option before the cursor (or of the command), then a file
    after a path option, nothing after another option that takes a value,
    then the options when the word starts with ``-``.

    Args:
        valued: The options that take a value.
        paths: Those whose value is a path.
        listed: How to set ``list`` from a helper call (``{}`` is the call),
            and the test that ``list`` is not empty.
        offer: Offer ``list``.
        files: Offer file names.
        nothing: Offer nothing (may be empty: the ``return`` follows).
        options: Offer the options of ``cmdpath``.
    """
    assign, nonempty = listed
    then = f"{nothing}; return" if nothing else "return"
    return [
        "    " + assign.format('choices "$cmdpath" "$prev"'),
        '    if [[ -z "$cmdpath" ]]; then ' + assign.format('choices "$prev"') + "; fi",
        f"    if {nonempty}; then {offer}; return; fi",
        '    case "$prev" in',
        f"        {'|'.join(sorted(paths))}) {files}; return ;;",
        f"        {'|'.join(sorted(valued - paths))}) {then} ;;",
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        f"        {options}; return",
        "    fi",
    ]


def _bash(commands: list[_Command]) -> str:
    helpers, valued, paths = _tables(commands)
    lines = [
        "# bash completion for hf-gov, generated by `hf-gov completion bash` from its parser.",
        "# Install: hf-gov completion bash > ~/.local/share/bash-completion/completions/hf-gov",
        "",
        *helpers,
        "",
        "_hf_gov() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" list',
        *_walk("COMP_CWORD", 1, valued),
        *_choose(
            valued,
            paths,
            listed=('list="$(_hf_gov_{})"', '[[ -n "$list" ]]'),
            offer='COMPREPLY=($(compgen -W "$list" -- "$cur"))',
            files='COMPREPLY=($(compgen -f -- "$cur"))',
            nothing="COMPREPLY=()",
            options='COMPREPLY=($(compgen -W "$(_hf_gov_options "$cmdpath")" -- "$cur"))',
        ),
        '    list="$(_hf_gov_commands "$cmdpath") $(_hf_gov_positional_choices "$cmdpath")"',
        '    if [[ -n "${list// /}" ]]; then',
        '        COMPREPLY=($(compgen -W "$list" -- "$cur")); return',
        "    fi",
        '    COMPREPLY=($(compgen -f -- "$cur"))',
        "}",
        "complete -o filenames -o bashdefault -F _hf_gov hf-gov",
    ]
    return "\n".join(lines) + "\n"


def _zsh(commands: list[_Command]) -> str:
    helpers, valued, paths = _tables(commands)
    lines = [
        "#compdef hf-gov",
        "# zsh completion for hf-gov, generated by `hf-gov completion zsh` from its parser.",
        "# Install: hf-gov completion zsh > ~/.zfunc/_hf-gov  (with ~/.zfunc in $fpath,",
        "# before compinit runs)",
        "",
        *helpers,
        "",
        "_hf_gov() {",
        '    local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}"',
        "    local -a list",
        *_walk("CURRENT", 2, valued),
        *_choose(
            valued,
            paths,
            listed=("list=(${{=$(_hf_gov_{})}})", "(( ${#list} ))"),
            offer="compadd -- $list",
            files="_files",
            nothing="",
            options='list=(${=$(_hf_gov_options "$cmdpath")}); compadd -- $list',
        ),
        '    list=(${=$(_hf_gov_commands "$cmdpath")}',
        '          ${=$(_hf_gov_positional_choices "$cmdpath")})',
        "    if (( ${#list} )); then compadd -- $list; return; fi",
        "    _files",
        "}",
        "",
        '_hf_gov "$@"',
    ]
    return "\n".join(lines) + "\n"


def _fish(commands: list[_Command]) -> str:
    valued = sorted({f for c in commands for o in c.options if o.takes_value for f in o.flags})
    lines = [
        "# fish completion for hf-gov, generated by `hf-gov completion fish` from its parser.",
        "# Install: hf-gov completion fish > ~/.config/fish/completions/hf-gov.fish",
        "",
        "function __hf_gov_path",
        "    set -l words (commandline -opc)",
        "    set -e words[1]",
        "    set -l cmdpath ''",
        "    set -l skip 0",
        "    for w in $words",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        "        switch $w",
        f"            case {' '.join(valued)}",
        "                set skip 1",
        "            case '-*'",
        "            case '*'",
        "                if contains -- $w (__hf_gov_subcommands $cmdpath)",
        '                    set cmdpath (string trim -- "$cmdpath $w")',
        "                end",
        "        end",
        "    end",
        "    echo $cmdpath",
        "end",
        "",
        "function __hf_gov_subcommands",
        '    switch "$argv"',
    ]
    for c in commands:
        if c.subcommands:
            lines.append(f"        case {_quote(c.path)}")
            lines.append(f"            printf '%s\\n' {' '.join(n for n, _ in c.subcommands)}")
    lines += [
        "    end",
        "end",
        "",
        "function __hf_gov_at",
        "    set -l typed (__hf_gov_path)",
        '    test "$typed" = "$argv"',
        "end",
        "",
        "complete -c hf-gov -f",
    ]
    for c in commands:
        at = f"-n \"__hf_gov_at '{c.path}'\""
        for name, help_text in c.subcommands:
            lines.append(f"complete -c hf-gov {at} -a {name} -d {_quote(help_text)}")
        for choice in c.positional_choices:
            lines.append(f"complete -c hf-gov {at} -a {choice}")
        for o in c.options:
            spec = " ".join(f"-l {f[2:]}" if f.startswith("--") else f"-s {f[1:]}" for f in o.flags)
            value = ""
            if o.choices:
                value = f" -x -a {_quote(' '.join(o.choices))}"
            elif o.is_path:
                value = " -r -F"
            elif o.takes_value:
                value = " -x"
            lines.append(f"complete -c hf-gov {at} {spec}{value} -d {_quote(o.help)}")
    return "\n".join(lines) + "\n"


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (``bash``, ``zsh`` or ``fish``), from ``parser``.

    Raises:
        ValueError: An unknown shell.
    """
    commands = _commands(parser)
    writers = {"bash": _bash, "zsh": _zsh, "fish": _fish}
    if shell not in writers:
        raise ValueError(f"no completion for shell {shell!r}")
    return writers[shell](commands)
