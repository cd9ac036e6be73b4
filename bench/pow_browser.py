"""The browser's proof-of-work solver against Python's, on this machine: hashes a second and what the
default difficulty costs.

    .venv/bin/python bench/pow_browser.py [--seconds 3] [--bits 18]

Serves backend/static/sanad/web/ (the committed build of web/src) on a local port, opens it in headless
Debian Chromium (/usr/bin/chromium, as the browser tests do), and runs the real solver
(web/src/pow.js, web/src/pow-worker.js) on a challenge of 40 zero bits, which it will not solve, with
1 worker and with one per core, for --seconds each, reading its own progress reports; and, for
comparison, WebCrypto (one awaited crypto.subtle.digest a hash) on the page's thread. Beside them, the
Python client's loop (client/pow.py: hashlib, one hash per nonce) for as long. Printed: hashes a
second, the ratio to Python, and the mean and 95th-percentile time to solve --bits here; the time the page
takes to derive a reply key from a reply code (web/src/secret.js), median of 3; then the same
for a phone taken as 3 to 5 times slower than one core of this machine (an assumption, not a
measurement), with the solver's default number of workers (up to 4) and with one.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import math
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "backend" / "static" / "sanad" / "web"
MEASURE = """async ([challenge, workers, seconds]) => {
  const { solve } = await import('/pow.js');
  let last = null;
  const running = solve({ challenge, difficulty: 40, workers, workerUrl: '/pow-worker.js',
                          onProgress: (p) => { last = p; } });
  running.catch(() => {});
  await new Promise((done) => setTimeout(done, seconds * 1000));
  return last;  // the workers go with the page
}"""


SUBTLE = """async (seconds) => {
  const message = new Uint8Array(41 + 16);
  crypto.getRandomValues(message);
  let tried = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const digits = String(tried);
    for (let d = 0; d < digits.length; d++) message[41 + d] = digits.charCodeAt(d);
    await crypto.subtle.digest("SHA-256", message.subarray(0, 41 + digits.length));
    tried++;
  }
  return tried / ((performance.now() - started) / 1000);
}"""


# The reply key pair from a reply code (web/src/secret.js: Argon2id, 64 MiB, 3 passes): median of 3.
REPLY_KEY = """async () => {
  const { replyKeyPair, newReplyCode } = await import('/secret.js');
  const times = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await replyKeyPair(newReplyCode());
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1];
}"""


def python_rate(seconds: float) -> float:
    challenge, nonce, started = os.urandom(41), 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(10_000):
            hashlib.sha256(challenge + str(nonce).encode("ascii")).digest()
            nonce += 1
    return nonce / (time.perf_counter() - started)


def browser_rates(seconds: float, worker_counts: list[int]) -> dict[int | str, float]:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BUILT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rates = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"], headless=True
            )
            for workers in worker_counts:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/pow.js")
                challenge = base64.urlsafe_b64encode(os.urandom(41)).decode().rstrip("=")
                report = page.evaluate(MEASURE, [challenge, workers, seconds])
                rates[workers] = report["rate"]
                if workers == 1:
                    rates["subtle"] = page.evaluate(SUBTLE, seconds)
                    rates["reply_key_ms"] = page.evaluate(REPLY_KEY)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return rates


def times(rate: float, bits: int) -> tuple[float, float]:
    """Mean and 95th-percentile seconds to find a nonce at `bits` (tries are geometric)."""
    mean = 2**bits / rate
    return mean, mean * math.log(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--bits", type=int, default=18)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    counts = sorted({1, cores})
    python = python_rate(args.seconds)
    browser = browser_rates(args.seconds, counts)
    print(f"{cores} cores; {args.seconds:g} s each; difficulty {args.bits} bits = {2**args.bits:,} tries on average")
    print(f"{'solver':42} {'hashes/s':>12} {'x Python':>9} {'mean s':>8} {'p95 s':>7}")
    rows = [("Python client (hashlib, 1 core)", python)]
    rows += [(f"Chromium, hash-wasm, {n} worker{'s' if n > 1 else ''}", browser[n]) for n in counts]
    rows.append(("Chromium, crypto.subtle.digest per hash", browser["subtle"]))
    for name, rate in rows:
        mean, p95 = times(rate, args.bits)
        print(f"{name:42} {rate:12,.0f} {rate / python:9.2f} {mean:8.2f} {p95:7.2f}")
    print(f"Chromium, the reply key from a reply code (Argon2id, 64 MiB, 3 passes): {browser['reply_key_ms']:.0f} ms")
    single = browser[1]
    print("A phone taken as 3-5x slower than one core here (assumed, not measured):")
    for label, workers in (("1 worker", 1), ("4 workers, if they scale as here (the default with 4+ cores)", 4)):
        slow = [times(single * workers / factor, args.bits) for factor in (5, 3)]
        print(f"  {label}: mean {slow[1][0]:.2f}-{slow[0][0]:.2f} s, p95 {slow[1][1]:.2f}-{slow[0][1]:.2f} s")


if __name__ == "__main__":
    main()
