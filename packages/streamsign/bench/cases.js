// Every row of the benchmark: what runs, what it is compared against. Inputs and
// keys are prepared here, before any timing; each `run(durationMs)` only loops.
import { createSigner, createTokenCache, createVerifier, decodeToken } from "streamsign";
import { KEY_ID, PAYLOADS, PKCS1_PEM, SIGN_OPTIONS, SPKI_PEM, VIDEO_IDS } from "./inputs.js";
import { measureAsync, measureSync } from "./measure.js";
import { opensslSpeed } from "./openssl.js";
import {
  createFastJwt,
  createJoseSigner,
  createNodeCryptoSigner,
  createWebCryptoSigner,
  jsonwebtokenSign,
  snippetSign,
} from "./peers.js";

/** How many requests each concurrent case keeps outstanding. */
export const IN_FLIGHT = 16;
/** Requests per `signMany` call. */
export const SIGN_MANY_BATCH = 256;

const videoAt = (i) => VIDEO_IDS[i & 63];
const payloadAt = (i) => PAYLOADS[i & 63];

/**
 * Builds every case, imports every key once, and checks each peer's token against
 * ours byte for byte (reported per row, never silently assumed).
 */
export async function prepareCases() {
  const signer = await createSigner({ key: PKCS1_PEM, keyId: KEY_ID });
  const cachedSigner = await createSigner({
    key: PKCS1_PEM,
    keyId: KEY_ID,
    cache: createTokenCache({ maxEntries: 1_000, minRemainingLife: "5m" }),
  });
  const verifier = await createVerifier({ key: SPKI_PEM });
  const jose = await createJoseSigner();
  const fastJwt = createFastJwt();
  const webCrypto = await createWebCryptoSigner();
  const nodeCrypto = createNodeCryptoSigner();

  const ourToken = await signer.sign(videoAt(0), SIGN_OPTIONS);
  const sameAsOurs = async (token) => (await token) === ourToken;
  const identity = {
    jose: await sameAsOurs(jose(payloadAt(0))),
    fastJwt: await sameAsOurs(fastJwt(payloadAt(0))),
    jsonwebtoken: await sameAsOurs(jsonwebtokenSign(payloadAt(0))),
    snippet: await sameAsOurs(snippetSign(payloadAt(0))),
    webCrypto: await sameAsOurs(webCrypto(payloadAt(0))),
    nodeSync: await sameAsOurs(nodeCrypto.sync(payloadAt(0))),
    nodeThreadpool: await sameAsOurs(nodeCrypto.threadpool(payloadAt(0))),
  };
  // Our own rows must also produce that token: a cache hit and signMany included.
  const ourChecks = [
    await cachedSigner.sign(videoAt(0), SIGN_OPTIONS),
    await cachedSigner.sign(videoAt(0), SIGN_OPTIONS),
    (await signer.signMany([{ videoId: videoAt(0), options: SIGN_OPTIONS }]))[0],
    (
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, () => signer.sign(videoAt(0), SIGN_OPTIONS)),
      )
    )[IN_FLIGHT - 1],
  ];
  if (ourChecks.some((token) => token !== ourToken)) {
    throw new Error("streamsign produced different tokens for the same claims: not benchmarking");
  }
  const claims = await verifier.verify(ourToken);
  if (claims.sub !== videoAt(0)) throw new Error("streamsign verify returned the wrong claims");
  if (!nodeCrypto.verify(ourToken)) throw new Error("node:crypto does not verify our token");

  const manyRequests = Array.from({ length: SIGN_MANY_BATCH }, (_, i) => ({
    videoId: videoAt(i),
    options: SIGN_OPTIONS,
  }));
  const hitVideo = videoAt(0);

  /** Each case: an id (the first row it fills) and a loop; metadata lives in ROWS. */
  const cases = [
    {
      id: "openssl",
      run: async (_ms, openssl) => {
        const rates = await opensslSpeed({ processes: 1, seconds: openssl.seconds });
        return {
          openssl: { perSecond: rates.signPerSecond },
          "openssl-verify": { perSecond: rates.verifyPerSecond },
        };
      },
    },
    {
      id: "openssl-multi",
      run: async (_ms, openssl) => {
        const rates = await opensslSpeed({ processes: 2, seconds: openssl.seconds });
        return {
          "openssl-multi": { perSecond: rates.signPerSecond },
          "openssl-multi-verify": { perSecond: rates.verifyPerSecond },
        };
      },
    },
    timed("ours-sequential", (ms) =>
      measureAsync((i) => signer.sign(videoAt(i), SIGN_OPTIONS), { durationMs: ms }),
    ),
    timed("ours-concurrent", (ms) =>
      measureAsync((i) => signer.sign(videoAt(i), SIGN_OPTIONS), {
        durationMs: ms,
        inFlight: IN_FLIGHT,
      }),
    ),
    timed("ours-sign-many", async (ms) => {
      const calls = await measureAsync(() => signer.signMany(manyRequests), { durationMs: ms });
      return {
        perSecond: calls.perSecond * SIGN_MANY_BATCH,
        cpuMicrosPerOp: calls.cpuMicrosPerOp / SIGN_MANY_BATCH,
      };
    }),
    timed("ours-cache-hit", (ms) =>
      measureAsync(() => cachedSigner.sign(hitVideo, SIGN_OPTIONS), { durationMs: ms, batch: 64 }),
    ),
    timed("ours-verify", (ms) =>
      measureAsync(() => verifier.verify(ourToken), { durationMs: ms, batch: 16 }),
    ),
    timed("node-crypto-verify", (ms) =>
      measureSync(() => nodeCrypto.verify(ourToken), { durationMs: ms, batch: 16 }),
    ),
    timed("ours-decode", (ms) =>
      measureSync(() => decodeToken(ourToken), { durationMs: ms, batch: 64 }),
    ),
    timed("jose", (ms) => measureAsync((i) => jose(payloadAt(i)), { durationMs: ms })),
    timed("jose-concurrent", (ms) =>
      measureAsync((i) => jose(payloadAt(i)), { durationMs: ms, inFlight: IN_FLIGHT }),
    ),
    timed("fast-jwt", (ms) => measureSync((i) => fastJwt(payloadAt(i)), { durationMs: ms })),
    timed("jsonwebtoken", (ms) =>
      measureSync((i) => jsonwebtokenSign(payloadAt(i)), { durationMs: ms }),
    ),
    timed("snippet", (ms) => measureAsync((i) => snippetSign(payloadAt(i)), { durationMs: ms })),
    timed("webcrypto", (ms) => measureAsync((i) => webCrypto(payloadAt(i)), { durationMs: ms })),
    timed("node-crypto", (ms) =>
      measureSync((i) => nodeCrypto.sync(payloadAt(i)), { durationMs: ms }),
    ),
    timed("node-crypto-threadpool", (ms) =>
      measureAsync((i) => nodeCrypto.threadpool(payloadAt(i)), {
        durationMs: ms,
        inFlight: IN_FLIGHT,
      }),
    ),
  ];
  const sameBytes = {
    jose: identity.jose,
    "jose-concurrent": identity.jose,
    "fast-jwt": identity.fastJwt,
    jsonwebtoken: identity.jsonwebtoken,
    snippet: identity.snippet,
    webcrypto: identity.webCrypto,
    "node-crypto": identity.nodeSync,
    "node-crypto-threadpool": identity.nodeThreadpool,
  };
  return { cases, sameBytes };
}

/** A case that times one row. */
function timed(id, measure) {
  return { id, run: async (durationMs) => ({ [id]: await measure(durationMs) }) };
}

/**
 * The rows, in display order, with what each is a ratio of: `limit` names the
 * OpenSSL single-core rate (sign or verify); `versus` names our row a peer is
 * compared with (ours ÷ peer); `speedupOver` names a row this one is a multiple of. Exported so the report and the smoke test agree.
 */
export const ROWS = [
  { id: "openssl", label: "openssl speed rsa2048, 1 core: sign", limit: "sign", note: "the limit" },
  {
    id: "openssl-multi",
    label: "openssl speed -multi 2 rsa2048: sign",
    limit: "sign",
    note: "2 processes: the 2-core ceiling",
  },
  { id: "ours-sequential", label: "streamsign sign, sequential", limit: "sign" },
  { id: "ours-concurrent", label: `streamsign sign, ${IN_FLIGHT} in flight`, limit: "sign" },
  {
    id: "ours-sign-many",
    label: `streamsign signMany, ${SIGN_MANY_BATCH} per call`,
    limit: "sign",
    note: "tokens/s",
  },
  {
    id: "jose",
    label: "jose SignJWT, key imported once",
    limit: "sign",
    versus: "ours-sequential",
  },
  {
    id: "jose-concurrent",
    label: `jose SignJWT, ${IN_FLIGHT} in flight`,
    limit: "sign",
    versus: "ours-concurrent",
  },
  {
    id: "fast-jwt",
    label: "fast-jwt createSigner",
    limit: "sign",
    versus: "ours-sequential",
    note: "`header: { typ: undefined }` drops its default typ",
  },
  {
    id: "jsonwebtoken",
    label: "jsonwebtoken, PEM string per call",
    limit: "sign",
    versus: "ours-sequential",
  },
  {
    id: "snippet",
    label: "copy-paste snippet, importKey every call",
    limit: "sign",
    versus: "ours-sequential",
    note: "WebCrypto `importKey` of the PKCS#8 per token",
  },
  {
    id: "webcrypto",
    label: "WebCrypto, key imported once",
    limit: "sign",
    versus: "ours-sequential",
  },
  {
    id: "node-crypto",
    label: "node:crypto sign, key imported once",
    limit: "sign",
    versus: "ours-sequential",
    note: "hand-written, synchronous",
  },
  {
    id: "node-crypto-threadpool",
    label: `node:crypto callback form, ${IN_FLIGHT} in flight`,
    limit: "sign",
    versus: "ours-concurrent",
    note: "libuv threadpool",
  },
  { id: "openssl-verify", label: "openssl speed rsa2048, 1 core: verify", limit: "verify" },
  { id: "openssl-multi-verify", label: "openssl speed -multi 2 rsa2048: verify", limit: "verify" },
  { id: "ours-verify", label: "streamsign verify (createVerifier)", limit: "verify" },
  {
    id: "node-crypto-verify",
    label: "node:crypto verify, key imported once",
    limit: "verify",
    note: "signature only: the ceiling for verify on Node",
  },
  { id: "ours-decode", label: "streamsign decodeToken", note: "no signature check" },
  {
    id: "ours-cache-hit",
    label: "streamsign sign, token cache hit",
    speedupOver: "ours-sequential",
    note: "same claims in one time bucket",
  },
];
