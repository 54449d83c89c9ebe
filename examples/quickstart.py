"""Quick start: keep an API key as a confidential value.

Run with ``python examples/quickstart.py``.
"""

from __future__ import annotations

import logging

from hf_api_governance import Classification, Secret


def main() -> int:
    key = Secret("example-not-a-real-key", Classification.MIMECAST_CONFIDENTIAL, "Aware API key")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logging.getLogger("quickstart").info("loaded %s (fingerprint %s)", key, key.fingerprint)
    print(f"repr: {key!r}")
    print(f"str:  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
