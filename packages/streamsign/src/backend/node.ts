// The Node.js backend: node:crypto KeyObjects, about 20–25% faster than WebCrypto
// on Node because it skips WebCrypto's promise/job machinery.
import {
  createPrivateKey,
  createPublicKey,
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { StreamTokenError } from "../errors.js";
import type { CryptoKeyLike, KeyMaterial } from "../keys.js";
import { checkModulusBits, keyImportFailed, publicKeyCannotSign } from "../keys.js";
import type { Backend, PublicNumbers, SigningKey, VerifyingKey } from "./types.js";

let inFlight = 0;

function signAsync(key: KeyObject, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    nodeSign("sha256", data, key, (error, signature) =>
      error ? reject(error) : resolve(signature),
    );
  });
}

function toKeyObject(material: KeyMaterial, purpose: "private" | "public"): KeyObject {
  switch (material.kind) {
    case "pkcs8":
      return createPrivateKey({ key: Buffer.from(material.der), format: "der", type: "pkcs8" });
    case "spki":
      return createPublicKey({ key: Buffer.from(material.der), format: "der", type: "spki" });
    case "jwk":
      return material.private
        ? createPrivateKey({ key: material.jwk as never, format: "jwk" })
        : createPublicKey({ key: material.jwk as never, format: "jwk" });
    case "key-object":
      return material.key as KeyObject;
    case "crypto-key":
      return cryptoKeyToKeyObject(material.key, purpose);
  }
}

function cryptoKeyToKeyObject(key: CryptoKeyLike, purpose: "private" | "public"): KeyObject {
  const algorithm = key.algorithm as { name: string; hash?: { name?: string } };
  if (algorithm.name !== "RSASSA-PKCS1-v1_5" || algorithm.hash?.name !== "SHA-256") {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `the CryptoKey is for ${algorithm.name}${algorithm.hash?.name ? `/${algorithm.hash.name}` : ""}: import it as { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }.`,
    );
  }
  const usage = purpose === "private" ? "sign" : "verify";
  if (!key.usages.includes(usage) && !(purpose === "public" && key.type === "private")) {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `the CryptoKey lacks the "${usage}" usage: import it with ["${usage}"].`,
    );
  }
  // KeyObject.from also accepts non-extractable keys.
  return KeyObject.from(key as unknown as Parameters<typeof KeyObject.from>[0]);
}

function checkKeyObject(key: KeyObject, purpose: "private" | "public", field: string): KeyObject {
  if (key.type === "secret" || key.asymmetricKeyType !== "rsa") {
    const what = key.type === "secret" ? "a secret (HMAC) key" : `an ${key.asymmetricKeyType} key`;
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is ${what}: Cloudflare Stream signs with RS256, which needs an RSA key.`,
    );
  }
  if (purpose === "private" && key.type !== "private") throw publicKeyCannotSign(field);
  checkModulusBits(key.asymmetricKeyDetails?.modulusLength ?? 0, field);
  return key;
}

/**
 * Sync or threadpool? A synchronous `crypto.sign` is ~10% cheaper than the callback
 * form, but it holds the event loop for the whole signature, and every signature
 * then runs on the main thread's one core.
 *
 * - Calls started together (Promise.all, signMany) see each other in flight and go
 *   to the threadpool, which uses every core.
 * - A caller awaiting one token after another (a loop of awaits) makes its next
 *   call in the same microtask chain in which the last signature completed, with
 *   nothing else waiting to run: it signs synchronously. A nextTick callback only
 *   runs once that chain ends, which is how we tell.
 * - A call that arrives in a new task soon after the last signature is a server
 *   under load (each request is its own I/O callback): it goes to the threadpool, so
 *   the event loop keeps reading requests while both cores sign. Signing
 *   synchronously there measured half the throughput.
 * - An isolated call (nothing signed for a while) signs synchronously: lowest latency.
 *
 * (A worker_threads pool, each worker with its own key copy and batched messages,
 * measured 4–7% slower than the threadpool on 2 cores: docs/benchmarks.md.)
 */
/** True from a signature's completion until its microtask chain ends. */
let inCompletionChain = false;
let lastCompletion = Number.NEGATIVE_INFINITY;
/** A signature finished this recently (ms) means calls are arriving back to back. */
const BUSY_WINDOW_MS = 5;

function endCompletionChain(): void {
  inCompletionChain = false;
}

function completed(): void {
  lastCompletion = performance.now();
  if (!inCompletionChain) {
    inCompletionChain = true;
    process.nextTick(endCompletionChain);
  }
}

async function signOverlapping(key: KeyObject, data: Uint8Array): Promise<Buffer> {
  const synchronous =
    inFlight === 0 && (inCompletionChain || performance.now() - lastCompletion > BUSY_WINDOW_MS);
  inFlight++;
  if (!synchronous) {
    try {
      return await signAsync(key, data);
    } finally {
      inFlight--;
      completed();
    }
  }
  try {
    return nodeSign("sha256", data, key);
  } finally {
    completed();
    // Released after the caller's synchronous burst, so calls started together
    // (Promise.all) see this one as in flight and take the threadpool.
    queueMicrotask(() => {
      inFlight--;
    });
  }
}

export const backend: Backend = {
  name: "node",

  async importSigningKey(material, field) {
    let key: KeyObject;
    try {
      key = toKeyObject(material, "private");
    } catch (error) {
      if (error instanceof StreamTokenError) throw error;
      throw keyImportFailed(field, error);
    }
    return checkKeyObject(key, "private", field) as unknown as SigningKey;
  },

  async importVerifyingKey(material, field) {
    let key: KeyObject;
    try {
      key = toKeyObject(material, "public");
      if (key.type === "private") key = createPublicKey(key);
    } catch (error) {
      if (error instanceof StreamTokenError) throw error;
      throw keyImportFailed(field, error);
    }
    return checkKeyObject(key, "public", field) as unknown as VerifyingKey;
  },

  async publicNumbers(key) {
    const jwk = createPublicKey(key as unknown as KeyObject).export({ format: "jwk" });
    return typeof jwk.n === "string" && typeof jwk.e === "string"
      ? ({ n: jwk.n, e: jwk.e } satisfies PublicNumbers)
      : undefined;
  },

  sign(key, data) {
    return signOverlapping(key as unknown as KeyObject, data);
  },

  async signToBase64Url(key, data) {
    // Buffer's native encoder: ~0.3 us for a signature, against ~3 us in JavaScript.
    return (await signOverlapping(key as unknown as KeyObject, data)).toString("base64url");
  },

  textToBase64Url(text) {
    return Buffer.from(text, "utf8").toString("base64url");
  },

  async verify(key, data, signature) {
    return nodeVerify("sha256", data, key as unknown as KeyObject, signature);
  },

  defaultEnv() {
    return process.env;
  },
};
