"""Cost of the cryptographic core on this machine, with ratios. Run by hand:

    .venv/bin/python bench/crypto.py

HPKE per suite on a 4 KiB padded report (the post-quantum hybrid against
X25519), sealed fields, blind indexes, receipt hashing, and the Argon2id
unwrap that every staff login pays at production parameters.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.crypto import hpke, keywrap  # noqa: E402
from backend.crypto.blind_index import BlindIndexer  # noqa: E402
from backend.crypto.sealed import KeyRing, SealContext  # noqa: E402
from backend.receipts import receipt_hash, receipt_new  # noqa: E402

PRODUCTION_ARGON2 = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}


def rate(fn, *, seconds: float = 1.0) -> float:
    """Calls per second of fn over about `seconds`."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def main() -> None:
    content = os.urandom(4096)
    print(f"{'operation':48} {'ops/s':>10}")
    results = {}
    for suite in hpke.Suite:
        private = hpke.generate_private_key(suite)
        public = private.public_key()
        info = hpke.report_info("ik-bench")
        ciphertext = hpke.encrypt(public, content, info=info)
        results[(suite, "encrypt")] = rate(lambda public=public, info=info: hpke.encrypt(public, content, info=info))
        results[(suite, "decrypt")] = rate(
            lambda private=private, ciphertext=ciphertext, info=info: hpke.decrypt(private, ciphertext, info=info)
        )
        print(f"{'HPKE ' + suite.value + ' encrypt 4 KiB':48} {results[(suite, 'encrypt')]:>10.0f}")
        print(f"{'HPKE ' + suite.value + ' decrypt 4 KiB':48} {results[(suite, 'decrypt')]:>10.0f}")
        print(f"{'  ciphertext overhead (bytes)':48} {len(ciphertext) - len(content):>10}")
    for op in ("encrypt", "decrypt"):
        ratio = results[(hpke.Suite.X25519, op)] / results[(hpke.Suite.MLKEM768_X25519, op)]
        print(f"ratio X25519 / MLKEM768-X25519 {op} rate: {ratio:.2f}x")

    ring = KeyRing([("k1", os.urandom(32))])
    context = SealContext("reports.report", "triage_sealed", "3f2a")
    sealed = ring.seal(b"x" * 256, context)
    print(f"{'sealed field seal 256 B':48} {rate(lambda: ring.seal(b'x' * 256, context)):>10.0f}")
    print(f"{'sealed field open 256 B':48} {rate(lambda: ring.open(sealed, context)):>10.0f}")

    indexer = BlindIndexer(os.urandom(32), 15)
    print(
        f"{'blind index (phone, normalise + HMAC)':48} {rate(lambda: indexer.index_indicator('phone', '0770 123 4567')):>10.0f}"
    )
    key, receipt = os.urandom(32), receipt_new()
    print(f"{'receipt hash':48} {rate(lambda: receipt_hash(receipt, key=key)):>10.0f}")

    wrapped = keywrap.wrap(os.urandom(96), "a long staff passphrase", context=b"u", **PRODUCTION_ARGON2)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        keywrap.unwrap(wrapped, "a long staff passphrase", context=b"u")
        timings.append(time.perf_counter() - start)
    median_ms = statistics.median(timings) * 1000
    print(f"Argon2id unwrap at login (t=3, 64 MiB, p=4): median {median_ms:.0f} ms over 5")
    print(f"  an offline guesser on this machine: about {1000 / median_ms:.1f} guesses/s per wrapped key")


if __name__ == "__main__":
    main()
