"""For .ci/contract: submit real reports through the reference client (client/), each encrypted on this
machine as a reporter's phone would, and write their receipts to files only this user can read (never to
the output), one per line of `names`. Also writes the X25519 intake key's id, for the hooks."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from client.api import SanadClient, Triage


def main(server: str, out: str, *names: str) -> None:
    client = SanadClient(server)
    month = time.strftime("%Y-%m", time.gmtime())
    for name in names:
        triage = Triage(
            category="phone_threat",
            governorate="IQ-BG",
            incident_month=month,
            language="ar",
            flags=["death_threat"],
            indicators=[{"type": "phone", "value": "0770 123 4567"}],
        )
        submission = client.submit(narrative=f"A contract-check report ({name}).", triage=triage)
        path = Path(out) / f"receipt-{name}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(submission.receipt)
    keys = [key for key in client.intake_keys() if key.kem == "X25519"]
    (Path(out) / "x25519-key-id").write_text(keys[0].key_id, encoding="ascii")


if __name__ == "__main__":
    main(*sys.argv[1:])
