import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  webcrypto,
} from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createSigner,
  type PrivateKeyInput,
  StreamTokenError,
  signerFromEnv,
} from "../src/index.js";
import { cloudflareKeyResponse, readFixture, TEST_KID, vectors } from "./fixtures.js";

const vector = vectors.find((v) => v.name === "minimal-default-1h")!;
const pkcs1 = readFixture("keys/test-rsa2048.pkcs1.pem");
const pkcs8 = readFixture("keys/test-rsa2048.pkcs8.pem");
const jwkText = readFixture("keys/test-rsa2048.jwk.json");
const { pem: pemField, jwk: jwkField, id: cloudflareId } = cloudflareKeyResponse.result;

async function signVector(
  key: PrivateKeyInput,
  keyId: string | undefined = TEST_KID,
): Promise<string> {
  const signer = await createSigner({ key, keyId, clock: () => vector.input.nowSeconds * 1000 });
  return signer.sign(vector.input.videoId);
}

// A rest parameter, so that an explicit `undefined` key id is tested as such.
async function keyError(key: unknown, ...keyIdArg: [string?]): Promise<StreamTokenError> {
  const keyId = keyIdArg.length > 0 ? keyIdArg[0] : TEST_KID;
  const error = await createSigner({ key: key as PrivateKeyInput, keyId }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StreamTokenError);
  return error as StreamTokenError;
}

/** Every 24-character run of a PEM body: none may appear in a message. */
function secretRuns(pem: string): string[] {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const runs: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 12) runs.push(body.slice(i, i + 24));
  return runs;
}

function expectNoKeyMaterial(message: string, ...keys: string[]): void {
  for (const key of keys) for (const run of secretRuns(key)) expect(message).not.toContain(run);
}

describe("every key form signs the same bytes as the independent vector", () => {
  const forms: Array<
    [string, () => PrivateKeyInput | Promise<PrivateKeyInput>, string | undefined]
  > = [
    ["Cloudflare's pem field (base64 of PKCS#1 PEM)", () => pemField, TEST_KID],
    ["Cloudflare's jwk field (base64 of JWK JSON), kid taken from it", () => jwkField, undefined],
    ["PKCS#1 PEM text", () => pkcs1, TEST_KID],
    ["PKCS#8 PEM text", () => pkcs8, TEST_KID],
    ["JWK JSON text", () => jwkText, undefined],
    ["JWK object", () => JSON.parse(jwkText), TEST_KID],
    ["Node KeyObject", () => createPrivateKey(pkcs1) as unknown as PrivateKeyInput, TEST_KID],
    [
      "WebCrypto CryptoKey (non-extractable)",
      async () =>
        (await webcrypto.subtle.importKey(
          "pkcs8",
          createPrivateKey(pkcs1).export({ type: "pkcs8", format: "der" }),
          { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
          false,
          ["sign"],
        )) as unknown as PrivateKeyInput,
      TEST_KID,
    ],
    ["PEM with CRLF line ends", () => pkcs1.replace(/\n/g, "\r\n"), TEST_KID],
    [
      "PEM pasted into an env var with literal \\n",
      () => pkcs1.trim().replace(/\n/g, "\\n"),
      TEST_KID,
    ],
    ["PEM with surrounding whitespace", () => `\n  ${pkcs1}\n\n`, TEST_KID],
    [
      "Cloudflare's pem field with a line break from copying",
      () => `${pemField.slice(0, 60)}\n${pemField.slice(60)}`,
      TEST_KID,
    ],
  ];

  it.each(forms)("%s", async (_name, makeKey, keyId) => {
    expect(await signVector(await makeKey(), keyId)).toBe(vector.token);
  });

  it("the fixture's Cloudflare id is the test kid", () => {
    expect(cloudflareId).toBe(TEST_KID);
  });
});

describe("key ids", () => {
  it("takes the kid from the JWK when keyId is omitted", async () => {
    expect((await createSigner({ key: jwkField })).keyId).toBe(TEST_KID);
  });

  it("accepts a keyId equal to the JWK's kid", async () => {
    expect((await createSigner({ key: jwkField, keyId: TEST_KID })).keyId).toBe(TEST_KID);
  });

  it("rejects a keyId that differs from the JWK's kid", async () => {
    const error = await keyError(jwkField, "0123456789abcdef0123456789abcdef");
    expect(error.code).toBe("ERR_KEY_ID_MISMATCH");
  });

  it("requires keyId for a PEM, which carries none", async () => {
    const error = await keyError(pemField, undefined);
    expect(error.code).toBe("ERR_KEY_ID_MISSING");
    expect(error.message).toContain("keyId");
  });

  it.each([
    ["short"],
    ["8f926b2b01f383510284a5a1d7a1c1a"],
    ["8f926b2b01f383510284a5a1d7a1c1ac "],
    ["zz926b2b01f383510284a5a1d7a1c1ac"],
  ])("rejects keyId %j", async (keyId) => {
    expect((await keyError(pemField, keyId)).code).toBe("ERR_KEY_ID_INVALID");
  });

  it.each([["Zx9kQ3vR7tY2uW5pL8mN4bC6dF1gH0jKsAeTiOoP"], ["0123456789abcdef".repeat(4)]])(
    "never echoes a long keyId such as an API token or key (%#)",
    async (keyId) => {
      const error = await keyError(pemField, keyId);
      expect(error.code).toBe("ERR_KEY_ID_INVALID");
      expect(error.message).not.toContain(keyId);
      expect(error.message).toContain(`${keyId.length}-character`);
    },
  );

  it("never echoes a key passed as keyId by mistake", async () => {
    const error = await keyError(pemField, pkcs1);
    expect(error.code).toBe("ERR_KEY_ID_INVALID");
    expectNoKeyMaterial(error.message, pkcs1);
    expect(error.message).not.toContain("BEGIN");
  });
});

describe("keys that must be refused, each with a clean typed error", () => {
  const spki = readFixture("keys/test-rsa2048.spki.pem");
  const cases: Array<[string, () => unknown, string]> = [
    ["SPKI public key", () => spki, "ERR_KEY_TYPE"],
    ["PKCS#1 public key", () => readFixture("keys/test-rsa2048.pkcs1-public.pem"), "ERR_KEY_TYPE"],
    ["public JWK", () => readFixture("keys/test-rsa2048.public.jwk.json"), "ERR_KEY_TYPE"],
    ["public KeyObject", () => createPublicKey(pkcs1), "ERR_KEY_TYPE"],
    ["1024-bit RSA key", () => readFixture("keys/rsa1024.pkcs1.pem"), "ERR_KEY_SIZE"],
    [
      "1024-bit RSA KeyObject",
      () => createPrivateKey(readFixture("keys/rsa1024.pkcs1.pem")),
      "ERR_KEY_SIZE",
    ],
    ["EC P-256 key", () => readFixture("keys/ec-p256.pkcs8.pem"), "ERR_KEY_TYPE"],
    ["Ed25519 key", () => readFixture("keys/ed25519.pkcs8.pem"), "ERR_KEY_TYPE"],
    [
      "EC KeyObject",
      () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
      "ERR_KEY_TYPE",
    ],
    [
      "damaged PKCS#1 (like the sample key in Cloudflare's docs)",
      () => readFixture("keys/damaged.pkcs1.pem"),
      "ERR_KEY_INVALID",
    ],
    ["truncated PKCS#1", () => readFixture("keys/truncated.pkcs1.pem"), "ERR_KEY_INVALID"],
    ["encrypted PKCS#8", () => readFixture("keys/encrypted.pkcs8.pem"), "ERR_KEY_FORMAT"],
    ["PEM without its END line", () => pkcs1.replace(/-----END[\s\S]*$/, ""), "ERR_KEY_INVALID"],
    ["random text", () => "not a key at all", "ERR_KEY_FORMAT"],
    [
      "base64 of something that is not a key",
      () => btoa("hello world, this is not a key"),
      "ERR_KEY_FORMAT",
    ],
    ["a number", () => 42, "ERR_KEY_FORMAT"],
    ["undefined", () => undefined, "ERR_KEY_MISSING"],
    ["an empty string", () => "   ", "ERR_KEY_MISSING"],
    [
      "raw DER bytes",
      () => createPrivateKey(pkcs1).export({ type: "pkcs8", format: "der" }),
      "ERR_KEY_FORMAT",
    ],
    [
      "Cloudflare's whole key response object",
      () => cloudflareKeyResponse.result,
      "ERR_KEY_FORMAT",
    ],
    [
      "a certificate",
      () => "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
      "ERR_KEY_FORMAT",
    ],
    ["JSON that is not a JWK", () => '{"hello":"world"}', "ERR_KEY_FORMAT"],
    ["broken JWK JSON", () => jwkText.slice(0, 200), "ERR_KEY_INVALID"],
    [
      "private JWK missing its CRT parameters",
      () => {
        const { dp: _dp, dq: _dq, qi: _qi, ...rest } = JSON.parse(jwkText);
        return rest;
      },
      "ERR_KEY_INVALID",
    ],
    ["JWK for another algorithm", () => ({ ...JSON.parse(jwkText), alg: "RS512" }), "ERR_KEY_TYPE"],
    ["EC JWK", () => ({ kty: "EC", crv: "P-256", x: "AA", y: "AA", d: "AA" }), "ERR_KEY_TYPE"],
    // The classic HS256 confusion: a secret key must never reach RS256 signing.
    [
      "HMAC secret KeyObject",
      () => createSecretKey(Buffer.from("a shared secret, not RSA")),
      "ERR_KEY_TYPE",
    ],
  ];

  it.each(cases)("%s → %s", async (_name, makeKey, code) => {
    const error = await keyError(await makeKey());
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(20);
    expectNoKeyMaterial(error.message, pkcs1, pkcs8, readFixture("keys/damaged.pkcs1.pem"));
    expect(error.message).not.toMatch(/error:[0-9A-F]{8}|routines::/);
  });

  it("a key that parses but whose private numbers are corrupt fails its self-test", async () => {
    const jwk = JSON.parse(jwkText);
    // OpenSSL recomputes without CRT when a CRT result fails its check, so corrupt both paths.
    const flip = (value: string) => (value[10] === "A" ? "B" : "A") + value.slice(1);
    const corrupt = { ...jwk, d: flip(jwk.d), dp: flip(jwk.dp) };
    const error = await keyError(corrupt);
    expect(error.code).toBe("ERR_KEY_INVALID");
    expect(error.message).toContain("self-test");
  });

  it("lists the accepted forms when it cannot recognise the key", async () => {
    const error = await keyError("what is this");
    expect(error.message).toContain("pem");
    expect(error.message).toContain("jwk");
    expect(error.message).toContain("PKCS#8");
  });
});

describe("signerFromEnv", () => {
  it("reads STREAM_KEY and STREAM_KEY_ID", async () => {
    const signer = await signerFromEnv(
      { STREAM_KEY: pemField, STREAM_KEY_ID: TEST_KID },
      { clock: () => vector.input.nowSeconds * 1000 },
    );
    expect(await signer.sign(vector.input.videoId)).toBe(vector.token);
  });

  it("takes the key id from Cloudflare's jwk field when STREAM_KEY_ID is unset", async () => {
    expect((await signerFromEnv({ STREAM_KEY: jwkField })).keyId).toBe(TEST_KID);
  });

  it("falls back to the Go article's CSTREAM_PEM and CSTREAM_ID", async () => {
    expect((await signerFromEnv({ CSTREAM_PEM: pemField, CSTREAM_ID: TEST_KID })).keyId).toBe(
      TEST_KID,
    );
  });

  it("prefers STREAM_* over CSTREAM_*", async () => {
    const signer = await signerFromEnv({
      STREAM_KEY: jwkField,
      CSTREAM_PEM: "garbage",
      CSTREAM_ID: "also garbage",
    });
    expect(signer.keyId).toBe(TEST_KID);
  });

  it.each([[{}], [{ STREAM_KEY: "" }], [{ STREAM_KEY_ID: TEST_KID }]])(
    "names the variables to set when %j",
    async (env) => {
      const error = await signerFromEnv(env).then(
        () => undefined,
        (reason: unknown) => reason as StreamTokenError,
      );
      expect(error).toBeInstanceOf(StreamTokenError);
      expect(error!.code).toBe("ERR_KEY_MISSING");
      expect(error!.message).toContain("STREAM_KEY");
      expect(error!.message).toContain("STREAM_KEY_ID");
    },
  );

  it("names the variable whose value is wrong", async () => {
    const badKey = await signerFromEnv({ STREAM_KEY: "nonsense", STREAM_KEY_ID: TEST_KID }).catch(
      (e: StreamTokenError) => e,
    );
    expect(badKey).toMatchObject({
      code: "ERR_KEY_FORMAT",
      message: expect.stringMatching(/^STREAM_KEY /),
    });
    const badId = await signerFromEnv({ STREAM_KEY: pemField, STREAM_KEY_ID: "nope" }).catch(
      (e: StreamTokenError) => e,
    );
    expect(badId).toMatchObject({
      code: "ERR_KEY_ID_INVALID",
      message: expect.stringMatching(/^STREAM_KEY_ID /),
    });
    const legacy = await signerFromEnv({ CSTREAM_PEM: "nonsense", CSTREAM_ID: TEST_KID }).catch(
      (e: StreamTokenError) => e,
    );
    expect(legacy).toMatchObject({ message: expect.stringMatching(/^CSTREAM_PEM /) });
  });
});
