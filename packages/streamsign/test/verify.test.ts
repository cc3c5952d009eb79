// verifyToken / createVerifier. Tokens under test come from the fixture vectors (python +
// openssl) or are built here with node:crypto and jose, never with streamsign's signer.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  constants as cryptoConstants,
  sign as nodeSign,
} from "node:crypto";
import { importPKCS8, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { StreamTokenErrorCode, VerifyKeySource, VerifyOptions } from "../src/index.js";
import { createVerifier, StreamTokenError, verifyToken } from "../src/index.js";
import {
  cloudflareKeyResponse,
  cloudflareTokenSample,
  readFixture,
  TEST_KID,
  TEST_KID_B,
  vectors,
} from "./fixtures.js";

const pkcs1Pem = readFixture("keys/test-rsa2048.pkcs1.pem");
const pkcs8Pem = readFixture("keys/test-rsa2048.pkcs8.pem");
const spkiPem = readFixture("keys/test-rsa2048.spki.pem");
const pkcs1PublicPem = readFixture("keys/test-rsa2048.pkcs1-public.pem");
const privateJwkText = readFixture("keys/test-rsa2048.jwk.json");
const publicJwkText = readFixture("keys/test-rsa2048.public.jwk.json");
const spkiPemB = readFixture("keys/test-rsa2048-b.spki.pem");
const pkcs1PemB = readFixture("keys/test-rsa2048-b.pkcs1.pem");
const privateKeyObject = createPrivateKey(pkcs1Pem);
const privateKeyObjectB = createPrivateKey(pkcs1PemB);

const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const OTHER_VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";
/** The signing time used for hand-built tokens (2027-01-15). */
const NOW = 1_800_000_000;
const at = (seconds: number) => new Date(seconds * 1000);
/** A moment at which a vector is valid: its signing time, or its nbf when that is later. */
const validAt = (v: (typeof vectors)[number]) =>
  at(Math.max(v.input.nowSeconds, v.input.notBefore ?? 0));

const b64url = (data: string | Buffer) =>
  (typeof data === "string" ? Buffer.from(data, "utf8") : data).toString("base64url");

/** A token built and signed with node:crypto alone. */
function handToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signWith: (input: Buffer) => Buffer = (input) => nodeSign("sha256", input, privateKeyObject),
): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${b64url(signWith(Buffer.from(signingInput)))}`;
}

const validHeader = { alg: "RS256", kid: TEST_KID };
const validPayload = { sub: VIDEO, kid: TEST_KID, exp: NOW + 3600 };

/** Verifies, expects a StreamTokenError with `code`, and checks the message leaks no token. */
async function rejects(
  token: string,
  source: VerifyKeySource,
  code: StreamTokenErrorCode,
  options: VerifyOptions = { now: at(NOW) },
): Promise<StreamTokenError> {
  let caught: unknown;
  try {
    await verifyToken(token, source, options);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a StreamTokenError ${code}`).toBeInstanceOf(StreamTokenError);
  const error = caught as StreamTokenError;
  expect(error.code).toBe(code);
  expect(error.message).not.toContain(token);
  for (const part of token.split("."))
    if (part.length > 20) expect(error.message).not.toContain(part);
  return error;
}

const keyForms: Array<[string, () => unknown]> = [
  ["SPKI PEM", () => spkiPem],
  ["PKCS#1 public PEM", () => pkcs1PublicPem],
  ["public JWK object", () => JSON.parse(publicJwkText)],
  ["public JWK JSON text", () => publicJwkText],
  ["PKCS#1 private PEM", () => pkcs1Pem],
  ["PKCS#8 private PEM", () => pkcs8Pem],
  ["private JWK object", () => JSON.parse(privateJwkText)],
  ["Cloudflare's base64 `pem` field", () => cloudflareKeyResponse.result.pem],
  ["Cloudflare's base64 `jwk` field", () => cloudflareKeyResponse.result.jwk],
  ["public KeyObject", () => createPublicKey(spkiPem)],
  ["private KeyObject", () => privateKeyObject],
];

describe("verifyToken: every vector verifies with every key form", () => {
  for (const [form, key] of keyForms) {
    it(`${form}`, async () => {
      const verifier = await createVerifier({ key: key() as string });
      for (const v of vectors) {
        const claims = await verifier.verify(v.token, { now: validAt(v) });
        expect(claims, v.name).toEqual(JSON.parse(v.payload));
      }
    });
  }

  it("a WebCrypto public CryptoKey", async () => {
    const key = await crypto.subtle.importKey(
      "spki",
      createPublicKey(spkiPem).export({ format: "der", type: "spki" }),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const v = vectors[0]!;
    const claims = await verifyToken(v.token, { key }, { now: at(v.input.nowSeconds) });
    expect(claims).toEqual(JSON.parse(v.payload));
  });

  it("returns the claims with videoId given (upper-case uid in the token, lower-case asked)", async () => {
    const v = vectors.find((x) => x.name === "uppercase-video-id")!;
    const claims = await verifyToken(
      v.token,
      { key: spkiPem },
      { now: at(v.input.nowSeconds), videoId: v.input.videoId.toLowerCase() },
    );
    expect(claims.sub).toBe(v.input.videoId);
  });
});

describe("verifyToken: keyring chosen by the header's kid", () => {
  const tokenB = handToken(
    { alg: "RS256", kid: TEST_KID_B },
    { sub: VIDEO, kid: TEST_KID_B, exp: NOW + 60 },
    (input) => nodeSign("sha256", input, privateKeyObjectB),
  );
  const ring = { keys: { [TEST_KID]: spkiPem, [TEST_KID_B]: spkiPemB } };

  it("picks key A for a token signed by A and key B for a token signed by B", async () => {
    const verifier = await createVerifier(ring);
    const v = vectors[0]!;
    expect((await verifier.verify(v.token, { now: at(v.input.nowSeconds) })).kid).toBe(TEST_KID);
    expect((await verifier.verify(tokenB, { now: at(NOW) })).kid).toBe(TEST_KID_B);
  });

  it("a kid the keyring lacks is ERR_TOKEN_KEY_UNKNOWN", async () => {
    await rejects(tokenB, { keys: { [TEST_KID]: spkiPem } }, "ERR_TOKEN_KEY_UNKNOWN");
  });

  it("a token without a header kid is ERR_TOKEN_KEY_UNKNOWN against a keyring", async () => {
    const token = handToken({ alg: "RS256" }, validPayload);
    await rejects(token, ring, "ERR_TOKEN_KEY_UNKNOWN");
  });

  it("a keyring entry under the wrong kid does not verify (ERR_TOKEN_SIGNATURE)", async () => {
    await rejects(tokenB, { keys: { [TEST_KID_B]: spkiPem } }, "ERR_TOKEN_SIGNATURE");
  });

  it("a kid that names an Object.prototype member is unknown, not a crash", async () => {
    for (const kid of ["__proto__", "constructor", "toString"]) {
      const token = handToken({ alg: "RS256", kid }, { ...validPayload, kid });
      await rejects(token, ring, "ERR_TOKEN_KEY_UNKNOWN");
    }
  });

  it("a JWK key whose kid differs from the token's is ERR_TOKEN_KEY_UNKNOWN", async () => {
    const jwk = { ...JSON.parse(publicJwkText), kid: TEST_KID_B };
    await rejects(vectors[0]!.token, { key: jwk }, "ERR_TOKEN_KEY_UNKNOWN", {
      now: at(vectors[0]!.input.nowSeconds),
    });
  });

  it("an empty keyring, or key and keys together, is refused up front", async () => {
    await expect(verifyToken(vectors[0]!.token, { keys: {} })).rejects.toMatchObject({
      code: "ERR_KEY_MISSING",
    });
    await expect(
      createVerifier({ key: spkiPem, keys: { [TEST_KID]: spkiPem } } as unknown as VerifyKeySource),
    ).rejects.toMatchObject({ code: "ERR_OPTION_INVALID" });
  });
});

describe("verifyToken: algorithm confusion", () => {
  it("alg none with an empty signature is ERR_TOKEN_ALGORITHM", async () => {
    const token = `${b64url(JSON.stringify({ alg: "none", kid: TEST_KID }))}.${b64url(JSON.stringify(validPayload))}.`;
    const error = await rejects(token, { key: spkiPem }, "ERR_TOKEN_ALGORITHM");
    expect(error.message).toMatch(/unsigned/);
  });

  it("alg none carrying a real RS256 signature is still ERR_TOKEN_ALGORITHM", async () => {
    const token = handToken({ alg: "none", kid: TEST_KID }, validPayload);
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_ALGORITHM");
  });

  it.each(["None", "NONE", "rs256", "RS256 ", "HS256", "ES256", "RS384"])(
    "alg %j is ERR_TOKEN_ALGORITHM",
    async (alg) => {
      await rejects(
        handToken({ alg, kid: TEST_KID }, validPayload),
        { key: spkiPem },
        "ERR_TOKEN_ALGORITHM",
      );
    },
  );

  it("HS256 signed with the public key as the HMAC secret (the classic confusion) is refused", async () => {
    for (const secret of [
      spkiPem,
      Buffer.from(spkiPem),
      createPublicKey(spkiPem).export({ format: "der", type: "spki" }),
    ]) {
      const token = handToken({ alg: "HS256", kid: TEST_KID }, validPayload, (input) =>
        createHmac("sha256", secret).update(input).digest(),
      );
      // The forgery is genuine: its MAC checks out with the public key bytes.
      const [h, p, s] = token.split(".") as [string, string, string];
      expect(createHmac("sha256", secret).update(`${h}.${p}`).digest("base64url")).toBe(s);
      for (const key of [spkiPem, pkcs1PublicPem, JSON.parse(publicJwkText), pkcs1Pem]) {
        await rejects(token, { key }, "ERR_TOKEN_ALGORITHM");
      }
    }
  });

  it("HS256 confusion with the header claiming RS256 fails the signature check", async () => {
    const token = handToken(validHeader, validPayload, (input) =>
      createHmac("sha256", spkiPem).update(input).digest(),
    );
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_SIGNATURE");
  });

  it("an RS512 token is ERR_TOKEN_ALGORITHM, and an RS512 signature under an RS256 header does not verify", async () => {
    const rs512 = (input: Buffer) => nodeSign("sha512", input, privateKeyObject);
    await rejects(
      handToken({ alg: "RS512", kid: TEST_KID }, validPayload, rs512),
      { key: spkiPem },
      "ERR_TOKEN_ALGORITHM",
    );
    await rejects(
      handToken(validHeader, validPayload, rs512),
      { key: spkiPem },
      "ERR_TOKEN_SIGNATURE",
    );
  });

  it("a PS256 token is ERR_TOKEN_ALGORITHM, and a PSS signature under an RS256 header does not verify", async () => {
    const ps256 = (input: Buffer) =>
      nodeSign("sha256", input, {
        key: privateKeyObject,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    await rejects(
      handToken({ alg: "PS256", kid: TEST_KID }, validPayload, ps256),
      { key: spkiPem },
      "ERR_TOKEN_ALGORITHM",
    );
    await rejects(
      handToken(validHeader, validPayload, ps256),
      { key: spkiPem },
      "ERR_TOKEN_SIGNATURE",
    );
  });

  it("a hand-built RS256 token with node:crypto verifies (the negative tests above are not vacuous)", async () => {
    const claims = await verifyToken(
      handToken(validHeader, validPayload),
      { key: spkiPem },
      { now: at(NOW) },
    );
    expect(claims).toEqual(validPayload);
  });
});

describe("verifyToken: wrong key and tampering", () => {
  const v = vectors.find((x) => x.name === "everything-combined")!;
  const now = { now: at(v.input.nowSeconds) };
  const [h, p, s] = v.token.split(".") as [string, string, string];

  it("a token checked with another key is ERR_TOKEN_SIGNATURE", async () => {
    await rejects(v.token, { key: spkiPemB }, "ERR_TOKEN_SIGNATURE", now);
    await rejects(v.token, { key: pkcs1PemB }, "ERR_TOKEN_SIGNATURE", now);
  });

  it("a re-encoded header (same alg and kid, one more member) is ERR_TOKEN_SIGNATURE", async () => {
    const header = b64url(JSON.stringify({ ...JSON.parse(v.header), typ: "JWT" }));
    await rejects(`${header}.${p}.${s}`, { key: spkiPem }, "ERR_TOKEN_SIGNATURE", now);
  });

  it("a payload with a later exp is ERR_TOKEN_SIGNATURE", async () => {
    const claims = JSON.parse(v.payload);
    const payload = b64url(JSON.stringify({ ...claims, exp: claims.exp + 86400 }));
    await rejects(`${h}.${payload}.${s}`, { key: spkiPem }, "ERR_TOKEN_SIGNATURE", now);
  });

  it("a payload without its accessRules is ERR_TOKEN_SIGNATURE", async () => {
    const { accessRules: _dropped, ...claims } = JSON.parse(v.payload);
    await rejects(
      `${h}.${b64url(JSON.stringify(claims))}.${s}`,
      { key: spkiPem },
      "ERR_TOKEN_SIGNATURE",
      now,
    );
  });

  it("a signature with one flipped bit is ERR_TOKEN_SIGNATURE", async () => {
    const signature = Buffer.from(s, "base64url");
    signature[100]! ^= 0x01;
    await rejects(`${h}.${p}.${b64url(signature)}`, { key: spkiPem }, "ERR_TOKEN_SIGNATURE", now);
  });

  it("a truncated signature is rejected", async () => {
    const signature = b64url(Buffer.from(s, "base64url").subarray(0, 255));
    await rejects(`${h}.${p}.${signature}`, { key: spkiPem }, "ERR_TOKEN_SIGNATURE", now);
  });

  it("an empty signature is ERR_TOKEN_MALFORMED", async () => {
    await rejects(`${h}.${p}.`, { key: spkiPem }, "ERR_TOKEN_MALFORMED", now);
  });

  it("a signature that is not base64url is ERR_TOKEN_MALFORMED", async () => {
    await rejects(`${h}.${p}.${s.slice(0, -2)}+/`, { key: spkiPem }, "ERR_TOKEN_MALFORMED", now);
  });

  it("the signature of another vector is ERR_TOKEN_SIGNATURE", async () => {
    const other = vectors[0]!.token.split(".")[2]!;
    await rejects(`${h}.${p}.${other}`, { key: spkiPem }, "ERR_TOKEN_SIGNATURE", now);
  });
});

describe("verifyToken: exp, nbf and clockTolerance", () => {
  const nbf = NOW - 100;
  const exp = NOW + 600;
  const token = handToken(validHeader, { sub: VIDEO, kid: TEST_KID, exp, nbf });
  const ok = (now: number, clockTolerance?: number) =>
    verifyToken(token, { key: spkiPem }, { now: at(now), clockTolerance });

  it("valid one millisecond before exp; expired at exactly exp (exp is exclusive)", async () => {
    await expect(ok(exp - 0.001)).resolves.toMatchObject({ exp });
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_EXPIRED", { now: at(exp) });
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_EXPIRED", { now: at(exp + 1) });
  });

  it("valid at exactly nbf; not yet valid one millisecond before", async () => {
    await expect(ok(nbf)).resolves.toMatchObject({ nbf });
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_NOT_YET_VALID", { now: at(nbf - 0.001) });
  });

  it("clockTolerance widens both ends by exactly that many seconds", async () => {
    await expect(ok(exp + 29, 30)).resolves.toMatchObject({ exp });
    await expect(ok(exp + 29.999, 30)).resolves.toMatchObject({ exp });
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_EXPIRED", {
      now: at(exp + 30),
      clockTolerance: 30,
    });
    await expect(ok(nbf - 30, 30)).resolves.toMatchObject({ nbf });
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_NOT_YET_VALID", {
      now: at(nbf - 30.001),
      clockTolerance: 30,
    });
  });

  it("the expiry message names the time, not the token", async () => {
    const error = await rejects(token, { key: spkiPem }, "ERR_TOKEN_EXPIRED", { now: at(exp) });
    expect(error.message).toContain(new Date(exp * 1000).toISOString());
  });

  it("without `now`, the real clock decides", async () => {
    const future = handToken(validHeader, {
      sub: VIDEO,
      kid: TEST_KID,
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    await expect(verifyToken(future, { key: spkiPem })).resolves.toMatchObject({ sub: VIDEO });
    const past = handToken(validHeader, {
      sub: VIDEO,
      kid: TEST_KID,
      exp: Math.floor(Date.now() / 1000) - 60,
    });
    await rejects(past, { key: spkiPem }, "ERR_TOKEN_EXPIRED", {});
  });

  it.each([
    ["a negative clockTolerance", { clockTolerance: -1 }],
    ["a NaN clockTolerance", { clockTolerance: Number.NaN }],
    ["an infinite clockTolerance", { clockTolerance: Number.POSITIVE_INFINITY }],
    ["a string clockTolerance", { clockTolerance: "30" as unknown as number }],
    ["an invalid Date", { now: new Date(Number.NaN) }],
    ["now as a number", { now: NOW as unknown as Date }],
  ])("%s is ERR_OPTION_INVALID", async (_, options) => {
    await rejects(token, { key: spkiPem }, "ERR_OPTION_INVALID", { now: at(NOW), ...options });
  });

  it("Cloudflare's /token sample, with string exp and nbf, verifies inside its window only", async () => {
    const sample = cloudflareTokenSample.token;
    const claims = await verifyToken(sample, { key: spkiPem }, { now: at(1621882457) });
    expect(claims).toMatchObject({ exp: 1621889657, nbf: 1621882457 });
    await rejects(sample, { key: spkiPem }, "ERR_TOKEN_EXPIRED", { now: at(1621889657) });
    await rejects(sample, { key: spkiPem }, "ERR_TOKEN_NOT_YET_VALID", { now: at(1621882456) });
  });
});

describe("verifyToken: claims", () => {
  it("a videoId that differs from sub is ERR_TOKEN_VIDEO_MISMATCH", async () => {
    await rejects(
      handToken(validHeader, validPayload),
      { key: spkiPem },
      "ERR_TOKEN_VIDEO_MISMATCH",
      {
        now: at(NOW),
        videoId: OTHER_VIDEO,
      },
    );
  });

  it("a videoId that is not a uid is ERR_VIDEO_ID", async () => {
    await rejects(handToken(validHeader, validPayload), { key: spkiPem }, "ERR_VIDEO_ID", {
      now: at(NOW),
      videoId: "not-a-uid",
    });
  });

  it.each([
    ["no exp", { sub: VIDEO, kid: TEST_KID }],
    ["no sub", { kid: TEST_KID, exp: NOW + 60 }],
    ["no kid claim", { sub: VIDEO, exp: NOW + 60 }],
    [
      "a payload kid that differs from the header kid",
      { sub: VIDEO, kid: TEST_KID_B, exp: NOW + 60 },
    ],
    ["downloadable as a string", { ...validPayload, downloadable: "true" }],
    [
      "accessRules that are not rules",
      { ...validPayload, accessRules: [{ type: "all", action: "block" }] },
    ],
    [
      "more than 5 accessRules",
      { ...validPayload, accessRules: Array(6).fill({ type: "any", action: "allow" }) },
    ],
  ])("a correctly signed token with %s is ERR_TOKEN_CLAIMS", async (_, payload) => {
    await rejects(handToken(validHeader, payload), { key: spkiPem }, "ERR_TOKEN_CLAIMS");
  });

  it("a signed exp that is a non-numeric string is ERR_TOKEN_MALFORMED", async () => {
    await rejects(
      handToken(validHeader, { ...validPayload, exp: "later" }),
      { key: spkiPem },
      "ERR_TOKEN_MALFORMED",
    );
  });

  it("returns only the Stream claims, in Cloudflare's order, dropping unknown ones", async () => {
    const payload = {
      iat: NOW,
      sub: VIDEO,
      kid: TEST_KID,
      exp: NOW + 60,
      downloadable: false,
      extra: 1,
    };
    const claims = await verifyToken(
      handToken(validHeader, payload),
      { key: spkiPem },
      { now: at(NOW) },
    );
    expect(JSON.stringify(claims)).toBe(
      JSON.stringify({ sub: VIDEO, kid: TEST_KID, exp: NOW + 60, downloadable: false }),
    );
  });

  it("a token without a header kid verifies against a single PEM key", async () => {
    const claims = await verifyToken(
      handToken({ alg: "RS256" }, validPayload),
      { key: spkiPem },
      { now: at(NOW) },
    );
    expect(claims.sub).toBe(VIDEO);
  });

  // Any caller can send such a header; it must be a typed error, never a TypeError.
  it("a numeric or null header kid is a malformed token, not a TypeError", async () => {
    for (const kid of [123, null, { a: 1 }]) {
      const token = handToken({ alg: "RS256", kid }, validPayload);
      await rejects(token, { keys: { [TEST_KID]: spkiPem } }, "ERR_TOKEN_MALFORMED");
      await expect(
        verifyToken(token, { key: JSON.parse(publicJwkText) }, { now: at(NOW) }),
      ).rejects.toBeInstanceOf(StreamTokenError);
    }
  });
});

describe("verifyToken: cross-implementation", () => {
  it("accepts a token signed by jose with the same claims", async () => {
    const key = await importPKCS8(pkcs8Pem, "RS256");
    const token = await new SignJWT({ kid: TEST_KID, downloadable: true })
      .setProtectedHeader({ alg: "RS256", kid: TEST_KID })
      .setSubject(VIDEO)
      .setExpirationTime(NOW + 900)
      .setNotBefore(NOW - 60)
      .sign(key);
    const claims = await verifyToken(token, { key: spkiPem }, { now: at(NOW), videoId: VIDEO });
    expect(claims).toEqual({
      sub: VIDEO,
      kid: TEST_KID,
      exp: NOW + 900,
      nbf: NOW - 60,
      downloadable: true,
    });
  });

  it("accepts a jose token carrying typ and iat (extra members are signed data, not a problem)", async () => {
    const key = await importPKCS8(pkcs8Pem, "RS256");
    const token = await new SignJWT({ kid: TEST_KID })
      .setProtectedHeader({ alg: "RS256", kid: TEST_KID, typ: "JWT" })
      .setSubject(VIDEO)
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 60)
      .sign(key);
    await expect(
      verifyToken(token, { key: pkcs1PublicPem }, { now: at(NOW) }),
    ).resolves.toMatchObject({
      sub: VIDEO,
    });
  });

  it("rejects a jose RS256 token signed with the second key", async () => {
    const key = await importPKCS8(
      privateKeyObjectB.export({ format: "pem", type: "pkcs8" }) as string,
      "RS256",
    );
    const token = await new SignJWT({ sub: VIDEO, kid: TEST_KID, exp: NOW + 60 })
      .setProtectedHeader({ alg: "RS256", kid: TEST_KID })
      .sign(key);
    await rejects(token, { key: spkiPem }, "ERR_TOKEN_SIGNATURE");
  });
});
