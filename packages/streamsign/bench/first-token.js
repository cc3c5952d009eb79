// Run in a fresh process by cold-start.js: how long until the first token exists?
// Prints one JSON line of milliseconds. The key file is read before the clock starts.
import { KEY_ID, PKCS1_PEM, VIDEO_IDS } from "./inputs.js";

const loadStart = performance.now();
const { createSigner } = await import("streamsign");
const importStart = performance.now();
const signer = await createSigner({ key: PKCS1_PEM, keyId: KEY_ID });
const signStart = performance.now();
const token = await signer.sign(VIDEO_IDS[0]);
const done = performance.now();

process.stdout.write(
  `${JSON.stringify({
    moduleLoadMs: importStart - loadStart,
    keyImportMs: signStart - importStart,
    firstSignMs: done - signStart,
    firstTokenMs: done - importStart,
    sinceProcessStartMs: done,
    tokenLength: token.length,
  })}\n`,
);
