// One conformance suite, run in-process against both backends: node:crypto (what
// Node uses) and WebCrypto (what Workers, Deno, Bun and browsers use; Node 20 has
// `crypto.subtle` too). Every key form must sign every python+openssl vector byte
// for byte, and bad keys must fail with the same code on both, without key
// material in the message.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { backend as nodeBackend } from "../src/backend/node.js";
import type { Backend } from "../src/backend/types.js";
import { backend as webBackend } from "../src/backend/web.js";
import { StreamTokenError } from "../src/errors.js";
import { createSignerWithBackend } from "../src/sign.js";
import { createVerifierWithBackend, type VerifyKeySource } from "../src/verify.js";
import {
  cloudflareKeyResponse,
  readFixture,
  TEST_KID,
  TEST_KID_B,
  type TokenVector,
  vectors,
} from "./fixtures.js";
import { signOptionsOf } from "./workerd/protocol.js";

type BackendName = "node" | "web";
const BACKENDS: ReadonlyArray<readonly [BackendName, Backend]> = [
  ["node", nodeBackend],
  ["web", webBackend],
];

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const { subtle } = globalThis.crypto;

const PKCS1_PEM = readFixture("keys/test-rsa2048.pkcs1.pem");
const PKCS8_PEM = readFixture("keys/test-rsa2048.pkcs8.pem");
const JWK_TEXT = readFixture("keys/test-rsa2048.jwk.json");
const SPKI_PEM = readFixture("keys/test-rsa2048.spki.pem");
const PUBLIC_JWK_TEXT = readFixture("keys/test-rsa2048.public.jwk.json");

/** base64 of a whole file, the way Cloudflare wraps its `pem` field. */
function cloudflareWrapped(text: string): string {
  return Buffer.from(text).toString("base64");
}

/** PKCS#8 DER of a PEM, by node:crypto (independent of streamsign's DER code). */
function pkcs8Der(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createPrivateKey(pem).export({ format: "der", type: "pkcs8" }));
}

/** SPKI DER of a public or private PEM, by node:crypto. */
function spkiDer(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createPublicKey(pem).export({ format: "der", type: "spki" }));
}

interface KeyForm {
  name: string;
  make: () => unknown;
  /** Backends that accept this form; the others must refuse it with a typed error. */
  backends: readonly BackendName[];
}

const BOTH: readonly BackendName[] = ["node", "web"];

/** Every form of the main test key that `createSigner` accepts. */
const PRIVATE_KEY_FORMS: readonly KeyForm[] = [
  { name: "Cloudflare `pem` field", make: () => cloudflareKeyResponse.result.pem, backends: BOTH },
  { name: "Cloudflare `jwk` field", make: () => cloudflareKeyResponse.result.jwk, backends: BOTH },
  { name: "PKCS#1 PEM", make: () => PKCS1_PEM, backends: BOTH },
  { name: "PKCS#8 PEM", make: () => PKCS8_PEM, backends: BOTH },
  { name: "JWK JSON text", make: () => JWK_TEXT, backends: BOTH },
  { name: "JWK object", make: () => JSON.parse(JWK_TEXT), backends: BOTH },
  {
    name: "CryptoKey (non-extractable, from PKCS#8)",
    make: () => subtle.importKey("pkcs8", pkcs8Der(PKCS1_PEM), RS256, false, ["sign"]),
    backends: BOTH,
  },
  {
    name: "CryptoKey (extractable, from JWK)",
    make: () => subtle.importKey("jwk", JSON.parse(JWK_TEXT), RS256, true, ["sign"]),
    backends: BOTH,
  },
  { name: "KeyObject", make: () => createPrivateKey(PKCS1_PEM), backends: ["node"] },
];

async function signVector(
  backend: Backend,
  key: unknown,
  vector: TokenVector,
  durationAs: "seconds" | "text" = "seconds",
): Promise<string> {
  const { input } = vector;
  const signer = await createSignerWithBackend(backend, {
    key: key as never,
    keyId: input.keyId,
    clock: () => input.nowSeconds * 1000,
  });
  return signer.sign(input.videoId, signOptionsOf(input, durationAs));
}

/** Resolves to the error `work` rejects with, or fails the test when it resolves. */
async function rejection(work: () => Promise<unknown>): Promise<StreamTokenError> {
  let result: unknown;
  try {
    result = await work();
  } catch (error) {
    expect(error).toBeInstanceOf(StreamTokenError);
    return error as StreamTokenError;
  }
  throw new Error(`expected a StreamTokenError, got a ${typeof result}`);
}

/** The token's signature base64url with one character in its middle changed. */
function withFlippedSignature(token: string): string {
  const cut = token.lastIndexOf(".") + 40;
  return token.slice(0, cut) + (token[cut] === "A" ? "B" : "A") + token.slice(cut + 1);
}

/** The token with its payload re-encoded for another video, signature kept. */
function withSwappedVideo(vector: TokenVector): string {
  const [header, , signature] = vector.token.split(".");
  const payload = { ...JSON.parse(vector.payload), sub: "00000000000000000000000000000000" };
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
}

const vectorCases = vectors.map((vector) => [vector.name, vector] as const);
const textVectors = vectors.filter((vector) => vector.input.expiresInText !== undefined);

describe.each(BACKENDS)("the %s backend signs", (backendName, backend) => {
  const supported = PRIVATE_KEY_FORMS.filter((form) => form.backends.includes(backendName));

  describe.each(supported.map((form) => [form.name, form] as const))("with a %s", (_, form) => {
    it.each(vectorCases)("%s byte-identical to the openssl vector", async (_name, vector) => {
      const token = await signVector(backend, await form.make(), vector);
      // A boolean, so a failure never prints a whole token.
      expect(token === vector.token, vector.name).toBe(true);
    });

    it("the same bytes with a text lifetime (30s, 15m)", async () => {
      expect(textVectors.length).toBeGreaterThan(0);
      const key = await form.make();
      for (const vector of textVectors) {
        const token = await signVector(backend, key, vector, "text");
        expect(token === vector.token, vector.name).toBe(true);
      }
    });
  });

  const unsupported = PRIVATE_KEY_FORMS.filter((form) => !form.backends.includes(backendName));
  if (unsupported.length > 0) {
    it.each(unsupported.map((form) => [form.name, form] as const))(
      "refuses a %s with ERR_KEY_UNSUPPORTED_RUNTIME",
      async (_, form) => {
        const key = await form.make();
        const error = await rejection(() => signVector(backend, key, vectors[0]!));
        expect(error.code).toBe("ERR_KEY_UNSUPPORTED_RUNTIME");
      },
    );
  }
});

/** Public (and private) key forms `createVerifier` accepts for the main test key. */
const VERIFY_KEY_FORMS: ReadonlyArray<{
  name: string;
  make: () => Promise<VerifyKeySource> | VerifyKeySource;
  backends: readonly BackendName[];
}> = [
  { name: "SPKI PEM", make: () => ({ key: SPKI_PEM }), backends: BOTH },
  {
    name: "PKCS#1 public PEM",
    make: () => ({ key: readFixture("keys/test-rsa2048.pkcs1-public.pem") }),
    backends: BOTH,
  },
  { name: "public JWK object", make: () => ({ key: JSON.parse(PUBLIC_JWK_TEXT) }), backends: BOTH },
  {
    name: "Cloudflare `pem` field",
    make: () => ({ key: cloudflareKeyResponse.result.pem }),
    backends: BOTH,
  },
  {
    name: "public CryptoKey",
    make: async () => ({
      key: await subtle.importKey("spki", spkiDer(SPKI_PEM), RS256, false, ["verify"]),
    }),
    backends: BOTH,
  },
  {
    name: "keyring with another key",
    make: () => ({
      keys: { [TEST_KID_B]: readFixture("keys/test-rsa2048-b.spki.pem"), [TEST_KID]: SPKI_PEM },
    }),
    backends: BOTH,
  },
  {
    name: "public KeyObject",
    make: () => ({ key: createPublicKey(SPKI_PEM) }),
    backends: ["node"],
  },
];

describe.each(BACKENDS)("the %s backend verifies", (backendName, backend) => {
  const forms = VERIFY_KEY_FORMS.filter((form) => form.backends.includes(backendName));

  it.each(forms.map((form) => [form.name, form] as const))(
    "every vector with a %s, and rejects tampered tokens",
    async (_, form) => {
      const verifier = await createVerifierWithBackend(backend, await form.make());
      for (const vector of vectors) {
        const { input } = vector;
        const now = new Date(Math.max(input.nowSeconds, input.notBefore ?? 0) * 1000);
        expect(await verifier.verify(vector.token, { now }), vector.name).toEqual(
          JSON.parse(vector.payload),
        );
        for (const tampered of [withFlippedSignature(vector.token), withSwappedVideo(vector)]) {
          const error = await rejection(() => verifier.verify(tampered, { now }));
          expect(error.code, vector.name).toBe("ERR_TOKEN_SIGNATURE");
        }
      }
    },
  );

  it("rejects the vectors under another key", async () => {
    const verifier = await createVerifierWithBackend(backend, {
      key: readFixture("keys/test-rsa2048-b.spki.pem"),
    });
    const vector = vectors[0]!;
    const now = new Date(vector.input.nowSeconds * 1000);
    expect((await rejection(() => verifier.verify(vector.token, { now }))).code).toBe(
      "ERR_TOKEN_SIGNATURE",
    );
  });
});

/** A key `createSigner` must refuse, with the code both backends must agree on. */
interface BadKeyCase {
  name: string;
  make: () => unknown;
  code: StreamTokenError["code"];
  /** The fixture file the key comes from: no 40-character run of it may reach a message. */
  file: string;
}

const importRs256 = (file: string, usage: "sign" | "verify", algorithm: object = RS256) =>
  usage === "sign"
    ? subtle.importKey("pkcs8", pkcs8Der(readFixture(file)), algorithm as never, false, ["sign"])
    : subtle.importKey("spki", spkiDer(readFixture(file)), algorithm as never, false, ["verify"]);

const jwkOf = (file: string) => createPrivateKey(readFixture(file)).export({ format: "jwk" });

const BAD_KEYS: readonly BadKeyCase[] = [
  // A public key where the private one is needed
  {
    name: "SPKI PEM",
    make: () => SPKI_PEM,
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.spki.pem",
  },
  {
    name: "PKCS#1 public PEM",
    make: () => readFixture("keys/test-rsa2048.pkcs1-public.pem"),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.pkcs1-public.pem",
  },
  {
    name: "public JWK",
    make: () => JSON.parse(PUBLIC_JWK_TEXT),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.public.jwk.json",
  },
  {
    name: "public CryptoKey",
    make: () => importRs256("keys/test-rsa2048.spki.pem", "verify"),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.spki.pem",
  },
  // Too small
  {
    name: "1024-bit PKCS#1 PEM",
    make: () => readFixture("keys/rsa1024.pkcs1.pem"),
    code: "ERR_KEY_SIZE",
    file: "keys/rsa1024.pkcs1.pem",
  },
  {
    name: "1024-bit key, Cloudflare-wrapped",
    make: () => cloudflareWrapped(readFixture("keys/rsa1024.pkcs1.pem")),
    code: "ERR_KEY_SIZE",
    file: "keys/rsa1024.pkcs1.pem",
  },
  {
    name: "1024-bit JWK",
    make: () => jwkOf("keys/rsa1024.pkcs1.pem"),
    code: "ERR_KEY_SIZE",
    file: "keys/rsa1024.pkcs1.pem",
  },
  {
    name: "1024-bit CryptoKey",
    make: () => importRs256("keys/rsa1024.pkcs1.pem", "sign"),
    code: "ERR_KEY_SIZE",
    file: "keys/rsa1024.pkcs1.pem",
  },
  // Not RSA, or RSA for another algorithm
  {
    name: "EC P-256 PKCS#8 PEM",
    make: () => readFixture("keys/ec-p256.pkcs8.pem"),
    code: "ERR_KEY_TYPE",
    file: "keys/ec-p256.pkcs8.pem",
  },
  {
    name: "Ed25519 PKCS#8 PEM",
    make: () => readFixture("keys/ed25519.pkcs8.pem"),
    code: "ERR_KEY_TYPE",
    file: "keys/ed25519.pkcs8.pem",
  },
  {
    name: "EC P-256 JWK",
    make: () => jwkOf("keys/ec-p256.pkcs8.pem"),
    code: "ERR_KEY_TYPE",
    file: "keys/ec-p256.pkcs8.pem",
  },
  {
    name: "ECDSA P-256 CryptoKey",
    make: () =>
      importRs256("keys/ec-p256.pkcs8.pem", "sign", { name: "ECDSA", namedCurve: "P-256" }),
    code: "ERR_KEY_TYPE",
    file: "keys/ec-p256.pkcs8.pem",
  },
  {
    name: "Ed25519 CryptoKey",
    make: () => importRs256("keys/ed25519.pkcs8.pem", "sign", { name: "Ed25519" }),
    code: "ERR_KEY_TYPE",
    file: "keys/ed25519.pkcs8.pem",
  },
  {
    name: "RSA-PSS CryptoKey",
    make: () =>
      importRs256("keys/test-rsa2048.pkcs1.pem", "sign", { name: "RSA-PSS", hash: "SHA-256" }),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.pkcs1.pem",
  },
  {
    name: "RSASSA-PKCS1-v1_5/SHA-384 CryptoKey",
    make: () => importRs256("keys/test-rsa2048.pkcs1.pem", "sign", { ...RS256, hash: "SHA-384" }),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.pkcs1.pem",
  },
  // Damaged or incomplete
  {
    name: "damaged PKCS#1 PEM",
    make: () => readFixture("keys/damaged.pkcs1.pem"),
    code: "ERR_KEY_INVALID",
    file: "keys/damaged.pkcs1.pem",
  },
  {
    name: "damaged key, Cloudflare-wrapped",
    make: () => cloudflareWrapped(readFixture("keys/damaged.pkcs1.pem")),
    code: "ERR_KEY_INVALID",
    file: "keys/damaged.pkcs1.pem",
  },
  {
    name: "truncated PKCS#1 PEM",
    make: () => readFixture("keys/truncated.pkcs1.pem"),
    code: "ERR_KEY_INVALID",
    file: "keys/truncated.pkcs1.pem",
  },
  // Encrypted: streamsign takes no passphrase
  {
    name: "encrypted PKCS#8 PEM",
    make: () => readFixture("keys/encrypted.pkcs8.pem"),
    code: "ERR_KEY_FORMAT",
    file: "keys/encrypted.pkcs8.pem",
  },
];

/** Node-only inputs: on the web backend every KeyObject is ERR_KEY_UNSUPPORTED_RUNTIME. */
const BAD_KEY_OBJECTS: readonly BadKeyCase[] = [
  {
    name: "public KeyObject",
    make: () => createPublicKey(SPKI_PEM),
    code: "ERR_KEY_TYPE",
    file: "keys/test-rsa2048.spki.pem",
  },
  {
    name: "1024-bit KeyObject",
    make: () => createPrivateKey(readFixture("keys/rsa1024.pkcs1.pem")),
    code: "ERR_KEY_SIZE",
    file: "keys/rsa1024.pkcs1.pem",
  },
  {
    name: "EC KeyObject",
    make: () => createPrivateKey(readFixture("keys/ec-p256.pkcs8.pem")),
    code: "ERR_KEY_TYPE",
    file: "keys/ec-p256.pkcs8.pem",
  },
];

/** Every message on the error and its cause chain. */
function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    messages.push(current.message);
  }
  return messages;
}

/**
 * 40-character windows of base64-ish runs in `message` that also occur in the key
 * file (whitespace removed, so windows across PEM line breaks count) or in the key
 * input as given. Empty when nothing of the key leaked.
 */
function keyFragmentsIn(message: string, sources: readonly string[]): string[] {
  const haystacks = sources.map((source) => source.replace(/\s+/g, ""));
  const found: string[] = [];
  for (const run of message.match(/[A-Za-z0-9+/=_-]{40,}/g) ?? []) {
    for (let start = 0; start + 40 <= run.length; start++) {
      const window = run.slice(start, start + 40);
      if (haystacks.some((haystack) => haystack.includes(window))) found.push(window);
    }
  }
  return found;
}

async function refusal(backend: Backend, badKey: BadKeyCase): Promise<StreamTokenError> {
  const key = await badKey.make();
  const error = await rejection(() =>
    createSignerWithBackend(backend, { key: key as never, keyId: TEST_KID }),
  );
  const fileText = readFixture(badKey.file);
  const pemBody = fileText.replace(/-----[A-Z0-9 ]+-----/g, "").replace(/\s+/g, "");
  const sources = typeof key === "string" ? [fileText, key] : [fileText];
  for (const message of messagesOf(error)) {
    // Counts, not the fragments themselves: a failing test must not print key material.
    expect(message.includes(pemBody), `${badKey.name}: PEM body in a message`).toBe(false);
    expect(
      keyFragmentsIn(message, sources).length,
      `${badKey.name}: key fragment in a message`,
    ).toBe(0);
  }
  return error;
}

describe("bad keys get the same error code on both backends", () => {
  it.each(BAD_KEYS.map((badKey) => [badKey.name, badKey.code, badKey] as const))(
    "%s → %s",
    async (_name, code, badKey) => {
      const onNode = await refusal(nodeBackend, badKey);
      const onWeb = await refusal(webBackend, badKey);
      expect({ node: onNode.code, web: onWeb.code }).toEqual({ node: code, web: code });
    },
  );

  it.each(BAD_KEY_OBJECTS.map((badKey) => [badKey.name, badKey.code, badKey] as const))(
    "%s → %s on node, ERR_KEY_UNSUPPORTED_RUNTIME on web",
    async (_name, code, badKey) => {
      expect((await refusal(nodeBackend, badKey)).code).toBe(code);
      expect((await refusal(webBackend, badKey)).code).toBe("ERR_KEY_UNSUPPORTED_RUNTIME");
    },
  );

  it("the leak check finds key material when it is there", () => {
    const fileText = readFixture("keys/damaged.pkcs1.pem");
    const line = fileText.split("\n")[3]!;
    expect(keyFragmentsIn(`could not import ${line.slice(5, 50)}`, [fileText]).length).toBe(6);
    expect(keyFragmentsIn("key could not be imported", [fileText])).toEqual([]);
  });
});
