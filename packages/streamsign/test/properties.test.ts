// Property tests (fast-check): sign → jose verifies and the claims round-trip; any changed
// character is rejected; base64url agrees with Node's Buffer.
import fc from "fast-check";
import { compactVerify, importSPKI } from "jose";
import { describe, expect, it } from "vitest";
import type { AccessRule, SignOptions } from "../src/index.js";
import { createSigner, createVerifier, decodeToken, StreamTokenError } from "../src/index.js";
import {
  decodeBase64Url,
  decodeBase64UrlText,
  encodeBase64Url,
  encodeBase64UrlText,
} from "../src/lib/base64url.js";
import { readFixture, TEST_KID, vectors } from "./fixtures.js";

const pkcs1Pem = readFixture("keys/test-rsa2048.pkcs1.pem");
const spkiPem = readFixture("keys/test-rsa2048.spki.pem");
const NOW = 1_800_000_000;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

const ipv4Cidr = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
    fc.option(fc.integer({ min: 0, max: 32 })),
  )
  .map(([octets, prefix]) => `${octets.join(".")}${prefix === null ? "" : `/${prefix}`}`);

const ipv6Cidr = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
    fc.option(fc.integer({ min: 0, max: 128 })),
  )
  .map(
    ([words, prefix]) =>
      `${words.map((w) => w.toString(16)).join(":")}${prefix === null ? "" : `/${prefix}`}`,
  );

/** A sample of assigned ISO 3166-1 alpha-2 codes. */
const country = fc.constantFrom(
  "US",
  "GB",
  "DE",
  "FR",
  "JP",
  "BR",
  "IN",
  "AU",
  "CA",
  "NL",
  "AQ",
  "ZA",
);
const action = fc.constantFrom("allow" as const, "block" as const);

const rule: fc.Arbitrary<AccessRule> = fc.oneof(
  action.map((a) => ({ type: "any" as const, action: a })),
  fc
    .tuple(action, fc.array(fc.oneof(ipv4Cidr, ipv6Cidr), { minLength: 1, maxLength: 4 }))
    .map(([a, ip]) => ({
      type: "ip.src" as const,
      action: a,
      ip,
    })),
  fc.tuple(action, fc.uniqueArray(country, { minLength: 1, maxLength: 4 })).map(([a, list]) => ({
    type: "ip.geoip.country" as const,
    action: a,
    country: list,
  })),
);

interface Request {
  videoId: string;
  expiresIn: number;
  nbfBack: number | null;
  downloadable: boolean | null;
  accessRules: AccessRule[] | null;
}

const request: fc.Arbitrary<Request> = fc.record({
  videoId: hex(32),
  expiresIn: fc.integer({ min: 1, max: 86_400 }),
  nbfBack: fc.option(fc.integer({ min: 0, max: 86_400 })),
  downloadable: fc.option(fc.boolean()),
  accessRules: fc.option(fc.array(rule, { maxLength: 5 })),
});

describe("property: signed tokens verify with jose and round-trip their claims", () => {
  it("for random valid claims", async () => {
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: () => NOW * 1000 });
    const joseKey = await importSPKI(spkiPem, "RS256");
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const options: SignOptions = { expiresIn: r.expiresIn };
        // Built by hand in Cloudflare's documented key order: sub, kid, exp, nbf, downloadable, accessRules.
        const expected: Record<string, unknown> = {
          sub: r.videoId,
          kid: TEST_KID,
          exp: NOW + r.expiresIn,
        };
        if (r.nbfBack !== null) {
          options.notBefore = NOW - r.nbfBack;
          expected.nbf = NOW - r.nbfBack;
        }
        if (r.downloadable !== null) {
          options.downloadable = r.downloadable;
          expected.downloadable = r.downloadable;
        }
        if (r.accessRules !== null) {
          options.accessRules = r.accessRules;
          expected.accessRules = r.accessRules;
        }
        const token = await signer.sign(r.videoId, options);
        const { payload, protectedHeader } = await compactVerify(token, joseKey, {
          algorithms: ["RS256"],
        });
        expect(protectedHeader).toEqual({ alg: "RS256", kid: TEST_KID });
        expect(new TextDecoder().decode(payload)).toBe(JSON.stringify(expected));
        expect(decodeToken(token).payload).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });
});

describe("property: changing any single character makes verification fail", () => {
  it("for every position of the known-answer tokens", async () => {
    const verifier = await createVerifier({ key: spkiPem });
    const tokens = vectors.map((v) => ({
      token: v.token,
      now: new Date(Math.max(v.input.nowSeconds, v.input.notBefore ?? 0) * 1000),
    }));
    // Sanity: the untouched tokens verify, so a rejection below is caused by the change.
    for (const { token, now } of tokens)
      await expect(verifier.verify(token, { now })).resolves.toBeDefined();

    const mutation = fc
      .tuple(
        fc.integer({ min: 0, max: tokens.length - 1 }),
        fc.nat(),
        fc.constantFrom(...BASE64URL, "."),
      )
      .map(([which, at, replacement]) => {
        const { token, now } = tokens[which]!;
        const position = at % token.length;
        return { token, now, position, replacement };
      })
      .filter(({ token, position, replacement }) => token[position] !== replacement);

    await fc.assert(
      fc.asyncProperty(mutation, async ({ token, now, position, replacement }) => {
        const changed = token.slice(0, position) + replacement + token.slice(position + 1);
        let outcome: unknown = "verified";
        try {
          await verifier.verify(changed, { now });
        } catch (error) {
          outcome = error;
        }
        expect(outcome).toBeInstanceOf(StreamTokenError);
        expect((outcome as StreamTokenError).message).not.toContain(changed);
      }),
      { numRuns: 200 },
    );
  });
});

describe("property: base64url agrees with Buffer", () => {
  it("encodes any bytes like Buffer.toString('base64url')", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
      }),
    );
  });

  it("decodes Buffer's encoding back to the same bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = decodeBase64Url(Buffer.from(bytes).toString("base64url"));
        expect(decoded).not.toBeNull();
        expect(Buffer.from(decoded!).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it("encodes any text's UTF-8 like Buffer and decodes it back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (text) => {
        const encoded = encodeBase64UrlText(text);
        expect(encoded).toBe(Buffer.from(text, "utf8").toString("base64url"));
        expect(decodeBase64UrlText(encoded)).toBe(text);
      }),
    );
  });

  it("accepts only canonical strings: whatever decodes re-encodes to itself", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...BASE64URL, "=", "+", "/", " "), maxLength: 40 }),
        (text) => {
          const decoded = decodeBase64Url(text);
          if (decoded !== null) expect(encodeBase64Url(decoded)).toBe(text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects every string of length 4n+1", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 40 }), (text) => {
        const body = text.slice(0, text.length - (text.length % 4));
        expect(decodeBase64Url(`${body}A`)).toBeNull();
      }),
    );
  });
});
