// HPKE for wire format v1 in the browser, with @hpke/core (RFC 9180) and @hpke/hybridkem-x-wing:
// never a primitive of ours. The suites are the server's and the Python client's
// (client/hpke.py): KEM X25519 or MLKEM768-X25519 (X-Wing, KEM id 0x647a, the same 1216-byte
// public keys), HKDF-SHA256, AES-256-GCM; a ciphertext is enc || ct, as `cryptography` writes it.

import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
// X25519 in JavaScript (@noble/curves underneath), not WebCrypto's: phones sold before 2025 mostly lack
// WebCrypto X25519, and a reporter's phone is often one of them.
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { XWing } from "@hpke/hybridkem-x-wing";

export const X25519 = "X25519";
export const MLKEM768_X25519 = "MLKEM768-X25519";
export const SUITES = [MLKEM768_X25519, X25519]; // preference order, as the Python client's

const KEMS = { [X25519]: () => new DhkemX25519HkdfSha256(), [MLKEM768_X25519]: () => new XWing() };

function suite(kem) {
  if (!KEMS[kem]) throw new Error(`unsupported KEM ${kem}`);
  return new CipherSuite({ kem: KEMS[kem](), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
}

function joined(first, second) {
  const out = new Uint8Array(first.byteLength + second.byteLength);
  out.set(new Uint8Array(first), 0);
  out.set(new Uint8Array(second), first.byteLength);
  return out;
}

// seal(kem, publicKey: Uint8Array, plaintext: Uint8Array, info: Uint8Array) -> Promise<Uint8Array>
export async function seal(kem, publicKey, plaintext, info) {
  const hpke = suite(kem);
  const recipient = await hpke.kem.deserializePublicKey(publicKey);
  const { enc, ct } = await hpke.seal({ recipientPublicKey: recipient, info }, plaintext);
  return joined(enc, ct);
}

// openWith(kem, privateKey: Uint8Array (raw), ciphertext: Uint8Array, info) -> Promise<Uint8Array>
export async function openWith(kem, privateKey, ciphertext, info) {
  const hpke = suite(kem);
  const encSize = hpke.kem.encSize;
  const recipientKey = await hpke.kem.importKey("raw", privateKey, false);
  const plain = await hpke.open({ recipientKey, enc: ciphertext.slice(0, encSize), info }, ciphertext.slice(encSize));
  return new Uint8Array(plain);
}
