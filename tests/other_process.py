"""Changes made by another process, for tests of what every process must see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def revoke_in_another_process(
    registry_path: Path | str, integration_id: str, *, audit_key: bytes | None = None
) -> None:
    """Revoke ``integration_id`` (by Mimecast) through a new Python process.

    With ``audit_key``, the other process attaches the audit log first (an
    audited registry refuses a change without the key).
    """
    code = (
        "import sys\n"
        "from hf_api_governance import Registry, Revoker\n"
        "with Registry.open(sys.argv[1]) as other:\n"
        "    if sys.argv[3]:\n"
        "        other.attach_audit(bytes.fromhex(sys.argv[3]))\n"
        "    other.revoke(sys.argv[2], by=Revoker.MIMECAST, reason='revoked')\n"
    )
    key = "" if audit_key is None else audit_key.hex()
    subprocess.run(
        [sys.executable, "-c", code, str(registry_path), integration_id, key],
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
        check=True,
        timeout=60,
    )


def audit_in_another_process(registry_path: Path | str, key: bytes) -> None:
    """Append one audit entry (a governed call's record) through a new Python process."""
    code = (
        "import sys\n"
        "from hf_api_governance import Registry\n"
        "with Registry.open(sys.argv[1]) as other:\n"
        "    log = other.attach_audit(bytes.fromhex(sys.argv[2]))\n"
        "    log.append(actor='client', action='api_call', integration_id='okta-directory')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(registry_path), key.hex()],
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
        check=True,
        timeout=60,
    )
