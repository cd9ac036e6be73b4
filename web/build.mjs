// Builds web/src into backend/static/sanad/web/, byte for byte the same on every machine with the
// locked packages (CI rebuilds it and fails on any difference): no timestamps, no absolute paths,
// no source maps.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "backend", "static", "sanad", "web");

// Start empty: a bundle whose source was removed must not stay behind, committed and unnoticed.
rmSync(out, { recursive: true, force: true });

const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  target: ["es2020"],
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
};

await build({ ...common, entryPoints: ["src/pow-worker.js"], format: "iife", outfile: path.join(out, "pow-worker.js") });
await build({ ...common, entryPoints: ["src/pow.js"], format: "esm", outfile: path.join(out, "pow.js") });
await build({ ...common, entryPoints: ["src/seal.js"], format: "esm", outfile: path.join(out, "seal.js") });
await build({ ...common, entryPoints: ["src/secret.js"], format: "esm", outfile: path.join(out, "secret.js") });
await build({ ...common, entryPoints: ["src/reporter.js"], format: "esm", outfile: path.join(out, "reporter.js") });
await build({ ...common, entryPoints: ["src/photo.js"], format: "esm", outfile: path.join(out, "photo.js") });
// The page itself: its script (the engine and photo.js bundled in), the worker that derives the reply
// key, and its style sheet.
await build({ ...common, entryPoints: ["src/page.js"], format: "esm", outfile: path.join(out, "page.js") });
await build({ ...common, entryPoints: ["src/key-worker.js"], format: "iife", outfile: path.join(out, "key-worker.js") });
await build({ ...common, entryPoints: ["src/page.css"], outfile: path.join(out, "page.css") });
