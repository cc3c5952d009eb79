// Sanity checks of the fixtures themselves, using node:crypto only (no streamsign code).
import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  cloudflareKeyResponse,
  cloudflareTokenSample,
  ENCRYPTED_KEY_PASSPHRASE,
  readFixture,
  TEST_KID,
  TEST_KID_B,
  vectors,
} from "./fixtures.js";

const spkiPem = readFixture("keys/test-rsa2048.spki.pem");
const spkiPemB = readFixture("keys/test-rsa2048-b.spki.pem");
const pkcs1Pem = readFixture("keys/test-rsa2048.pkcs1.pem");

function b64urlDecode(s: string): string {
  expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
  return Buffer.from(s, "base64url").toString("utf8");
}

function splitToken(token: string): [string, string, string] {
  const parts = token.split(".");
  expect(parts).toHaveLength(3);
  return [parts[0]!, parts[1]!, parts[2]!];
}

function verifies(pem: string, signingInput: string | Buffer, sig: Buffer): boolean {
  return verify("sha256", Buffer.from(signingInput), pem, sig);
}

function tamperOnePayloadByte(h: string, p: string): Buffer {
  const buf = Buffer.from(`${h}.${p}`, "ascii");
  const i = h.length + 1 + Math.floor(p.length / 2);
  buf[i] = buf[i] === 0x41 ? 0x42 : 0x41;
  return buf;
}

describe("vectors.json", () => {
  it("has the expected cases with unique names", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(12);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
    expect(vectors.filter((v) => v.input.expiresInText !== undefined)).toHaveLength(2);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      const [h, p, s] = splitToken(v.token);
      const sig = Buffer.from(s, "base64url");

      it("header and payload parts decode to exactly the recorded JSON text", () => {
        expect(b64urlDecode(h)).toBe(v.header);
        expect(b64urlDecode(p)).toBe(v.payload);
        expect(v.header).toBe(`{"alg":"RS256","kid":"${TEST_KID}"}`);
        expect(v.input.keyId).toBe(TEST_KID);
      });

      it("payload follows the documented claim order and values", () => {
        const payload = JSON.parse(v.payload) as Record<string, unknown>;
        const { input } = v;
        const exp =
          input.expiresIn !== undefined
            ? input.nowSeconds + input.expiresIn
            : (input.expiresAt ?? input.nowSeconds + 3600);
        const expected: Record<string, unknown> = { sub: input.videoId, kid: input.keyId, exp };
        if (input.notBefore !== undefined) expected.nbf = input.notBefore;
        if (input.downloadable !== undefined) expected.downloadable = input.downloadable;
        if (input.accessRules !== undefined) expected.accessRules = input.accessRules;
        expect(payload).toEqual(expected);
        expect(Object.keys(payload)).toEqual(Object.keys(expected));
        expect(v.payload).toBe(JSON.stringify(expected));
        expect(v.payload).not.toMatch(/"iat"|"typ"|access_rules/);
      });

      it("signature verifies with the main key's SPKI", () => {
        expect(sig).toHaveLength(256);
        expect(verifies(spkiPem, `${h}.${p}`, sig)).toBe(true);
      });

      it("signature does not verify with key B", () => {
        expect(verifies(spkiPemB, `${h}.${p}`, sig)).toBe(false);
      });

      it("signature does not verify when one payload byte changes", () => {
        expect(verifies(spkiPem, tamperOnePayloadByte(h, p), sig)).toBe(false);
      });
    });
  }

  it("covers the special inputs", () => {
    const byName = new Map(vectors.map((v) => [v.name, v]));
    expect(byName.get("empty-access-rules")?.payload).toContain('"accessRules":[]');
    expect(byName.get("downloadable-false")?.payload).toContain('"downloadable":false');
    expect(byName.get("uppercase-video-id")?.input.videoId).toMatch(/^[0-9A-F]{32}$/);
    expect(byName.get("five-rules")?.input.accessRules).toHaveLength(5);
  });
});

describe("cloudflare-token-sample.json", () => {
  const [h, p, s] = splitToken(cloudflareTokenSample.token);

  it("decodes to its header/payload, with exp and nbf as strings", () => {
    expect(b64urlDecode(h)).toBe(cloudflareTokenSample.header);
    expect(b64urlDecode(p)).toBe(cloudflareTokenSample.payload);
    const payload = JSON.parse(cloudflareTokenSample.payload) as Record<string, unknown>;
    expect(typeof payload.exp).toBe("string");
    expect(typeof payload.nbf).toBe("string");
    expect(payload.kid).toBe(TEST_KID);
  });

  it("verifies with the main key only", () => {
    const sig = Buffer.from(s, "base64url");
    expect(verifies(spkiPem, `${h}.${p}`, sig)).toBe(true);
    expect(verifies(spkiPemB, `${h}.${p}`, sig)).toBe(false);
    expect(verifies(spkiPem, tamperOnePayloadByte(h, p), sig)).toBe(false);
  });
});

describe("test-rsa2048.cloudflare.json", () => {
  const { result } = cloudflareKeyResponse;

  it("has the POST /stream/keys envelope", () => {
    expect(cloudflareKeyResponse.success).toBe(true);
    expect(cloudflareKeyResponse.errors).toEqual([]);
    expect(result.id).toBe(TEST_KID);
    expect(result.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("pem is base64 of the PKCS#1 PEM", () => {
    const pem = Buffer.from(result.pem, "base64").toString("utf8");
    expect(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----\n")).toBe(true);
    expect(pem).toBe(pkcs1Pem);
  });

  it("jwk is base64 of the private JWK with the right kid", () => {
    const jwk = JSON.parse(Buffer.from(result.jwk, "base64").toString("utf8")) as Record<
      string,
      string
    >;
    expect(jwk).toMatchObject({ kty: "RSA", kid: TEST_KID, alg: "RS256", use: "sig" });
    expect(Object.keys(jwk)).toEqual([
      "use",
      "kty",
      "kid",
      "alg",
      "n",
      "e",
      "d",
      "p",
      "q",
      "dp",
      "dq",
      "qi",
    ]);
    expect(jwk).toEqual(JSON.parse(readFixture("keys/test-rsa2048.jwk.json")));
    const fromJwk = createPrivateKey({ key: jwk, format: "jwk" });
    expect(fromJwk.export({ type: "pkcs1", format: "pem" })).toBe(pkcs1Pem);
  });
});

describe("key files", () => {
  const spkiDer = createPublicKey(spkiPem).export({ type: "spki", format: "der" });

  it("every form of the main key is the same key", () => {
    const forms = [
      createPublicKey(pkcs1Pem),
      createPublicKey(readFixture("keys/test-rsa2048.pkcs8.pem")),
      createPublicKey(readFixture("keys/test-rsa2048.pkcs1-public.pem")),
      createPublicKey({
        key: JSON.parse(readFixture("keys/test-rsa2048.public.jwk.json")),
        format: "jwk",
      }),
    ];
    for (const k of forms) {
      expect(k.export({ type: "spki", format: "der" }).equals(spkiDer)).toBe(true);
    }
    expect(readFixture("keys/test-rsa2048.pkcs8.pem")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFixture("keys/test-rsa2048.pkcs1-public.pem")).toMatch(
      /^-----BEGIN RSA PUBLIC KEY-----\n/,
    );
    expect(createPrivateKey(pkcs1Pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pub = JSON.parse(readFixture("keys/test-rsa2048.public.jwk.json")) as Record<
      string,
      string
    >;
    expect(pub.kid).toBe(TEST_KID);
    expect(pub.d).toBeUndefined();
  });

  it("key B is a different RSA-2048 key", () => {
    const b = createPrivateKey(readFixture("keys/test-rsa2048-b.pkcs1.pem"));
    expect(b.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(b).export({ type: "spki", format: "der" }).equals(spkiDer)).toBe(false);
    expect(TEST_KID_B).not.toBe(TEST_KID);
  });

  it("bad keys are bad in the intended way", () => {
    const small = createPrivateKey(readFixture("keys/rsa1024.pkcs1.pem"));
    expect(small.asymmetricKeyType).toBe("rsa");
    expect(small.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(createPrivateKey(readFixture("keys/ec-p256.pkcs8.pem")).asymmetricKeyType).toBe("ec");
    expect(createPrivateKey(readFixture("keys/ed25519.pkcs8.pem")).asymmetricKeyType).toBe(
      "ed25519",
    );
    for (const name of ["damaged", "truncated"]) {
      const pem = readFixture(`keys/${name}.pkcs1.pem`);
      expect(pem).toMatch(
        /^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END RSA PRIVATE KEY-----\n$/,
      );
      expect(() => createPrivateKey(pem)).toThrow();
    }
    const enc = readFixture("keys/encrypted.pkcs8.pem");
    expect(enc).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(() => createPrivateKey(enc)).toThrow();
    const decrypted = createPrivateKey({ key: enc, passphrase: ENCRYPTED_KEY_PASSPHRASE });
    expect(createPublicKey(decrypted).export({ type: "spki", format: "der" }).equals(spkiDer)).toBe(
      true,
    );
  });
});
