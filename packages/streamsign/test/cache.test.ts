// createTokenCache + createSigner({ cache, clock }). The clock is injected; every expected token
// is built here with node:crypto (RS256 PKCS#1 v1.5 is deterministic), so "the cached token is
// exactly what signing at that exp gives" is checked independently of streamsign's signer.
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SignOptions, TokenCacheOptions } from "../src/index.js";
import { createSigner, createTokenCache, decodeToken, StreamTokenError } from "../src/index.js";
import { readFixture, TEST_KID } from "./fixtures.js";

const pkcs1Pem = readFixture("keys/test-rsa2048.pkcs1.pem");
const privateKey = createPrivateKey(pkcs1Pem);
const VIDEO = "ea95132c15732412d22c1476fa83f27a";
const OTHER_VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";
/** A bucket-aligned instant (divisible by 60 and by 3600). */
const T0 = 1_800_000_000;

/** The token Cloudflare's algorithm gives for these claims, computed with node:crypto. */
function expectedToken(claims: Record<string, unknown>): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64url");
  const input = `${b64(JSON.stringify({ alg: "RS256", kid: TEST_KID }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${nodeSign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

/** A signer with a cache and a clock the test moves by hand (in seconds). */
async function setup(options: TokenCacheOptions = {}) {
  const cache = createTokenCache(options);
  const clock = { seconds: T0 };
  const signer = await createSigner({
    key: pkcs1Pem,
    keyId: TEST_KID,
    cache,
    clock: () => clock.seconds * 1000,
  });
  return { cache, clock, signer };
}

const expOf = (token: string) => decodeToken(token).payload.exp!;

describe("token cache: one bucket, one token", () => {
  it("identical requests in one bucket return the identical token and sign once", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 300 });
    clock.seconds = T0 + 5;
    const first = await signer.sign(VIDEO, { expiresIn: "1h" });
    clock.seconds = T0 + 59;
    const second = await signer.sign(VIDEO, { expiresIn: 3600 });
    expect(second).toBe(first);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, bypassed: 0, size: 1 });
    // exp aligned down to the bucket: floor((T0 + 5 + 3600) / 60) * 60
    expect(first).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 3600 }));
  });

  it("the next bucket gets a new token with a later exp", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 300 });
    clock.seconds = T0 + 59;
    const first = await signer.sign(VIDEO);
    clock.seconds = T0 + 60;
    const second = await signer.sign(VIDEO);
    expect(second).not.toBe(first);
    expect(expOf(first)).toBe(T0 + 3600);
    expect(expOf(second)).toBe(T0 + 3660);
    expect(second).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 3660 }));
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, size: 2 });
  });

  it("the default lifetime (1 h) is cached too, with the default 1-minute bucket", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0 + 30;
    const a = await signer.sign(VIDEO);
    clock.seconds = T0 + 45;
    expect(await signer.sign(VIDEO, {})).toBe(a);
    expect(expOf(a)).toBe(T0 + 3600);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it("signWithClaims reports the aligned exp that is really in the token", async () => {
    const { clock, signer } = await setup({ bucket: "5m" });
    clock.seconds = T0 + 299;
    const { token, claims, expiresAt } = await signer.signWithClaims(VIDEO, { expiresIn: "2h" });
    expect(claims.exp).toBe(T0 + 7200);
    expect(expOf(token)).toBe(claims.exp);
    expect(expiresAt.getTime()).toBe(claims.exp * 1000);
  });
});

describe("token cache: exp never exceeds what was asked", () => {
  it("over a whole bucket, exp is aligned, ≤ now + lifetime, and within one bucket of it", async () => {
    const { signer, clock } = await setup({ bucket: 60, minRemainingLife: 60 });
    for (let offset = 0; offset < 130; offset += 7) {
      clock.seconds = T0 + offset;
      const exp = expOf(await signer.sign(VIDEO, { expiresIn: 900 }));
      expect(exp % 60).toBe(0);
      expect(exp).toBeLessThanOrEqual(clock.seconds + 900);
      expect(exp).toBeGreaterThan(clock.seconds + 900 - 60);
    }
  });

  it("a 24 h request never goes past the 24 h cap", async () => {
    const { signer, clock } = await setup({ bucket: "1h" });
    for (const offset of [0, 1, 1799, 3599]) {
      clock.seconds = T0 + 7 + offset;
      const exp = expOf(await signer.sign(VIDEO, { expiresIn: "1d" }));
      expect(exp).toBeLessThanOrEqual(clock.seconds + 86_400);
      expect(exp % 3600).toBe(0);
    }
  });

  it("expiresAt is kept exactly (never aligned), and identical expiresAt requests share a token", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 300 });
    clock.seconds = T0 + 10;
    const expiresAt = T0 + 1234;
    const a = await signer.sign(VIDEO, { expiresAt });
    expect(a).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: expiresAt }));
    clock.seconds = T0 + 100;
    expect(await signer.sign(VIDEO, { expiresAt: new Date(expiresAt * 1000) })).toBe(a);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, size: 1 });
  });
});

describe("token cache: minRemainingLife", () => {
  it("a cached token is never handed out with less than minRemainingLife left", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 300 });
    let hits = 0;
    for (let second = 0; second <= 100; second++) {
      clock.seconds = T0 + second;
      const token = await signer.sign(VIDEO, { expiresAt: T0 + 400 });
      const nowHits = cache.stats().hits;
      if (nowHits > hits) expect(expOf(token) - clock.seconds).toBeGreaterThanOrEqual(300);
      hits = nowHits;
    }
    expect(hits).toBe(100); // seconds 1..100 reused the token signed at second 0
    clock.seconds = T0 + 101; // 299 s left: below minRemainingLife
    const before = cache.stats();
    await signer.sign(VIDEO, { expiresAt: T0 + 400 });
    const after = cache.stats();
    expect(after.hits).toBe(before.hits);
    expect(after.bypassed).toBe(before.bypassed + 1);
  });

  it("when alignment would leave less than minRemainingLife, the token is fresh and unaligned", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 300 });
    clock.seconds = T0; // aligned exp = T0 + 300: exactly minRemainingLife left → cached
    const cached = await signer.sign(VIDEO, { expiresIn: 330 });
    expect(expOf(cached)).toBe(T0 + 300);
    clock.seconds = T0 + 1; // aligned exp would be T0 + 300: 299 s left → bypass
    const fresh = await signer.sign(VIDEO, { expiresIn: 330 });
    expect(fresh).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 331 }));
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, bypassed: 1, size: 1 });
  });

  it("a lifetime shorter than minRemainingLife bypasses the cache entirely", async () => {
    const { cache, clock, signer } = await setup({ minRemainingLife: "5m" });
    clock.seconds = T0 + 17;
    const a = await signer.sign(VIDEO, { expiresIn: "1m" });
    expect(a).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 77 }));
    await signer.sign(VIDEO, { expiresIn: "1m" });
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, bypassed: 2, size: 0 });
  });

  it("a notBefore that alignment would push past exp bypasses instead of signing nbf ≥ exp", async () => {
    const { cache, clock, signer } = await setup({ bucket: 60, minRemainingLife: 60 });
    clock.seconds = T0 + 30; // exp = T0 + 430, aligned would be T0 + 420
    const token = await signer.sign(VIDEO, { expiresIn: 400, notBefore: T0 + 425 });
    expect(token).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 430, nbf: T0 + 425 }));
    expect(cache.stats()).toMatchObject({ bypassed: 1, size: 0 });
  });
});

describe("token cache: different claims never share a token", () => {
  it("videoId, downloadable, accessRules and notBefore each make a distinct entry", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0 + 1;
    const requests: Array<[string, SignOptions | undefined]> = [
      [VIDEO, undefined],
      [OTHER_VIDEO, undefined],
      [VIDEO.toUpperCase(), undefined],
      [VIDEO, { downloadable: true }],
      [VIDEO, { downloadable: false }],
      [VIDEO, { accessRules: [] }],
      [VIDEO, { accessRules: [{ type: "any", action: "block" }] }],
      [VIDEO, { accessRules: [{ type: "any", action: "allow" }] }],
      [VIDEO, { accessRules: [{ type: "ip.geoip.country", action: "allow", country: ["GB"] }] }],
      [VIDEO, { accessRules: [{ type: "ip.geoip.country", action: "allow", country: ["US"] }] }],
      [VIDEO, { notBefore: T0 }],
      [VIDEO, { notBefore: T0 - 60 }],
      [VIDEO, { expiresIn: "2h" }],
    ];
    const tokens = [];
    for (const [videoId, options] of requests) tokens.push(await signer.sign(videoId, options));
    expect(new Set(tokens).size).toBe(requests.length);
    expect(cache.stats()).toEqual({
      hits: 0,
      misses: requests.length,
      bypassed: 0,
      size: requests.length,
    });
    // Each token carries exactly its own claims.
    expect(decodeToken(tokens[3]!).payload.downloadable).toBe(true);
    expect(decodeToken(tokens[4]!).payload.downloadable).toBe(false);
    expect(decodeToken(tokens[6]!).payload.accessRules).toEqual([{ type: "any", action: "block" }]);
    expect(decodeToken(tokens[1]!).payload.sub).toBe(OTHER_VIDEO);
  });

  it("rules written with keys in another order are the same claims, so they share", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0;
    const a = await signer.sign(VIDEO, { accessRules: [{ type: "any", action: "block" }] });
    const b = await signer.sign(VIDEO, {
      accessRules: [{ action: "block", type: "any" } as { type: "any"; action: "block" }],
    });
    expect(b).toBe(a);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });
});

describe("token cache: bounds and concurrency", () => {
  it("evicts the least recently used entry beyond maxEntries", async () => {
    const { cache, clock, signer } = await setup({ maxEntries: 2 });
    clock.seconds = T0;
    const a = await signer.sign(VIDEO, { downloadable: true });
    await signer.sign(VIDEO, { downloadable: false });
    expect(await signer.sign(VIDEO, { downloadable: true })).toBe(a); // a is now most recent
    await signer.sign(OTHER_VIDEO); // evicts the downloadable:false entry
    expect(cache.stats()).toEqual({ hits: 1, misses: 3, bypassed: 0, size: 2 });
    expect(await signer.sign(VIDEO, { downloadable: true })).toBe(a);
    expect(cache.stats().hits).toBe(2);
    await signer.sign(VIDEO, { downloadable: false });
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 4, size: 2 });
  });

  it("size never exceeds maxEntries", async () => {
    const { cache, clock, signer } = await setup({ maxEntries: 5 });
    for (let i = 0; i < 20; i++) {
      clock.seconds = T0 + i * 60;
      await signer.sign(VIDEO);
      expect(cache.stats().size).toBeLessThanOrEqual(5);
    }
    expect(cache.stats().size).toBe(5);
  });

  it("concurrent identical misses share one signature", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0 + 3;
    const tokens = await Promise.all(Array.from({ length: 8 }, () => signer.sign(VIDEO)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(expectedToken({ sub: VIDEO, kid: TEST_KID, exp: T0 + 3600 }));
    expect(cache.stats()).toEqual({ hits: 7, misses: 1, bypassed: 0, size: 1 });
  });

  it("clear() drops every token; the next request signs again", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0;
    await signer.sign(VIDEO);
    cache.clear();
    expect(cache.stats().size).toBe(0);
    await signer.sign(VIDEO);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, size: 1 });
  });

  it("a rejected request is not cached and does not count", async () => {
    const { cache, clock, signer } = await setup();
    clock.seconds = T0;
    await expect(signer.sign(VIDEO, { expiresIn: "2d" })).rejects.toMatchObject({
      code: "ERR_EXPIRY_TOO_LONG",
    });
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, bypassed: 0, size: 0 });
  });
});

describe("token cache: options", () => {
  it.each([
    ["maxEntries 0", { maxEntries: 0 }],
    ["maxEntries -1", { maxEntries: -1 }],
    ["maxEntries 1.5", { maxEntries: 1.5 }],
    ["maxEntries as a string", { maxEntries: "10" }],
    ["maxEntries NaN", { maxEntries: Number.NaN }],
    ["bucket 0", { bucket: 0 }],
    ["bucket -60", { bucket: -60 }],
    ["bucket 'abc'", { bucket: "abc" }],
    ["bucket 0.5", { bucket: 0.5 }],
    ["minRemainingLife 'soon'", { minRemainingLife: "soon" }],
    ["minRemainingLife -1", { minRemainingLife: -1 }],
    ["minRemainingLife as an object", { minRemainingLife: {} }],
  ])("%s is ERR_OPTION_INVALID", (_, options) => {
    let caught: unknown;
    try {
      createTokenCache(options as TokenCacheOptions);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamTokenError);
    expect((caught as StreamTokenError).code).toBe("ERR_OPTION_INVALID");
  });

  it("createSigner refuses a cache that did not come from createTokenCache", async () => {
    await expect(
      createSigner({ key: pkcs1Pem, keyId: TEST_KID, cache: { stats: () => ({}) } as never }),
    ).rejects.toMatchObject({ name: "StreamTokenError", code: "ERR_OPTION_INVALID" });
  });

  it("duration strings work for bucket and minRemainingLife", async () => {
    const { clock, signer } = await setup({ bucket: "15m", minRemainingLife: "1m" });
    clock.seconds = T0 + 899;
    expect(expOf(await signer.sign(VIDEO, { expiresIn: "1h" }))).toBe(T0 + 3600);
  });
});
