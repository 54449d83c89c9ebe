"""``hf-gov completion``: shell completion scripts, generated from the parser."""

from __future__ import annotations

import argparse
from typing import TextIO


def cmd_completion(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov completion``: print a completion script generated from the parser."""
    from hf_api_governance._cli.completion import completion_script
    from hf_api_governance._cli.parser import build_parser

    out.write(completion_script(build_parser(), args.shell))
    return 0
