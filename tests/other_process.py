"""Changes made by another process, for tests of what every process must see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def revoke_in_another_process(registry_path: Path | str, integration_id: str) -> None:
    """Revoke ``integration_id`` (by Mimecast) through a new Python process."""
    code = (
        "import sys\n"
        "from hf_api_governance import Registry, Revoker\n"
        "with Registry.open(sys.argv[1]) as other:\n"
        "    other.revoke(sys.argv[2], by=Revoker.MIMECAST, reason='revoked')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(registry_path), integration_id],
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
        check=True,
        timeout=60,
    )
