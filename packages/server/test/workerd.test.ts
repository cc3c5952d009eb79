import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundleWorker,
  type RunningWorkerd,
  startWorkerd,
} from "../../streamsign/test/support/workerd.js";
import {
  API_KEY,
  CUSTOMER_CODE,
  PUBLIC_PEM,
  readFixture,
  TEST_KID,
  VIDEO_ID,
  verifyWithJwks,
  verifyWithPublicKey,
} from "./support/service.js";

const WORKER_ENTRY = fileURLToPath(new URL("../src/worker.ts", import.meta.url));
// Cloudflare's `pem` field exactly as `POST /stream/keys` returns it (base64 of PKCS#1).
const cloudflareKey = JSON.parse(readFixture("test-rsa2048.cloudflare.json")) as {
  result: { pem: string; id: string };
};

describe("the Worker build inside real workerd", () => {
  let dir: string;
  let modulePath: string;
  const running: RunningWorkerd[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "streamsign-server-workerd-"));
    modulePath = join(dir, "worker.js");
    // Resolves `streamsign` the way wrangler does (workerd/worker/browser): its
    // WebCrypto backend from dist; the harness fails if node:crypto slipped in.
    await bundleWorker(WORKER_ENTRY, modulePath);
  });

  afterAll(async () => {
    try {
      await Promise.all(running.map((instance) => instance.stop()));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("signs a token that jose verifies with the fixture public key, with the right claims", async () => {
    const workerd = await startWorkerd({
      modulePath,
      textBindings: {
        STREAMSIGN_API_KEYS: API_KEY,
        STREAM_KEY: cloudflareKey.result.pem,
        STREAM_KEY_ID: cloudflareKey.result.id,
        STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
        STREAMSIGN_MAX_TTL: "2h",
      },
    });
    running.push(workerd);

    const startedAt = Math.floor(Date.now() / 1000);
    const response = await fetch(`${workerd.url}/v1/tokens`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${API_KEY}`,
        "content-type": "application/json",
        // What Cloudflare's edge sets; on Workers it is the client address.
        "cf-connecting-ip": "2001:db8:abcd:12:9f::1",
      },
      body: JSON.stringify({
        videoId: VIDEO_ID,
        expiresIn: "30m",
        bindViewerIp: true,
        downloadable: true,
      }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      token: string;
      expiresAt: string;
      urls: Record<string, string>;
    };
    const claims = await verifyWithPublicKey(body.token, PUBLIC_PEM);
    expect(claims).toMatchObject({ sub: VIDEO_ID, kid: TEST_KID, downloadable: true });
    expect(claims.exp).toBeGreaterThanOrEqual(startedAt + 1800);
    expect(claims.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1800);
    expect(claims.accessRules).toEqual([
      { type: "ip.src", action: "allow", ip: ["2001:db8:abcd:12::/64"] },
      { type: "any", action: "block" },
    ]);
    expect(body.urls.hls).toBe(
      `https://customer-${CUSTOMER_CODE}.cloudflarestream.com/${body.token}/manifest/video.m3u8`,
    );

    const jwks = (await (await fetch(`${workerd.url}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect((await verifyWithJwks(body.token, jwks)).kid).toBe(TEST_KID);

    const unauthorized = await fetch(`${workerd.url}/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ videoId: VIDEO_ID }),
    });
    expect(unauthorized.status).toBe(401);
    const tooLong = await fetch(`${workerd.url}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ videoId: VIDEO_ID, expiresIn: "3h" }),
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { code: string } }).error.code).toBe(
      "ERR_EXPIRY_TOO_LONG",
    );
  });

  it("answers 500 without details when the bindings are wrong", async () => {
    const workerd = await startWorkerd({
      modulePath,
      textBindings: {
        STREAMSIGN_API_KEYS: API_KEY,
        STREAM_KEY: "garbage",
        STREAM_KEY_ID: TEST_KID,
        STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
      },
    });
    running.push(workerd);
    const response = await fetch(`${workerd.url}/healthz`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "ERR_INTERNAL" } });
    expect(text).not.toContain("STREAM_KEY");
  });
});
