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
from typing import Any, Final

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


_BASH, _ZSH = 0, 1
_SAY: Final[dict[str, tuple[Any, Any]]] = {  # what bash, then zsh, writes for each step
    "head": (
        [
            "# bash completion for hf-gov, generated by `hf-gov completion bash` from its parser.",
            "# Install: hf-gov completion bash > ~/.local/share/bash-completion/completions/hf-gov",
        ],
        [
            "#compdef hf-gov",
            "# zsh completion for hf-gov, generated by `hf-gov completion zsh` from its parser.",
            "# Install: hf-gov completion zsh > ~/.zfunc/_hf-gov  (with ~/.zfunc in $fpath,",
            "# before compinit runs)",
        ],
    ),
    "tail": (
        ["complete -o filenames -o bashdefault -F _hf_gov hf-gov"],
        ["", '_hf_gov "$@"'],
    ),
    "locals": (
        ['    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" list'],
        ['    local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}"', "    local -a list"],
    ),
    "otherwise": (
        [
            '    list="$(_hf_gov_commands "$cmdpath") $(_hf_gov_positional_choices "$cmdpath")"',
            '    if [[ -n "${list// /}" ]]; then',
            '        COMPREPLY=($(compgen -W "$list" -- "$cur")); return',
            "    fi",
            '    COMPREPLY=($(compgen -f -- "$cur"))',
        ],
        [
            '    list=(${=$(_hf_gov_commands "$cmdpath")}',
            '          ${=$(_hf_gov_positional_choices "$cmdpath")})',
            "    if (( ${#list} )); then compadd -- $list; return; fi",
            "    _files",
        ],
    ),
    "assign": ('list="$(_hf_gov_{})"', "list=(${{=$(_hf_gov_{})}})"),
    "nonempty": ('[[ -n "$list" ]]', "(( ${#list} ))"),
    "offer": ('COMPREPLY=($(compgen -W "$list" -- "$cur"))', "compadd -- $list"),
    "files": ('COMPREPLY=($(compgen -f -- "$cur"))', "_files"),
    "after_valued": ("COMPREPLY=(); return", "return"),
    "options": (
        'COMPREPLY=($(compgen -W "$(_hf_gov_options "$cmdpath")" -- "$cur"))',
        'list=(${=$(_hf_gov_options "$cmdpath")}); compadd -- $list',
    ),
}


def _function(valued: set[str], paths: set[str], shell: int) -> list[str]:
    """The ``_hf_gov`` function of bash (``_BASH``) or zsh (``_ZSH``).

    The same steps in both, each in the shell's words (:data:`_SAY`): find
    the command typed so far (``cmdpath``), then offer the choices of the
    option before the cursor (or of the command), a file after a path option,
    nothing after another option that takes a value, the options when the
    word starts with ``-``, else the subcommands and positional choices, else
    files.
    """
    say = {step: words[shell] for step, words in _SAY.items()}
    assign = say["assign"]
    return [
        "_hf_gov() {",
        *say["locals"],
        *(_walk("COMP_CWORD", 1, valued) if shell == _BASH else _walk("CURRENT", 2, valued)),
        "    " + assign.format('choices "$cmdpath" "$prev"'),
        '    if [[ -z "$cmdpath" ]]; then ' + assign.format('choices "$prev"') + "; fi",
        f"    if {say['nonempty']}; then {say['offer']}; return; fi",
        '    case "$prev" in',
        f"        {'|'.join(sorted(paths))}) {say['files']}; return ;;",
        f"        {'|'.join(sorted(valued - paths))}) {say['after_valued']} ;;",
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        f"        {say['options']}; return",
        "    fi",
        *say["otherwise"],
        "}",
    ]


def _bash(commands: list[_Command]) -> str:
    return _bash_or_zsh(commands, _BASH)


def _zsh(commands: list[_Command]) -> str:
    return _bash_or_zsh(commands, _ZSH)


def _bash_or_zsh(commands: list[_Command], shell: int) -> str:
    helpers, valued, paths = _tables(commands)
    head, tail = _SAY["head"][shell], _SAY["tail"][shell]
    lines = [*head, "", *helpers, "", *_function(valued, paths, shell), *tail]
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
