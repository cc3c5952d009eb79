import { describe, expect, it } from "vitest";
import { loadService, settingsFromEnv } from "../src/config.js";
import { ConfigError } from "../src/config-error.js";
import { keyringFromEnv, parseKeyring } from "../src/keyring.js";
import { createTokenBucketLimiter } from "../src/rate-limit.js";
import {
  baseEnv,
  KEY_B_PEM,
  KEY_PEM,
  readFixture,
  TEST_KID,
  TEST_KID_B,
} from "./support/service.js";

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("configuration from the environment", () => {
  it.each([
    [{ STREAMSIGN_API_KEYS: undefined }, "STREAMSIGN_API_KEYS"],
    [{ STREAMSIGN_API_KEYS: "short" }, "STREAMSIGN_API_KEYS"],
    [{ STREAMSIGN_API_KEYS: "sha256:abcd" }, "STREAMSIGN_API_KEYS"],
    [{ STREAMSIGN_API_KEYS: "a-long-enough-api-key-1,,x" }, "STREAMSIGN_API_KEYS"],
    [{ STREAMSIGN_MAX_TTL: "2d" }, "STREAMSIGN_MAX_TTL"],
    [{ STREAMSIGN_MAX_TTL: "forever" }, "STREAMSIGN_MAX_TTL"],
    [{ STREAMSIGN_MAX_TTL: "1h", STREAMSIGN_DEFAULT_TTL: "2h" }, "STREAMSIGN_DEFAULT_TTL"],
    [{ STREAMSIGN_ACCESS_RULES: "[{" }, "STREAMSIGN_ACCESS_RULES"],
    [
      { STREAMSIGN_ACCESS_RULES: '[{"type":"ip.src","action":"allow","ip":["x"]}]' },
      "STREAMSIGN_ACCESS_RULES",
    ],
    [{ STREAMSIGN_ACCESS_RULES_MODE: "merge" }, "STREAMSIGN_ACCESS_RULES_MODE"],
    [{ STREAMSIGN_ACCESS_RULES_MODE: "enforce" }, "STREAMSIGN_ACCESS_RULES"],
    [
      {
        STREAMSIGN_BIND_VIEWER_IP: "1",
        STREAMSIGN_ACCESS_RULES: '[{"type":"ip.geoip.country","action":"allow","country":["GB"]}]',
      },
      "STREAMSIGN_ACCESS_RULES",
    ],
    [{ STREAMSIGN_BIND_VIEWER_IP: "maybe" }, "STREAMSIGN_BIND_VIEWER_IP"],
    [{ STREAMSIGN_IPV4_PREFIX: "33" }, "STREAMSIGN_IPV4_PREFIX"],
    [{ STREAMSIGN_IPV6_PREFIX: "0" }, "STREAMSIGN_IPV6_PREFIX"],
    [{ STREAMSIGN_VIDEO_ALLOWLIST: "abc" }, "STREAMSIGN_VIDEO_ALLOWLIST"],
    [{ STREAMSIGN_TRUST_PROXY: "sometimes" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAMSIGN_TRUST_PROXY: "11" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAMSIGN_TRUST_PROXY: "00" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAMSIGN_TRUST_PROXY: "-1" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAMSIGN_TRUST_PROXY: "cloudflare,1" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAMSIGN_TRUST_PROXY: "x-forwarded-for" }, "STREAMSIGN_TRUST_PROXY"],
    [{ STREAM_CUSTOMER_CODE: undefined }, "STREAM_CUSTOMER_CODE"],
    [{ STREAM_CUSTOMER_CODE: "https://customer-abc.cloudflarestream.com" }, "STREAM_CUSTOMER_CODE"],
    [{ STREAMSIGN_RATE_LIMIT: "fast" }, "STREAMSIGN_RATE_LIMIT"],
    [{ STREAMSIGN_TOKEN_CACHE: "lots" }, "STREAMSIGN_TOKEN_CACHE"],
  ])("%j fails naming %s", async (overrides, variable) => {
    const error = await configError(settingsFromEnv(baseEnv(overrides)));
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it("reads the documented defaults", async () => {
    const { config, rateLimit, tokenCacheEntries } = await settingsFromEnv(
      baseEnv({ STREAMSIGN_RATE_LIMIT: undefined }),
    );
    expect(config.policy).toMatchObject({
      maxTtlSeconds: 86_400,
      defaultTtlSeconds: 3600,
      accessRules: [],
      accessRulesMode: "prepend",
      videoAllowList: undefined,
      bindViewerIp: false,
      ipv4Prefix: 24,
      ipv6Prefix: 64,
    });
    expect(config.trustProxy).toEqual({ mode: "off" });
    expect(config.bodyLimitBytes).toBe(65_536);
    expect(config.urlBase).toEqual({ customerCode: "f33zs165nr7gyfy4" });
    expect(rateLimit).toEqual({ ratePerSecond: 100, burst: 200 });
    expect(tokenCacheEntries).toBeUndefined();
    expect(
      (await settingsFromEnv(baseEnv({ STREAMSIGN_TOKEN_CACHE: "1" }))).tokenCacheEntries,
    ).toBe(10_000);
    expect(
      (await settingsFromEnv(baseEnv({ STREAMSIGN_TOKEN_CACHE: "500" }))).tokenCacheEntries,
    ).toBe(500);
  });
});

describe("STREAMSIGN_TRUST_PROXY", () => {
  it.each([
    ["false", { mode: "off" }],
    ["0", { mode: "off" }],
    ["cloudflare", { mode: "cloudflare" }],
    ["Cloudflare", { mode: "cloudflare" }],
    ["true", { mode: "x-forwarded-for", hops: 1 }],
    ["1", { mode: "x-forwarded-for", hops: 1 }],
    ["3", { mode: "x-forwarded-for", hops: 3 }],
    ["10", { mode: "x-forwarded-for", hops: 10 }],
  ])("%s reads as %j", async (value, expected) => {
    const { config } = await settingsFromEnv(baseEnv({ STREAMSIGN_TRUST_PROXY: value }));
    expect(config.trustProxy).toEqual(expected);
  });

  it("names every accepted value in its error", async () => {
    const error = await configError(
      settingsFromEnv(baseEnv({ STREAMSIGN_TRUST_PROXY: "sometimes" })),
    );
    expect(error.message).toMatch(/false/);
    expect(error.message).toMatch(/"cloudflare"/);
    expect(error.message).toMatch(/true or a number N from 1 to 10/);
  });
});

describe("key configuration", () => {
  it.each([
    [{ STREAM_KEY: undefined, STREAM_KEY_ID: undefined }, "STREAM_KEY"],
    [{ STREAM_KEY: "not a key" }, "STREAM_KEY"],
    [{ STREAM_KEY: readFixture("keys/rsa1024.pkcs1.pem") }, "STREAM_KEY"],
    [{ STREAM_KEY: readFixture("keys/test-rsa2048.spki.pem") }, "STREAM_KEY"],
    [{ STREAM_KEY_ID: undefined }, "STREAM_KEY_ID"],
    [{ STREAM_KEY_ID: "not-hex" }, "STREAM_KEY_ID"],
    [{ STREAM_KEY: undefined, STREAMSIGN_KEYRING: "{}" }, "STREAMSIGN_KEYRING"],
    [{ STREAM_KEY: undefined, STREAMSIGN_KEYRING: "{not json" }, "STREAMSIGN_KEYRING"],
    [
      { STREAM_KEY: undefined, STREAMSIGN_KEYRING_FILE: "/definitely/not/here.json" },
      "STREAMSIGN_KEYRING_FILE",
    ],
  ])("%# fails naming %s, without key material in the message", async (overrides, variable) => {
    const error = await configError(
      loadService(baseEnv(overrides), {
        readFile: (path) => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")),
      }),
    );
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).not.toMatch(/MII[A-Za-z0-9+/]{20}/);
  });

  it("reads a keyring with Cloudflare's base64 pem field, a PEM and a JWK object", async () => {
    const cloudflare = JSON.parse(readFixture("test-rsa2048.cloudflare.json")) as {
      result: { pem: string };
    };
    const jwk = JSON.parse(readFixture("keys/test-rsa2048.jwk.json")) as Record<string, unknown>;
    for (const key of [cloudflare.result.pem, KEY_PEM, jwk]) {
      const ring = await parseKeyring(
        JSON.stringify({ active: TEST_KID_B, keys: { [TEST_KID]: key, [TEST_KID_B]: KEY_B_PEM } }),
        "STREAMSIGN_KEYRING",
      );
      expect(ring.active.keyId).toBe(TEST_KID_B);
      expect(ring.signers.map((signer) => signer.keyId)).toEqual([TEST_KID, TEST_KID_B]);
    }
  });

  it.each([
    ['{"active":"x","keys":[]}', /keys must be an object/],
    [`{"active":"${TEST_KID_B}","keys":{"${TEST_KID}":"k"}}`, /active must be one of/],
    [`{"active":"${TEST_KID}","keys":{"${TEST_KID}":"garbage"}}`, /keys\["8f92/],
    [`{"active":"${TEST_KID}","keys":{"${TEST_KID}":"k"},"extra":1}`, /unknown field "extra"/],
  ])("rejects a bad keyring %s", async (text, message) => {
    const error = await configError(parseKeyring(text, "STREAMSIGN_KEYRING"));
    expect(error.message).toMatch(message);
  });

  it("refuses two key sources at once", async () => {
    const error = await configError(keyringFromEnv(baseEnv({ STREAMSIGN_KEYRING: "{}" })));
    expect(error.message).toMatch(/both set/);
  });
});

describe("token bucket", () => {
  it("allows the burst, then refills at the rate, per key", () => {
    let now = 0;
    const limiter = createTokenBucketLimiter({ ratePerSecond: 2, burst: 3, clock: () => now });
    const take = (key = "a", cost = 1) => limiter.take(key, cost);
    expect([take(), take(), take()].every((d) => d.allowed)).toBe(true);
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(take("b").allowed).toBe(true);
    now = 500; // half a second: one token back
    expect(take().allowed).toBe(true);
    expect(take().allowed).toBe(false);
    now = 10_000; // long idle: capped at the burst
    expect([take(), take(), take(), take()].map((d) => d.allowed)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // A cost larger than the bucket passes only when the bucket is full, and is
    // charged in full: the key then waits for all of it to be paid back.
    now = 20_000;
    expect(take("c", 50).allowed).toBe(true);
    expect(take("c", 50)).toEqual({ allowed: false, retryAfterSeconds: 25 });
    expect(take("c", 1)).toEqual({ allowed: false, retryAfterSeconds: 24 });
  });

  it("charges a batch larger than the burst its whole cost", () => {
    let now = 1_700_000_000_000;
    const limiter = createTokenBucketLimiter({ ratePerSecond: 1, burst: 1, clock: () => now });
    expect(limiter.take("k", 100)).toEqual({ allowed: true });
    // 100 tokens at 1/s: the next one is 100 s away, not 1 s.
    expect(limiter.take("k", 1)).toEqual({ allowed: false, retryAfterSeconds: 100 });
    now += 50_000;
    expect(limiter.take("k", 1)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    now += 50_000;
    expect(limiter.take("k", 1)).toEqual({ allowed: true });
    expect(limiter.take("k", 1).allowed).toBe(false);
  });

  it("lets a batch larger than the burst through only when the bucket is full", () => {
    let now = 0;
    const limiter = createTokenBucketLimiter({ ratePerSecond: 2, burst: 4, clock: () => now });
    expect(limiter.take("k", 1).allowed).toBe(true);
    // Level 3 of 4: a 10-token batch waits for a full bucket (0.5 s, so Retry-After 1).
    expect(limiter.take("k", 10)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = 500;
    expect(limiter.take("k", 10)).toEqual({ allowed: true });
    // Level 4 - 10 = -6: one more token needs 7 at 2/s.
    expect(limiter.take("k", 1)).toEqual({ allowed: false, retryAfterSeconds: 4 });
  });
});
