import { beforeAll, describe, expect, it } from "vitest";
import {
  baseEnv,
  errorOf,
  postJson,
  startService,
  type TestService,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

type Result =
  | { token: string; expiresAt: string; urls: Record<string, string> }
  | { error: { code: string; message: string } };

const videoIds = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(2, "0").repeat(16));

describe("POST /v1/tokens/batch", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService(baseEnv());
  });

  it("answers in request order, each token verifying for its own video and lifetime", async () => {
    const nowMs = Date.now();
    const pinned = await startService(baseEnv(), { clock: () => nowMs });
    const requests = videoIds.map((videoId, i) => ({ videoId, expiresIn: 60 * (i + 1) }));
    const response = await postJson(pinned.app, "/v1/tokens/batch", { requests });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: Result[] };
    expect(results).toHaveLength(videoIds.length);
    for (const [i, result] of results.entries()) {
      if (!("token" in result)) throw new Error(`item ${i} failed: ${result.error.code}`);
      const claims = await verifyWithPublicKey(result.token);
      expect(claims.sub).toBe(videoIds[i]);
      expect(claims.exp).toBe(Math.floor(nowMs / 1000) + requests[i]!.expiresIn);
    }
  });

  it("reports per-item errors without sinking the other items", async () => {
    const response = await postJson(service.app, "/v1/tokens/batch", {
      requests: [
        { videoId: VIDEO_ID },
        { videoId: "nope" },
        { videoId: VIDEO_ID, expiresIn: "3d" },
        "not an object",
        { videoId: videoIds[3], downloadable: true },
      ],
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: Result[] };
    expect(results.map((result) => ("error" in result ? result.error.code : "ok"))).toEqual([
      "ok",
      "ERR_VIDEO_ID",
      "ERR_EXPIRY_TOO_LONG",
      "ERR_OPTION_INVALID",
      "ok",
    ]);
    const last = results[4] as { token: string; urls: Record<string, string> };
    expect((await verifyWithPublicKey(last.token)).downloadable).toBe(true);
    expect(last.urls.download).toMatch(/\/downloads\/default\.mp4$/);
  });

  it("takes 100 requests and refuses 101 with 400 ERR_BATCH_TOO_LARGE", async () => {
    const hundred = Array.from({ length: 100 }, () => ({ videoId: VIDEO_ID }));
    const ok = await postJson(service.app, "/v1/tokens/batch", { requests: hundred });
    expect(ok.status).toBe(200);
    expect(
      ((await ok.json()) as { results: Result[] }).results.filter((r) => "token" in r),
    ).toHaveLength(100);
    const tooMany = await postJson(service.app, "/v1/tokens/batch", {
      requests: [...hundred, { videoId: VIDEO_ID }],
    });
    expect(tooMany.status).toBe(400);
    expect((await errorOf(tooMany)).code).toBe("ERR_BATCH_TOO_LARGE");
  });

  it("refuses a body that is not { requests: [...] }", async () => {
    for (const body of [[{ videoId: VIDEO_ID }], { requests: "x" }, { requests: [], extra: 1 }]) {
      const response = await postJson(service.app, "/v1/tokens/batch", body);
      expect(response.status).toBe(400);
    }
    const empty = await postJson(service.app, "/v1/tokens/batch", { requests: [] });
    expect(await empty.json()).toEqual({ results: [] });
  });

  it("charges the rate limit per token asked for", async () => {
    const limited = await startService(
      baseEnv({ STREAMSIGN_RATE_LIMIT: "1", STREAMSIGN_RATE_BURST: "10" }),
      {
        clock: () => 1_700_000_000_000,
      },
    );
    const eight = Array.from({ length: 8 }, () => ({ videoId: VIDEO_ID }));
    expect((await postJson(limited.app, "/v1/tokens/batch", { requests: eight })).status).toBe(200);
    const second = await postJson(limited.app, "/v1/tokens/batch", { requests: eight });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("6");
    expect((await postJson(limited.app, "/v1/tokens", { videoId: VIDEO_ID })).status).toBe(201);
  });
});
