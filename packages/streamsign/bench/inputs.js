// Fixed inputs, prepared once, outside every timed loop. The keys are the test
// suite's throw-away keys: never use them for real videos.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const KEYS_DIR = fileURLToPath(new URL("../test/fixtures/keys/", import.meta.url));

/** Cloudflare's key id for the test key. */
export const KEY_ID = "8f926b2b01f383510284a5a1d7a1c1ac";
/** The key as Cloudflare hands it out (decoded from base64): PKCS#1 PEM. */
export const PKCS1_PEM = readFileSync(`${KEYS_DIR}test-rsa2048.pkcs1.pem`, "utf8");
/** The same key as PKCS#8 PEM, which jose and WebCrypto need. */
export const PKCS8_PEM = readFileSync(`${KEYS_DIR}test-rsa2048.pkcs8.pem`, "utf8");
/** Its public half. */
export const SPKI_PEM = readFileSync(`${KEYS_DIR}test-rsa2048.spki.pem`, "utf8");

/** 64 distinct video uids (32 hex), cycled through by every signing case. */
export const VIDEO_IDS = Array.from({ length: 64 }, (_, index) =>
  createHash("sha256").update(`video-${index}`).digest("hex").slice(0, 32),
);

/**
 * One absolute expiry for the whole run, so every library signs exactly
 * `{"sub":…,"kid":…,"exp":…}` and the tokens can be compared byte for byte.
 */
export const EXPIRES_AT = Math.floor(Date.now() / 1000) + 3600;

/** The claims each peer signs, in Cloudflare's order. */
export const PAYLOADS = VIDEO_IDS.map((sub) => ({ sub, kid: KEY_ID, exp: EXPIRES_AT }));

/** Our sign options matching {@link PAYLOADS}. */
export const SIGN_OPTIONS = { expiresAt: EXPIRES_AT };
