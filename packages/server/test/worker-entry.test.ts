import { describe, expect, it, vi } from "vitest";
import worker, { type RateLimitBinding, type WorkerEnv } from "../src/worker.js";
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

/** A fresh copy of worker.ts: the app is built once per module, with the first env's bindings. */
async function freshWorker(): Promise<typeof worker> {
  vi.resetModules();
  return (await import("../src/worker.js")).default;
}

/** A fake binding that says yes to the first `allowed` calls, then no. */
function countingBinding(allowed: number): RateLimitBinding & { calls: number } {
  const binding = {
    calls: 0,
    limit: async () => {
      binding.calls += 1;
      return { success: binding.calls <= allowed };
    },
  };
  return binding;
}

function workerEnv(overrides: Partial<WorkerEnv> = {}): WorkerEnv {
  return {
    STREAMSIGN_API_KEYS: API_KEY,
    STREAM_KEY: KEY_PEM,
    STREAM_KEY_ID: TEST_KID,
    STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
    ...overrides,
  };
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`https://streamsign.example${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${API_KEY}`,
      "content-type": "application/json",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const ctx = { waitUntil: () => {} };

describe("worker.ts rate limiting with the binding", () => {
  it("charges a batch of N as N binding calls: a binding that allows 1 refuses a 2-item batch", async () => {
    const fresh = await freshWorker();
    const binding = countingBinding(1);
    const batch = { requests: [{ videoId: VIDEO_ID }, { videoId: VIDEO_ID }] };
    const response = await fresh.fetch(
      post("/v1/tokens/batch", batch),
      workerEnv({ RATE_LIMITER: binding }),
      ctx,
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(binding.calls).toBe(2);
  });

  it("lets a batch through when the binding allows every item, and stops at the first refusal", async () => {
    const fresh = await freshWorker();
    const binding = countingBinding(3);
    const env = workerEnv({ RATE_LIMITER: binding });
    const three = { requests: Array.from({ length: 3 }, () => ({ videoId: VIDEO_ID })) };
    expect((await fresh.fetch(post("/v1/tokens/batch", three), env, ctx)).status).toBe(200);
    expect(binding.calls).toBe(3);
    const refused = await fresh.fetch(post("/v1/tokens/batch", three), env, ctx);
    expect(refused.status).toBe(429);
    expect(binding.calls).toBe(4);
  });

  it("charges an oversized batch at most 100 calls before refusing it", async () => {
    const fresh = await freshWorker();
    const binding = countingBinding(Number.POSITIVE_INFINITY);
    const huge = { requests: Array.from({ length: 5000 }, () => 0) };
    const response = await fresh.fetch(
      post("/v1/tokens/batch", huge),
      workerEnv({ RATE_LIMITER: binding }),
      ctx,
    );
    expect(response.status).toBe(400);
    expect(binding.calls).toBe(100);
  });

  it("keeps CF-Connecting-IP as the client even when STREAMSIGN_TRUST_PROXY is set", async () => {
    const fresh = await freshWorker();
    const response = await fresh.fetch(
      post(
        "/v1/tokens",
        { videoId: VIDEO_ID, bindViewerIp: true },
        { "cf-connecting-ip": "203.0.113.77", "x-forwarded-for": "192.0.2.1" },
      ),
      workerEnv({ STREAMSIGN_TRUST_PROXY: "1" }),
      ctx,
    );
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    expect((await verifyWithPublicKey(token)).accessRules).toEqual([
      { type: "ip.src", action: "allow", ip: ["203.0.113.0/24"] },
      { type: "any", action: "block" },
    ]);
  });
});
