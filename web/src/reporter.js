// What the reporter's page does, without its screens: wire format v1 as the reference client speaks it
// (client/api.py, client/content.py), from the browser. Every function talks to `base` (the page's own
// origin, or the address the self-contained file is given), sends no cookie (credentials: "omit"),
// follows no redirect, and asks for refusals in `language`.
//
// A refusal is thrown as ApiError {status, error, detail, fields}: detail is the server's sentence in
// `language` (for a refusal of fields, their sentences joined), fields maps each refused field's path
// (wire format: "triage.governorate", ...) to its sentence.

import { b64url, fromB64url } from "./base64url.js";
import { PowError, solve } from "./pow.js";
import { SUITES, openWith, seal } from "./seal.js";
import { RECEIPT_DIGITS, digitsOf, grouped, newReplyCode, replyKeyPair, secretOf, splitSecret } from "./secret.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Content is padded to the next of these sizes (bytes), as the Python client pads it.
export const BUCKETS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
export const MAX_REPORT = 240 * 1024;
export const MAX_FOLLOWUP = 60 * 1024;

export class ApiError extends Error {
  constructor(status, body) {
    const raw = body ? body.detail : undefined;
    const fields = raw && typeof raw === "object" ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)])) : {};
    const detail = typeof raw === "string" ? raw : Object.values(fields).join(" ");
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.error = body && typeof body.error === "string" ? body.error : null;
    this.detail = detail;
    this.fields = fields;
  }
}

export class TooLong extends Error {
  constructor(size, maximum) {
    super(`too long: ${size} bytes, at most ${maximum}`);
    this.size = size;
    this.maximum = maximum;
  }
}

export { b64url, fromB64url };

// Text as Unicode can carry it: half of an emoji cut by an edit (a lone surrogate) becomes U+FFFD,
// as it would in any UTF-8 encoder, instead of an escape the staff's page cannot print.
function wellFormed(value) {
  if (typeof value === "string") return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)]));
  return value;
}

// UTF-8 JSON of `document` with a "pad" string that fills it to its size bucket exactly.
export function padded(document, maximum = MAX_REPORT) {
  document = wellFormed(document);
  const bare = encoder.encode(JSON.stringify({ ...document, pad: "" })).length;
  if (bare > maximum) throw new TooLong(bare, maximum);
  const target = BUCKETS.find((bucket) => bare <= bucket && bucket <= maximum) ?? maximum;
  const result = encoder.encode(JSON.stringify({ ...document, pad: "=".repeat(target - bare) }));
  if (result.length !== target) throw new Error("padding failed");
  return result;
}

export function reportContent({ narrative, occurredOn, locationText, indicators = [], contact }) {
  const document = { narrative, indicators };
  if (occurredOn) document.occurred_on = occurredOn;
  if (locationText) document.location_text = locationText;
  if (contact) document.contact = contact;
  return padded(document);
}

// The API's origin: the page's own (""), or, for the self-contained file, the address it was given:
// https only (plain http on this machine alone), no user name, no path. A receipt never goes in clear.
export function apiBase(base) {
  if (!base) return "";
  let url;
  try {
    url = new URL(base);
  } catch {
    throw new ApiError(0, { error: "bad_address", detail: "" });
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  const secure = url.protocol === "https:" || (url.protocol === "http:" && loopback);
  if (!secure || url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    throw new ApiError(0, { error: "bad_address", detail: "" });
  }
  return url.origin;
}

async function call(base, method, path, { body, receipt, language, withDate = false } = {}) {
  const origin = apiBase(base);
  const headers = { Accept: "application/json" };
  if (language) headers["Accept-Language"] = language;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (receipt) headers.Authorization = `Receipt ${receipt.replace(/-/g, "")}`;
  const response = await fetch(origin + path, {
    method,
    mode: origin && origin !== globalThis.location?.origin ? "cors" : "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    redirect: "error",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  // An answer that says yes but cannot be read (a proxy's page, a cut connection) is not a yes: the
  // caller learns it may have been received, rather than a receipt of `undefined`.
  if (payload === null || typeof payload !== "object") throw new ApiError(response.status, { error: "unreadable_answer", detail: "" });
  return withDate ? [payload, response.headers.get("Date")] : payload;
}

// The hybrid post-quantum key when offered, else X25519: as the Python client chooses. With `pinned`
// (the self-contained file carries the keys it was built with), only a key offered *and* pinned, byte
// for byte, is used: whoever answers for the API (a changed server, a forged certificate) cannot slip
// in a key of their own. None left means the file is older than the server's keys.
export async function chooseKey(base, language, pinned = null) {
  let keys = await call(base, "GET", "/api/v1/intake-keys/", { language });
  if (!Array.isArray(keys)) throw new ApiError(0, { error: "no_supported_key", detail: "" });
  if (pinned) {
    keys = keys.filter((key) => pinned.some((pin) => ["key_id", "kem", "kdf", "aead", "public_key"].every((name) => pin[name] === key[name])));
    if (!keys.length) throw new ApiError(0, { error: "stale_file", detail: "" });
  }
  for (const kem of SUITES) {
    const key = keys.find((k) => k.kem === kem && k.kdf === "HKDF-SHA256" && k.aead === "AES-256-GCM");
    if (key) return { keyId: key.key_id, kem: key.kem, publicKey: fromB64url(key.public_key) };
  }
  throw new ApiError(0, { error: "no_supported_key", detail: "" });
}

async function proofOfWork(base, language, { workerUrl, onProgress, signal }) {
  const [challenge, serverDate] = await call(base, "GET", "/api/v1/pow/", { language, withDate: true });
  if (!challenge.difficulty) return undefined;
  // How long the challenge lives, by the server's own clock (its answer's Date): a phone's clock is
  // often wrong by hours, and an absolute expiry read by it would end every solve at once, or never.
  const lifetime = Date.parse(challenge.expires_at) - Date.parse(serverDate);
  const nonce = await solve({
    challenge: challenge.challenge,
    difficulty: challenge.difficulty,
    workerUrl,
    onProgress,
    signal,
    deadline: Number.isNaN(lifetime) ? undefined : Date.now() + Math.max(0, lifetime),
  });
  return { challenge: challenge.challenge, nonce };
}

export { PowError };

function info(purpose, keyId) {
  return encoder.encode(`sanad/v1/${purpose}:${keyId}`);
}

// submitReport({base, language, triage, content, workerUrl, keyWorkerUrl, onPhase, onProgress, signal}) -> {secret, receipt}
// triage: {category, governorate, incident_month, immediate_danger, needs_relocation, flags, indicators}
// content: {narrative, occurredOn, locationText, indicatorNotes: {value: note}, contact}
// Only the triage fields the wire format names go in clear; the indicators go into the encrypted
// content too, each with its note, as the Python client puts them.
// onPhase(name) is told each step as it starts: "key" (the reply key, Argon2id: in a worker when
// keyWorkerUrl is given), "pow" (then onProgress as it goes), "send".
export async function submitReport({ base, language, triage, content, workerUrl, keyWorkerUrl, pinnedKeys, onPhase = () => {}, onProgress, signal }) {
  const indicators = (triage.indicators || []).map(({ type, value }) => ({ type, value }));
  const clear = wellFormed({
    category: triage.category,
    governorate: triage.governorate,
    incident_month: triage.incident_month,
    immediate_danger: triage.immediate_danger,
    needs_relocation: triage.needs_relocation,
    flags: triage.flags || [],
    language,
    indicators,
  });
  const notes = content.indicatorNotes || {};
  const plaintext = reportContent({
    narrative: content.narrative,
    occurredOn: content.occurredOn,
    locationText: content.locationText,
    contact: content.contact,
    indicators: indicators.map((item) => ({ ...item, note: notes[item.value] || "" })),
  });
  const key = await chooseKey(base, language, pinnedKeys);
  const code = newReplyCode();
  onPhase("key");
  let reply;
  try {
    reply = await replyKeyPair(code, keyWorkerUrl, signal);
  } catch (error) {
    if (signal?.aborted) throw new PowError("cancelled");
    throw error;
  }
  const envelope = {
    version: 1,
    key_id: key.keyId,
    ciphertext: b64url(await seal(key.kem, key.publicKey, plaintext, info("report", key.keyId))),
    triage: clear,
    reply_public_key: b64url(reply.publicKey),
  };
  onPhase("pow");
  const proof = await proofOfWork(base, language, { workerUrl, onProgress, signal });
  if (proof) envelope.pow = proof;
  if (signal?.aborted) throw new PowError("cancelled"); // also when no proof of work was asked
  onPhase("send");
  const answer = await call(base, "POST", "/api/v1/reports/", { body: envelope, language });
  return { receipt: answer.receipt, secret: secretOf(answer.receipt, code) };
}

// {receipt, code}: from the whole secret, or {receipt, code: null} from a receipt alone (kept from the
// Python client, or all a reporter wrote down): it still checks, adds and withdraws, but opens no reply.
function parsed(secret) {
  const parts = splitSecret(secret);
  if (parts) return parts;
  const digits = digitsOf(secret);
  if (digits && digits.length === RECEIPT_DIGITS) return { receipt: grouped(digits), code: null };
  throw new ApiError(0, { error: "malformed_secret", detail: "" });
}

// checkStatus({base, language, secret}) -> {status, updated, replies: [{body, ...}]}
// Replies are opened here, with the key the secret's reply code gives; a reply that does not open (or
// a receipt given without its code) is reported as {unreadable: true}, never guessed at.
// With keyWorkerUrl, the reply key is derived in a worker (key-worker.js), and only when there are replies.
export async function checkStatus({ base, language, secret, keyWorkerUrl }) {
  const { receipt, code } = parsed(secret);
  const answer = await call(base, "GET", "/api/v1/reports/status/", { receipt, language });
  const privateKey = code === null || !answer.replies.length ? null : (await replyKeyPair(code, keyWorkerUrl)).privateKey;
  const replies = [];
  for (const sealed of answer.replies) {
    try {
      if (privateKey === null) throw new Error("no reply code");
      const plain = await openWith("X25519", privateKey, fromB64url(sealed), encoder.encode("sanad/v1/reply"));
      const value = JSON.parse(decoder.decode(plain));
      replies.push(value && typeof value === "object" ? value : { body: String(value) });
    } catch {
      replies.push({ unreadable: true });
    }
  }
  return { status: answer.status, updated: answer.updated, replies };
}

async function sendContent({ base, language, secret, purpose, path, plaintext, workerUrl, pinnedKeys, onPhase = () => {}, onProgress, signal }) {
  const { receipt } = parsed(secret);
  const key = await chooseKey(base, language, pinnedKeys);
  const body = { key_id: key.keyId, ciphertext: b64url(await seal(key.kem, key.publicKey, plaintext, info(purpose, key.keyId))) };
  onPhase("pow");
  const proof = await proofOfWork(base, language, { workerUrl, onProgress, signal });
  if (proof) body.pow = proof;
  if (signal?.aborted) throw new PowError("cancelled"); // also when no proof of work was asked
  onPhase("send");
  await call(base, "POST", path, { body, receipt, language });
}

export async function followUp({ base, language, secret, narrative, workerUrl, pinnedKeys, onPhase, onProgress, signal }) {
  const plaintext = padded({ narrative }, MAX_FOLLOWUP);
  await sendContent({ base, language, secret, purpose: "followup", path: "/api/v1/reports/followups/", plaintext, workerUrl, pinnedKeys, onPhase, onProgress, signal });
}

// addEvidence: data is the file's bytes (a photo already re-encoded without its metadata).
export async function addEvidence({ base, language, secret, filename, mediaType, data, workerUrl, pinnedKeys, onPhase, onProgress, signal }) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const header = encoder.encode(JSON.stringify(wellFormed({ filename, media_type: mediaType, sha256 })) + "\n");
  const plaintext = new Uint8Array(header.length + data.length);
  plaintext.set(header);
  plaintext.set(data, header.length);
  await sendContent({ base, language, secret, purpose: "evidence", path: "/api/v1/reports/evidence/", plaintext, workerUrl, pinnedKeys, onPhase, onProgress, signal });
}

export async function withdraw({ base, language, secret }) {
  const { receipt } = parsed(secret);
  await call(base, "DELETE", "/api/v1/reports/", { receipt, language });
}
