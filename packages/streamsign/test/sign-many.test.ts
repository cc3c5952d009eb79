// signer.signMany: order, all-or-nothing validation, and byte equality with single signing.
// With a fixed clock RS256 (PKCS#1 v1.5) is deterministic, so each batch token must equal both
// `sign` of the same request and a token computed here with node:crypto.
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SignRequest } from "../src/index.js";
import { createSigner, createTokenCache, decodeToken, StreamTokenError } from "../src/index.js";
import { readFixture, TEST_KID, vectors } from "./fixtures.js";

const pkcs1Pem = readFixture("keys/test-rsa2048.pkcs1.pem");
const privateKey = createPrivateKey(pkcs1Pem);
const NOW = 1_800_000_000;
const fixedClock = () => NOW * 1000;

function expectedToken(claims: Record<string, unknown>): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64url");
  const input = `${b64(JSON.stringify({ alg: "RS256", kid: TEST_KID }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${nodeSign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

/** A distinct, valid video uid per index. */
const videoId = (i: number) => i.toString(16).padStart(32, "0");

const mixed: SignRequest[] = [
  { videoId: videoId(1) },
  { videoId: videoId(2), options: { expiresIn: "15m" } },
  { videoId: videoId(3), options: { expiresAt: NOW + 100 } },
  { videoId: videoId(4), options: { downloadable: true, notBefore: NOW - 60 } },
  {
    videoId: videoId(5),
    options: {
      accessRules: [
        { type: "ip.geoip.country", action: "allow", country: ["GB"] },
        { type: "any", action: "block" },
      ],
    },
  },
  { videoId: videoId(6), options: { expiresIn: 86_400 } },
  { videoId: videoId(7), options: { accessRules: [] } },
  { videoId: videoId(1), options: { expiresIn: 60 } },
];

describe("signMany: results", () => {
  it("each token equals sign() of the same request, in input order", async () => {
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock });
    const batch = await signer.signMany(mixed);
    expect(batch).toHaveLength(mixed.length);
    for (const [i, request] of mixed.entries()) {
      expect(batch[i], `requests[${i}]`).toBe(await signer.sign(request.videoId, request.options));
    }
  });

  it("tokens match an independent node:crypto computation", async () => {
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock });
    const [first, second, , fourth] = await signer.signMany(mixed);
    expect(first).toBe(expectedToken({ sub: videoId(1), kid: TEST_KID, exp: NOW + 3600 }));
    expect(second).toBe(expectedToken({ sub: videoId(2), kid: TEST_KID, exp: NOW + 900 }));
    expect(fourth).toBe(
      expectedToken({
        sub: videoId(4),
        kid: TEST_KID,
        exp: NOW + 3600,
        nbf: NOW - 60,
        downloadable: true,
      }),
    );
  });

  it("reproduces every known-answer vector in one batch", async () => {
    // Vectors have different signing times; group by time so each batch has one clock.
    for (const v of vectors) {
      const signer = await createSigner({
        key: pkcs1Pem,
        keyId: TEST_KID,
        clock: () => v.input.nowSeconds * 1000,
      });
      const options: Record<string, unknown> = {};
      if (v.input.expiresIn !== undefined) options.expiresIn = v.input.expiresIn;
      else if (v.input.expiresAt !== undefined) options.expiresAt = v.input.expiresAt;
      if (v.input.notBefore !== undefined) options.notBefore = v.input.notBefore;
      if (v.input.downloadable !== undefined) options.downloadable = v.input.downloadable;
      if (v.input.accessRules !== undefined) options.accessRules = v.input.accessRules;
      const [token] = await signer.signMany([{ videoId: v.input.videoId, options }]);
      expect(token, v.name).toBe(v.token);
    }
  });

  it("keeps order for a batch larger than its concurrency", async () => {
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock });
    const requests = Array.from({ length: 100 }, (_, i) => ({ videoId: videoId(i + 1) }));
    const tokens = await signer.signMany(requests);
    expect(tokens).toHaveLength(100);
    for (const i of [0, 31, 32, 33, 63, 64, 99]) {
      expect(tokens[i]).toBe(
        expectedToken({ sub: videoId(i + 1), kid: TEST_KID, exp: NOW + 3600 }),
      );
    }
    expect(new Set(tokens).size).toBe(100);
  });

  it("an empty batch resolves to an empty array", async () => {
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock });
    await expect(signer.signMany([])).resolves.toEqual([]);
  });

  it("with a cache, duplicate requests in one batch share a token", async () => {
    const cache = createTokenCache();
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock, cache });
    const tokens = await signer.signMany([{ videoId: videoId(9) }, { videoId: videoId(9) }]);
    expect(tokens[0]).toBe(tokens[1]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, size: 1 });
  });
});

describe("signMany: one bad request rejects the whole batch and nothing is signed", () => {
  async function rejectsBatch(requests: unknown, code: string, index?: number) {
    const cache = createTokenCache();
    const signer = await createSigner({ key: pkcs1Pem, keyId: TEST_KID, clock: fixedClock, cache });
    let caught: unknown;
    let result: unknown;
    try {
      result = await signer.signMany(requests as SignRequest[]);
    } catch (error) {
      caught = error;
    }
    expect(result, "no tokens may be returned").toBeUndefined();
    expect(caught).toBeInstanceOf(StreamTokenError);
    const error = caught as StreamTokenError;
    expect(error.code).toBe(code);
    if (index !== undefined) expect(error.message).toMatch(new RegExp(`^requests\\[${index}\\]: `));
    // Nothing reached the signer: a signature would have gone through the cache.
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, bypassed: 0, size: 0 });
    return error;
  }

  it.each([
    [0, "a bad video id", { videoId: "nope" }, "ERR_VIDEO_ID"],
    [
      3,
      "an expiry over 24 h",
      { videoId: videoId(1), options: { expiresIn: "2d" } },
      "ERR_EXPIRY_TOO_LONG",
    ],
    [
      7,
      "an unknown option",
      { videoId: videoId(1), options: { access_rules: [] } },
      "ERR_OPTION_UNKNOWN",
    ],
    [
      5,
      "a bad country",
      {
        videoId: videoId(1),
        options: { accessRules: [{ type: "ip.geoip.country", action: "allow", country: ["UK"] }] },
      },
      "ERR_RULE_COUNTRY",
    ],
    [2, "null", null, "ERR_OPTION_INVALID"],
    [4, "a string", videoId(1), "ERR_OPTION_INVALID"],
  ])("requests[%i] with %s", async (index, _, bad, code) => {
    const requests: unknown[] = mixed.slice();
    requests.splice(index, 1, bad);
    const error = await rejectsBatch(requests, code, index);
    expect(error.cause).toBeInstanceOf(StreamTokenError);
  });

  it("the last request being bad still signs none of the others", async () => {
    await rejectsBatch([...mixed, { videoId: "x" }], "ERR_VIDEO_ID", mixed.length);
  });

  it("a non-array is ERR_OPTION_INVALID", async () => {
    await rejectsBatch({ videoId: videoId(1) }, "ERR_OPTION_INVALID");
    await rejectsBatch(undefined, "ERR_OPTION_INVALID");
  });

  // BUG (reported): Array#forEach skips holes during validation, then the signing loop reads
  // `requests[i].videoId` of the hole and throws a plain TypeError (src/sign.ts, signMany).
  it("a sparse array's hole is named like any other bad request", async () => {
    const sparse: SignRequest[] = [{ videoId: videoId(1) }];
    sparse[2] = { videoId: videoId(2) };
    await rejectsBatch(sparse, "ERR_OPTION_INVALID", 1);
  });

  // Validation and signing use one instant: a request valid when the batch was checked is
  // signed with exactly the claims that were checked, even if the clock moves meanwhile.
  it("signs the claims validated at one instant, whatever the clock does meanwhile", async () => {
    let ms = NOW * 1000;
    const signer = await createSigner({
      key: pkcs1Pem,
      keyId: TEST_KID,
      clock: () => (ms += 1000),
    });
    // validated at NOW+1, where exp NOW+3 is in the future; a second read would be NOW+2.
    const requests = [
      { videoId: videoId(1) },
      { videoId: videoId(2), options: { expiresAt: NOW + 3 } },
    ];
    const tokens = await signer.signMany(requests);
    expect(tokens.map((token) => decodeToken(token).payload.exp)).toEqual([
      NOW + 1 + 3600,
      NOW + 3,
    ]);
    expect(ms).toBe((NOW + 1) * 1000);
  });
});
