// Solving the server's proof of work (GET /api/v1/pow/) in Web Workers, so the
// page stays responsive, with honest progress.
//
// Finding a nonce is a lottery: each try wins with probability 2^-difficulty, so
// the expected number of tries is 2^difficulty whatever has been tried so far.
// Progress is therefore the chance that a solver would have finished by now,
// 1 - exp(-tried / 2^difficulty), and "about N seconds" is the expected time at
// the rate measured so far; both are what they say, neither a count-down.

import { fromB64url } from "./base64url.js";

const DEFAULT_WORKERS = 4;
export const MAX_DIFFICULTY = 32; // the server's ceiling is far below; more would run for days

export class PowError extends Error {
  constructor(reason) {
    super(reason);
    this.error = reason; // "too_hard", "expired", "cancelled" or "no_worker"
  }
}


export function expectedTries(difficulty) {
  return 2 ** difficulty;
}

// solve({challenge, difficulty, workerUrl, workers, onProgress, deadline, signal}) -> Promise<nonce string>
// onProgress({tried, rate, fraction, expectedSeconds}) is called as workers report. `workers` defaults
// to the device's cores, at most DEFAULT_WORKERS. It rejects with PowError when the challenge's
// `deadline` (ms since the epoch: its expiry) passes, when `signal` aborts, or when a worker cannot
// hash; the workers are stopped in every case.
export function solve({ challenge, difficulty, workerUrl, workers, onProgress = () => {}, deadline, signal }) {
  if (!(difficulty >= 0 && difficulty <= MAX_DIFFICULTY)) return Promise.reject(new PowError("too_hard"));
  const count = Math.max(1, workers || Math.min(navigator.hardwareConcurrency || 1, DEFAULT_WORKERS));
  const bytes = fromB64url(challenge);
  const started = performance.now();
  const pool = [];
  let tried = 0;
  return new Promise((resolve, reject) => {
    let timer = null;
    const stop = () => {
      pool.forEach((worker) => worker.terminate());
      if (timer !== null) clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", cancelled);
    };
    const fail = (reason) => {
      stop();
      reject(new PowError(reason));
    };
    const cancelled = () => fail("cancelled");
    if (signal) {
      if (signal.aborted) return fail("cancelled");
      signal.addEventListener("abort", cancelled);
    }
    if (deadline) timer = setTimeout(() => fail("expired"), Math.max(0, deadline - Date.now()));
    for (let index = 0; index < count; index++) {
      const worker = new Worker(workerUrl);
      worker.onmessage = (event) => {
        if (event.data.error !== undefined) return fail("no_worker");
        tried += event.data.tried;
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? tried / seconds : 0;
        onProgress({
          tried,
          rate,
          fraction: 1 - Math.exp(-tried / expectedTries(difficulty)),
          expectedSeconds: rate > 0 ? expectedTries(difficulty) / rate : null,
        });
        if (event.data.nonce !== undefined) {
          stop();
          resolve(event.data.nonce);
        }
      };
      worker.onerror = () => fail("no_worker");
      pool.push(worker);
      worker.postMessage({ challenge: bytes, difficulty, start: index, step: count });
    }
  });
}
