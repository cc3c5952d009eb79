import { describe, expect, it } from "vitest";
import worker, { type WorkerEnv } from "../src/worker.js";
import {
  API_KEY,
  CUSTOMER_CODE,
  KEY_PEM,
  TEST_KID,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

// The Workers entry run in Node with a fake Rate Limiting binding: checks the wiring
// the workerd test cannot (workerd has no ratelimit binding of its own).
describe("worker.ts wiring", () => {
  it("uses the RATE_LIMITER binding per API key and CF-Connecting-IP as the client", async () => {
    const calls: Array<{ key: string }> = [];
    let allow = true;
    const env: WorkerEnv = {
      STREAMSIGN_API_KEYS: API_KEY,
      STREAM_KEY: KEY_PEM,
      STREAM_KEY_ID: TEST_KID,
      STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
      RATE_LIMITER: {
        limit: async (options) => {
          calls.push(options);
          return { success: allow };
        },
      },
    };
    const request = () =>
      new Request("https://streamsign.example/v1/tokens", {
        method: "POST",
        headers: {
          authorization: `Bearer ${API_KEY}`,
          "content-type": "application/json",
          "cf-connecting-ip": "203.0.113.77",
          "x-forwarded-for": "192.0.2.1",
        },
        body: JSON.stringify({ videoId: VIDEO_ID, bindViewerIp: true }),
      });
    const ctx = { waitUntil: () => {} };

    const ok = await worker.fetch(request(), env, ctx);
    expect(ok.status).toBe(201);
    const { token } = (await ok.json()) as { token: string };
    expect((await verifyWithPublicKey(token)).accessRules).toEqual([
      { type: "ip.src", action: "allow", ip: ["203.0.113.0/24"] },
      { type: "any", action: "block" },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.key).toMatch(/^[0-9a-f]{12}$/);
    expect(calls[0]!.key).not.toContain(API_KEY.slice(0, 6));

    allow = false;
    const limited = await worker.fetch(request(), env, ctx);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(calls).toHaveLength(2);
  });
});
