// The built streamsign, bundled the way Workers resolve packages, running inside a
// real workerd: every known-answer vector must come out byte-identical to the
// python+openssl vectors and to what Node signs here, for every key form a Worker
// receives as a text binding. Needs `npm run build -w streamsign` first (`npm test`
// builds before it runs vitest).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSigner, StreamTokenError } from "streamsign";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloudflareKeyResponse,
  cloudflareTokenSample,
  readFixture,
  TEST_KID,
  type TokenVector,
  vectors,
} from "./fixtures.js";
import { bundleWorker, type RunningWorkerd, startWorkerd } from "./support/workerd.js";
import type {
  CreateSignerRequestBody,
  CreateSignerResponseBody,
  ErrorReport,
  Outcome,
  RuntimeResponseBody,
  SignRequestBody,
  SignResponseBody,
  VerifyRequestBody,
  VerifyResponseBody,
} from "./workerd/protocol.js";
import { signOptionsOf } from "./workerd/protocol.js";

const DIST_ENTRY = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL("./workerd/conformance-worker.ts", import.meta.url));

const PKCS1_PEM = readFixture("keys/test-rsa2048.pkcs1.pem");

/** Private-key forms a Worker gets as a text binding, binding name → form. */
const KEY_FORMS = {
  CF_PEM: "Cloudflare `pem` field (base64 of PKCS#1)",
  CF_JWK: "Cloudflare `jwk` field (base64 of JWK JSON)",
  PKCS1_PEM: "PKCS#1 PEM",
  PKCS8_PEM: "PKCS#8 PEM",
  JWK_JSON: "JWK JSON text",
} as const;
type KeyBinding = keyof typeof KEY_FORMS;

const TEXT_BINDINGS: Record<KeyBinding | string, string> = {
  CF_PEM: cloudflareKeyResponse.result.pem,
  CF_JWK: cloudflareKeyResponse.result.jwk,
  PKCS1_PEM,
  PKCS8_PEM: readFixture("keys/test-rsa2048.pkcs8.pem"),
  JWK_JSON: readFixture("keys/test-rsa2048.jwk.json"),
  // What `signerFromEnv(env)` reads in a deployed Worker.
  STREAM_KEY: cloudflareKeyResponse.result.pem,
  STREAM_KEY_ID: cloudflareKeyResponse.result.id,
  SPKI_PEM: readFixture("keys/test-rsa2048.spki.pem"),
  SPKI_PEM_B: readFixture("keys/test-rsa2048-b.spki.pem"),
  DAMAGED_PEM: readFixture("keys/damaged.pkcs1.pem"),
  TRUNCATED_PEM: readFixture("keys/truncated.pkcs1.pem"),
  RSA1024_PEM: readFixture("keys/rsa1024.pkcs1.pem"),
};

let workerd: RunningWorkerd | undefined;
let bundleDir: string | undefined;
let bundle = "";

async function call<T>(path: string, body?: unknown): Promise<T> {
  if (workerd === undefined) throw new Error("workerd is not running");
  const response = await fetch(`${workerd.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`workerd ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The token, or a failure that names the error (never the token) when workerd threw. */
function tokenOf(outcome: Outcome<string> | null | undefined, what: string): string {
  if (outcome == null) throw new Error(`${what}: no outcome`);
  if (!outcome.ok)
    throw new Error(`${what}: workerd threw ${outcome.error.code ?? outcome.error.name}`);
  return outcome.value;
}

function errorOf(outcome: Outcome<unknown> | undefined, what: string): ErrorReport {
  if (outcome === undefined) throw new Error(`${what}: no outcome`);
  if (outcome.ok) throw new Error(`${what}: expected an error, but it succeeded`);
  return outcome.error;
}

/** The token's signature base64url with one character in its middle changed. */
function withFlippedSignature(token: string): string {
  const cut = token.lastIndexOf(".") + 40;
  const replacement = token[cut] === "A" ? "B" : "A";
  return token.slice(0, cut) + replacement + token.slice(cut + 1);
}

/** The token with its payload re-encoded for another video, signature kept. */
function withSwappedVideo(vector: TokenVector): string {
  const [header, , signature] = vector.token.split(".");
  const payload = { ...JSON.parse(vector.payload), sub: "00000000000000000000000000000000" };
  return `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
}

async function nodeToken(vector: TokenVector): Promise<string> {
  const { input } = vector;
  const signer = await createSigner({
    key: PKCS1_PEM,
    keyId: input.keyId,
    clock: () => input.nowSeconds * 1000,
  });
  return signer.sign(input.videoId, signOptionsOf(input, "seconds"));
}

async function nodeError(key: string): Promise<unknown> {
  return createSigner({ key, keyId: TEST_KID }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  if (!existsSync(DIST_ENTRY)) {
    throw new Error(
      "packages/streamsign/dist is missing: run `npm run build -w streamsign` first (npm test does).",
    );
  }
  bundleDir = await mkdtemp(join(tmpdir(), "streamsign-worker-bundle-"));
  const modulePath = join(bundleDir, "conformance-worker.js");
  await bundleWorker(WORKER_ENTRY, modulePath);
  bundle = await readFile(modulePath, "utf8");
  workerd = await startWorkerd({ modulePath, textBindings: TEXT_BINDINGS });
});

afterAll(async () => {
  await workerd?.stop();
  if (bundleDir !== undefined) await rm(bundleDir, { recursive: true, force: true });
});

describe("the Worker bundle", () => {
  it("resolves #backend to the WebCrypto backend, never node:crypto", () => {
    expect(bundle).not.toContain("node:crypto");
    expect(bundle).toContain("crypto.subtle.importKey");
    // Markers of each backend's module, as built into dist/backend/*.js.
    expect(bundle).toContain('name: "web"');
    expect(bundle).not.toContain('name: "node"');
  });

  it("really runs in workerd, where Node's globals do not exist", async () => {
    const facts = await call<RuntimeResponseBody>("/runtime");
    expect(facts).toEqual({ userAgent: "Cloudflare-Workers", hasProcess: false, hasBuffer: false });
  });
});

describe("signing in workerd", () => {
  let signed: SignResponseBody;
  const keyBindings = Object.keys(KEY_FORMS) as KeyBinding[];

  beforeAll(async () => {
    const body: SignRequestBody = { keyBindings, inputs: vectors.map((vector) => vector.input) };
    signed = await call<SignResponseBody>("/sign", body);
  });

  it("has vectors to check", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(keyBindings)("with the %s binding", (keyBinding) => {
    it.each(vectors.map((vector, index) => [vector.name, vector, index] as const))(
      "%s: byte-identical to the openssl vector and to Node",
      async (_name, vector, index) => {
        const token = tokenOf(signed.tokens[keyBinding]?.[index], `${KEY_FORMS[keyBinding]}`);
        // Plain booleans, so a failure never prints a whole token.
        expect(token === vector.token, "workerd token equals the openssl vector").toBe(true);
        expect(token === (await nodeToken(vector)), "workerd token equals Node's").toBe(true);
      },
    );

    it("gives the same bytes when the lifetime is text (30s, 15m)", () => {
      const withText = vectors.flatMap((vector, index) =>
        vector.input.expiresInText === undefined ? [] : [{ vector, index }],
      );
      expect(withText.length).toBeGreaterThan(0);
      for (const { vector, index } of withText) {
        const token = tokenOf(signed.textTokens[keyBinding]?.[index], vector.name);
        expect(
          token === vector.token,
          `${vector.name} with expiresIn "${vector.input.expiresInText}"`,
        ).toBe(true);
      }
    });
  });

  it("signerFromEnv(env) signs with the Worker's STREAM_KEY and STREAM_KEY_ID bindings", () => {
    vectors.forEach((vector, index) => {
      const token = tokenOf(signed.fromEnv[index], `signerFromEnv, ${vector.name}`);
      expect(token === vector.token, vector.name).toBe(true);
    });
  });
});

describe("verifying in workerd", () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))(
    "%s: verifyToken accepts it with the SPKI public key and rejects tampering",
    async (_name, vector) => {
      const { input } = vector;
      const body: VerifyRequestBody = {
        keyBinding: "SPKI_PEM",
        // At nbf when the token is not valid yet at signing time.
        nowSeconds: Math.max(input.nowSeconds, input.notBefore ?? 0),
        tokens: {
          genuine: vector.token,
          flippedSignature: withFlippedSignature(vector.token),
          swappedVideo: withSwappedVideo(vector),
        },
      };
      const outcomes = await call<VerifyResponseBody>("/verify", body);
      const genuine = outcomes.genuine;
      if (!genuine?.ok) throw new Error(`genuine token rejected: ${genuine?.error.code}`);
      expect(genuine.value).toEqual(JSON.parse(vector.payload));
      for (const name of ["flippedSignature", "swappedVideo"]) {
        const error = errorOf(outcomes[name], name);
        expect(error).toMatchObject({
          name: "StreamTokenError",
          code: "ERR_TOKEN_SIGNATURE",
          isStreamTokenError: true,
        });
      }
    },
  );

  it("rejects a token under another key, and a token checked for another video", async () => {
    const vector = vectors[0]!;
    const otherKey = await call<VerifyResponseBody>("/verify", {
      keyBinding: "SPKI_PEM_B",
      nowSeconds: vector.input.nowSeconds,
      tokens: { genuine: vector.token },
    } satisfies VerifyRequestBody);
    expect(errorOf(otherKey.genuine, "other key").code).toBe("ERR_TOKEN_SIGNATURE");

    const otherVideo = await call<VerifyResponseBody>("/verify", {
      keyBinding: "SPKI_PEM",
      nowSeconds: vector.input.nowSeconds,
      videoId: "11111111111111111111111111111111",
      tokens: { genuine: vector.token },
    } satisfies VerifyRequestBody);
    expect(errorOf(otherVideo.genuine, "other video").code).toBe("ERR_TOKEN_VIDEO_MISMATCH");

    const expired = await call<VerifyResponseBody>("/verify", {
      keyBinding: "SPKI_PEM",
      nowSeconds: vector.input.nowSeconds + 3600,
      tokens: { genuine: vector.token },
    } satisfies VerifyRequestBody);
    expect(errorOf(expired.genuine, "expired").code).toBe("ERR_TOKEN_EXPIRED");
  });
});

describe("bad keys in workerd get the same typed errors as on Node", () => {
  const cases = [
    ["DAMAGED_PEM", "ERR_KEY_INVALID"],
    ["TRUNCATED_PEM", "ERR_KEY_INVALID"],
    ["RSA1024_PEM", "ERR_KEY_SIZE"],
    ["SPKI_PEM", "ERR_KEY_TYPE"],
  ] as const;
  let outcomes: CreateSignerResponseBody;

  beforeAll(async () => {
    const body: CreateSignerRequestBody = {
      keyBindings: cases.map(([keyBinding]) => keyBinding),
      keyId: TEST_KID,
    };
    outcomes = await call<CreateSignerResponseBody>("/create-signer", body);
  });

  it.each(cases)("%s → %s", async (keyBinding, code) => {
    const error = errorOf(outcomes[keyBinding], keyBinding);
    expect(error).toMatchObject({ name: "StreamTokenError", code, isStreamTokenError: true });

    const onNode = await nodeError(TEXT_BINDINGS[keyBinding]!);
    expect(onNode).toBeInstanceOf(StreamTokenError);
    expect((onNode as StreamTokenError).code).toBe(error.code);

    // No key material in workerd's message: no 40-character run of the key file.
    const keyText = TEXT_BINDINGS[keyBinding]!.replace(/\s+/g, "");
    for (const run of error.message.match(/[A-Za-z0-9+/=_-]{40,}/g) ?? []) {
      for (let start = 0; start + 40 <= run.length; start++) {
        expect(keyText.includes(run.slice(start, start + 40))).toBe(false);
      }
    }
  });

  it("a good key in the same call signs (the bad ones are not a harness fault)", async () => {
    const good = await call<CreateSignerResponseBody>("/create-signer", {
      keyBindings: ["CF_PEM"],
      keyId: TEST_KID,
    } satisfies CreateSignerRequestBody);
    expect(good.CF_PEM).toEqual({ ok: true, value: TEST_KID });
  });
});

describe("decoding in workerd", () => {
  it("decodeToken reads Cloudflare's /token sample, exp and nbf strings as numbers", async () => {
    const decoded = await call<Outcome<{ header: unknown; payload: Record<string, unknown> }>>(
      "/decode",
      { token: cloudflareTokenSample.token },
    );
    if (!decoded.ok) throw new Error(`decodeToken failed: ${decoded.error.code}`);
    const expectedPayload = JSON.parse(cloudflareTokenSample.payload) as Record<string, string>;
    expect(typeof expectedPayload.exp).toBe("string");
    expect(decoded.value.header).toEqual(JSON.parse(cloudflareTokenSample.header));
    expect(decoded.value.payload).toEqual({
      ...expectedPayload,
      exp: Number(expectedPayload.exp),
      nbf: Number(expectedPayload.nbf),
    });
  });

  it("decodeToken rejects a non-token with ERR_TOKEN_MALFORMED", async () => {
    const decoded = await call<Outcome<unknown>>("/decode", {
      token: "ea95132c15732412d22c1476fa83f27a",
    });
    expect(errorOf(decoded, "decode").code).toBe("ERR_TOKEN_MALFORMED");
  });
});
