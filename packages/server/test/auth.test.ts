import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bytesEqualConstantTime,
  findDigestConstantTime,
  sha256,
} from "../src/lib/constant-time.js";
import {
  API_KEY,
  baseEnv,
  errorOf,
  OTHER_API_KEY,
  postJson,
  startService,
  type TestService,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

describe("API key auth", () => {
  let plain: TestService;
  let hashed: TestService;

  beforeAll(async () => {
    plain = await startService(baseEnv({ STREAMSIGN_API_KEYS: `${OTHER_API_KEY}, ${API_KEY}` }));
    // Hashed with node:crypto, independently of the service's WebCrypto hashing.
    hashed = await startService(
      baseEnv({ STREAMSIGN_API_KEYS: `sha256:${sha256Hex(API_KEY).toUpperCase()}` }),
    );
  });

  it("answers 401 with no Authorization header, and signs nothing", async () => {
    const response = await postJson(
      plain.app,
      "/v1/tokens",
      { videoId: VIDEO_ID },
      { authorization: undefined },
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await errorOf(response)).code).toBe("ERR_UNAUTHORIZED");
    expect(plain.app.metrics.render()).not.toMatch(/streamsign_tokens_issued_total\{/);
  });

  it.each([
    ["a wrong key", `Bearer ${API_KEY}x`],
    ["a prefix of the key", `Bearer ${API_KEY.slice(0, -1)}`],
    ["another scheme", `Basic ${API_KEY}`],
    ["the bare key", API_KEY],
    ["an empty bearer", "Bearer "],
    ["the sha256 digest itself", `Bearer sha256:${sha256Hex(API_KEY)}`],
  ])("answers 401 for %s", async (_name, authorization) => {
    for (const service of [plain, hashed]) {
      const response = await postJson(
        service.app,
        "/v1/tokens",
        { videoId: VIDEO_ID },
        { authorization },
      );
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe("ERR_UNAUTHORIZED");
    }
  });

  it("accepts every plain key of the list", async () => {
    for (const key of [API_KEY, OTHER_API_KEY]) {
      const response = await postJson(
        plain.app,
        "/v1/tokens",
        { videoId: VIDEO_ID },
        { authorization: `Bearer ${key}` },
      );
      expect(response.status).toBe(201);
      const { token } = (await response.json()) as { token: string };
      expect((await verifyWithPublicKey(token)).sub).toBe(VIDEO_ID);
    }
  });

  it("accepts the key whose sha256 is configured, with any case of the scheme", async () => {
    for (const scheme of ["Bearer", "bearer"]) {
      const response = await postJson(
        hashed.app,
        "/v1/tokens",
        { videoId: VIDEO_ID },
        { authorization: `${scheme} ${API_KEY}` },
      );
      expect(response.status).toBe(201);
    }
    const wrong = await postJson(
      hashed.app,
      "/v1/tokens",
      { videoId: VIDEO_ID },
      { authorization: `Bearer ${OTHER_API_KEY}` },
    );
    expect(wrong.status).toBe(401);
  });

  it("leaves JWKS, healthz, metrics and openapi public", async () => {
    for (const path of ["/.well-known/jwks.json", "/healthz", "/metrics", "/openapi.json"]) {
      expect((await plain.app.request(path)).status).toBe(200);
    }
  });

  it("is off only under insecureDev, which signs with a throw-away key", async () => {
    const dev = await startService(baseEnv({ STREAMSIGN_API_KEYS: undefined }), {
      insecureDev: true,
    });
    const response = await postJson(
      dev.app,
      "/v1/tokens",
      { videoId: VIDEO_ID },
      { authorization: undefined },
    );
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    // Not the configured fixture key: that one must not verify it.
    await expect(verifyWithPublicKey(token)).rejects.toThrow();
    await expect(startService(baseEnv({ STREAMSIGN_API_KEYS: undefined }))).rejects.toThrow(
      /STREAMSIGN_API_KEYS/,
    );
  });
});

describe("constant-time comparison", () => {
  it("hashes to 32 bytes and matches node:crypto's SHA-256", async () => {
    const digest = await sha256(API_KEY);
    expect(digest).toHaveLength(32);
    expect(Buffer.from(digest).toString("hex")).toBe(sha256Hex(API_KEY));
  });

  it("compares equal and unequal arrays, including different lengths", () => {
    const a = Uint8Array.from([1, 2, 3, 4]);
    expect(bytesEqualConstantTime(a, Uint8Array.from([1, 2, 3, 4]))).toBe(true);
    expect(bytesEqualConstantTime(a, Uint8Array.from([1, 2, 3, 5]))).toBe(false);
    expect(bytesEqualConstantTime(a, Uint8Array.from([0, 2, 3, 4]))).toBe(false);
    expect(bytesEqualConstantTime(a, Uint8Array.from([1, 2, 3]))).toBe(false);
    expect(bytesEqualConstantTime(Uint8Array.from([1, 2, 3]), a)).toBe(false);
    expect(bytesEqualConstantTime(new Uint8Array(), new Uint8Array())).toBe(true);
  });

  it("reads every byte of every digest, whatever matches first", async () => {
    const digests = [await sha256("one"), await sha256("two"), await sha256("three")];
    const reads: number[] = [];
    // Count indexed reads on the stored digests: an early exit would read fewer.
    const spied = digests.map(
      (digest, which) =>
        new Proxy(digest, {
          get(target, property) {
            if (typeof property === "string" && /^\d+$/.test(property))
              reads[which] = (reads[which] ?? 0) + 1;
            return Reflect.get(target, property);
          },
        }),
    );
    for (const [presented, expected] of [
      ["one", 0],
      ["three", 2],
      ["nope", -1],
    ] as const) {
      reads.length = 0;
      expect(findDigestConstantTime(await sha256(presented), spied)).toBe(expected);
      expect(reads).toEqual([32, 32, 32]);
    }
  });
});
