// Proof of work, in a Web Worker: the first nonce of this worker's share whose
// SHA-256(challenge || ASCII decimal nonce) has `difficulty` leading zero bits
// (backend/pow.py checks it; client/pow.py solves it the same way).
//
// SHA-256 is hash-wasm's (WebAssembly), one hasher reused for every nonce: about
// 1.4 M hashes a second on one core here, where one awaited crypto.subtle.digest
// a hash manages under 0.1 M (bench/pow_browser.py prints both machines' rates).
//
// Message in: {challenge: Uint8Array, difficulty, start, step}. The worker tries
// start, start + step, start + 2 step, ... and posts {tried} every BATCH nonces,
// then {nonce} (a decimal string) once found, or {error} if it cannot hash at all.
// The page ends it with terminate().

import { createSHA256 } from "hash-wasm";

const BATCH = 50000;
const MAX_DIGITS = 16; // 2^53 has 16 digits: a nonce never needs more

function leadingZeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

self.onmessage = (event) => {
  work(event.data).catch((error) => self.postMessage({ error: String((error && error.name) || error) }));
};

async function work({ challenge, difficulty, start, step }) {
  const hasher = await createSHA256(); // refused where WebAssembly may not compile (a CSP without 'wasm-unsafe-eval')
  const message = new Uint8Array(challenge.length + MAX_DIGITS);
  message.set(challenge);
  let nonce = start;
  for (;;) {
    for (let i = 0; i < BATCH; i++, nonce += step) {
      const digits = String(nonce);
      for (let d = 0; d < digits.length; d++) message[challenge.length + d] = digits.charCodeAt(d);
      hasher.init();
      hasher.update(message.subarray(0, challenge.length + digits.length));
      if (leadingZeroBits(hasher.digest("binary")) >= difficulty) {
        self.postMessage({ tried: i + 1, nonce: digits });
        return;
      }
    }
    self.postMessage({ tried: BATCH });
  }
}
