"""The ``hf-gov`` command line.

- :mod:`~hf_api_governance._cli.main`: the entry point: parse, dispatch, map errors to exit codes.
- :mod:`~hf_api_governance._cli.parser`: the grammar (commands, options, help) and ``--at``.
- :mod:`~hf_api_governance._cli.commands`: what each command does, through the facade.
- :mod:`~hf_api_governance._cli.output`: what the commands print: tables, JSON, progress, and
  the ``hf-gov`` form of the findings' fix hints.
- :mod:`~hf_api_governance._cli.completion`: shell completion scripts, generated from the
  parser (imported only by ``hf-gov completion``).
"""
