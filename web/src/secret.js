// The one secret a reporter keeps: the server's receipt (20 digits) followed by a reply code the page
// chose (20 digits), shown as one number of ten groups of four. The receipt part authenticates to the
// API as it is (wire format v1 unchanged); the reply code never leaves the phone: the reporter's reply
// key pair is derived from it, so a copy of the database (which holds the reply public key and the
// receipt's keyed hash) is not enough to read a reply.
//
// Derivation, with no primitive of ours: Argon2id (hash-wasm) of the code, 64 MiB, 3 passes, into
// HPKE's DeriveKeyPair for DHKEM(X25519, HKDF-SHA256) (RFC 9180). The salt is fixed (it must be known
// before the receipt exists, and wire format v1 has no field for one), so one guess is tested against
// every stored reply key at once: the code's 66 bits and Argon2id's cost are what a guesser faces
// (README, "The reporter's web page").

import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519"; // JavaScript X25519: see seal.js
import { argon2id } from "hash-wasm";

export const RECEIPT_DIGITS = 20;
export const CODE_DIGITS = 20;
const GROUP = 4;
export const ARGON2 = { iterations: 3, memorySize: 64 * 1024, parallelism: 1, hashLength: 32 };
const SALT = new TextEncoder().encode("sanad/v1/reply-key");

// What people type between groups, and the invisible marks that copying digits out of right-to-left
// text carries along (backend/receipts.py accepts the same), and digits of any of the three scripts
// Sanad's readers use: ASCII, Arabic-Indic and Extended Arabic-Indic.
const SEPARATORS = new Set([
  ...[" ", "-", "\u00a0", "\u2009", "\u202f", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "."],
  ...["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2066", "\u2067", "\u2068", "\u2069"],
  ...["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2060", "\ufeff", "\u061c", "\u066c", "\n", "\r", "\t"],
]);

function asciiDigit(char) {
  const code = char.codePointAt(0);
  if (code >= 0x30 && code <= 0x39) return char;
  if (code >= 0x660 && code <= 0x669) return String(code - 0x660);
  if (code >= 0x6f0 && code <= 0x6f9) return String(code - 0x6f0);
  return null;
}

// The ASCII digits of what was typed, or null if anything but digits and separators was.
export function digitsOf(text) {
  if (typeof text !== "string" || text.length > 128) return null;
  let digits = "";
  for (const char of text.trim()) {
    const digit = asciiDigit(char);
    if (digit !== null) digits += digit;
    else if (!SEPARATORS.has(char)) return null;
  }
  return digits;
}

export function grouped(digits) {
  return digits.match(new RegExp(`.{1,${GROUP}}`, "g")).join("-");
}

// A fresh reply code: CODE_DIGITS uniform random digits (bytes of 250 or more are drawn again).
export function newReplyCode() {
  let code = "";
  while (code.length < CODE_DIGITS) {
    for (const byte of crypto.getRandomValues(new Uint8Array(CODE_DIGITS))) {
      if (byte < 250 && code.length < CODE_DIGITS) code += String(byte % 10);
    }
  }
  return code;
}

// The secret to write down, from the server's receipt (as it answered) and the reply code.
export function secretOf(receipt, code) {
  const receiptDigits = digitsOf(receipt);
  if (!receiptDigits || receiptDigits.length !== RECEIPT_DIGITS || code.length !== CODE_DIGITS) {
    throw new Error("malformed receipt or reply code");
  }
  return grouped(receiptDigits + code);
}

// {receipt, code} from a secret as typed (any digits, any separators), or null if it is not one.
export function splitSecret(text) {
  const digits = digitsOf(text);
  if (!digits || digits.length !== RECEIPT_DIGITS + CODE_DIGITS) return null;
  return { receipt: grouped(digits.slice(0, RECEIPT_DIGITS)), code: digits.slice(RECEIPT_DIGITS) };
}

export async function replyKeyMaterial(code) {
  return argon2id({ ...ARGON2, password: code, salt: SALT, outputType: "binary" });
}

// The same, computed in a Web Worker (key-worker.js at `workerUrl`) so the page's thread stays free.
// `signal` ends the worker at once (the reporter pressed Stop).
export function replyKeyMaterialInWorker(code, workerUrl, signal) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl);
    const done = (outcome) => {
      worker.terminate();
      if (signal) signal.removeEventListener("abort", aborted);
      outcome();
    };
    const aborted = () => done(() => reject(new DOMException("stopped", "AbortError")));
    if (signal?.aborted) return aborted();
    if (signal) signal.addEventListener("abort", aborted);
    worker.onmessage = (event) =>
      done(() => (event.data.material ? resolve(new Uint8Array(event.data.material)) : reject(new Error(event.data.error || "key worker"))));
    worker.onerror = worker.onmessageerror = () => done(() => reject(new Error("key worker")));
    worker.postMessage({ code });
  });
}

// {publicKey, privateKey}: the raw 32-byte X25519 keys the reply code gives, the same on every device.
// With `workerUrl` (key-worker.js), Argon2id runs in a worker; without, on this thread.
export async function replyKeyPair(code, workerUrl, signal) {
  const kem = new DhkemX25519HkdfSha256();
  const material = workerUrl ? await replyKeyMaterialInWorker(code, workerUrl, signal) : await replyKeyMaterial(code);
  const pair = await kem.deriveKeyPair(material);
  material.fill(0); // the key pair is all that is needed from here
  return {
    publicKey: new Uint8Array(await kem.serializePublicKey(pair.publicKey)),
    privateKey: new Uint8Array(await kem.serializePrivateKey(pair.privateKey)),
  };
}
