import { describe, expect, it } from "vitest";
import {
  baseEnv,
  postJson,
  startService,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

async function tokenOf(
  service: Awaited<ReturnType<typeof startService>>,
  body: Record<string, unknown>,
) {
  const response = await postJson(service.app, "/v1/tokens", body);
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

describe("token cache (STREAMSIGN_TOKEN_CACHE)", () => {
  it("is off by default: a second later, the same request gets a new token", async () => {
    let now = Date.now();
    const service = await startService(baseEnv(), { clock: () => now });
    const first = await tokenOf(service, { videoId: VIDEO_ID });
    now += 1000;
    expect(await tokenOf(service, { videoId: VIDEO_ID })).not.toBe(first);
  });

  it("when on, serves identical requests in one time bucket the same valid token", async () => {
    let now = Math.floor(Date.now() / 60_000) * 60_000; // start of a minute bucket
    const service = await startService(baseEnv({ STREAMSIGN_TOKEN_CACHE: "1" }), {
      clock: () => now,
    });
    const first = await tokenOf(service, { videoId: VIDEO_ID });
    now += 1000;
    const second = await tokenOf(service, { videoId: VIDEO_ID });
    expect(second).toBe(first);
    expect((await verifyWithPublicKey(second)).sub).toBe(VIDEO_ID);
    // Both answers count as tokens issued, cached or not.
    expect(service.app.metrics.render()).toMatch(/streamsign_tokens_issued_total\{[^}]*\} 2/);
  });

  it("gives viewer-bound requests from different networks different tokens", async () => {
    const service = await startService(baseEnv({ STREAMSIGN_TOKEN_CACHE: "1" }), {
      clock: () => 1_800_000_000_000,
    });
    service.setSocketAddress("203.0.113.5");
    const a = await tokenOf(service, { videoId: VIDEO_ID, bindViewerIp: true });
    service.setSocketAddress("203.0.113.77"); // same /24: same claims, same token
    const sameNetwork = await tokenOf(service, { videoId: VIDEO_ID, bindViewerIp: true });
    service.setSocketAddress("198.51.100.5");
    const b = await tokenOf(service, { videoId: VIDEO_ID, bindViewerIp: true });
    expect(sameNetwork).toBe(a);
    expect(b).not.toBe(a);
  });
});
