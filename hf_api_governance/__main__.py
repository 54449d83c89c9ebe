"""``python -m hf_api_governance``: the ``hf-gov`` command line."""

from hf_api_governance._cli.main import main

raise SystemExit(main())
