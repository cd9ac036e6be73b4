// The reply key's Argon2id, in a Web Worker: 64 MiB and three passes take half a second here and a few
// seconds on a phone, which on the page's own thread would freeze it (no progress, no quick exit).
//
// Message in: {code} (the 20-digit reply code). Out: {material} (the 32 bytes secret.js turns into the
// key pair), or {error}. The page ends it with terminate() once answered.

import { replyKeyMaterial } from "./secret.js";

self.onmessage = (event) => {
  replyKeyMaterial(String(event.data.code)).then(
    (material) => self.postMessage({ material }),
    (error) => self.postMessage({ error: String((error && error.name) || error) }),
  );
};
