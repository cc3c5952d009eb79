import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  baseEnv,
  errorOf,
  OTHER_VIDEO_ID,
  postJson,
  startService,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

const NOW_MS = 1_780_000_000_000;
const NOW = NOW_MS / 1000;

async function issue(env: Record<string, string>, body: Record<string, unknown>) {
  const service = await startService(env, { clock: () => NOW_MS });
  const response = await postJson(service.app, "/v1/tokens", body);
  return response;
}

async function claimsOf(response: Response) {
  expect(response.status).toBe(201);
  const body = (await response.json()) as { token: string; expiresAt: string };
  // jose checks exp against its own clock: pin it to the signing clock.
  const claims = await verifyWithPublicKey(body.token);
  expect(body.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
  return claims;
}

describe("policy", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW_MS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("uses the default TTL (1 h unless configured)", async () => {
    expect((await claimsOf(await issue(baseEnv(), { videoId: VIDEO_ID }))).exp).toBe(NOW + 3600);
    expect(
      (
        await claimsOf(
          await issue(baseEnv({ STREAMSIGN_DEFAULT_TTL: "15m" }), { videoId: VIDEO_ID }),
        )
      ).exp,
    ).toBe(NOW + 900);
  });

  it("caps expiresIn at STREAMSIGN_MAX_TTL, and accepts exactly the cap", async () => {
    const env = baseEnv({ STREAMSIGN_MAX_TTL: "2h" });
    expect((await claimsOf(await issue(env, { videoId: VIDEO_ID, expiresIn: "2h" }))).exp).toBe(
      NOW + 7200,
    );
    expect((await claimsOf(await issue(env, { videoId: VIDEO_ID, expiresIn: 600 }))).exp).toBe(
      NOW + 600,
    );
    const over = await issue(env, { videoId: VIDEO_ID, expiresIn: 7201 });
    expect(over.status).toBe(400);
    const error = await errorOf(over);
    expect(error.code).toBe("ERR_EXPIRY_TOO_LONG");
    expect(error.message).toContain("7200");
  });

  it("passes notBefore and downloadable through, with a download URL only when downloadable", async () => {
    const response = await issue(baseEnv(), {
      videoId: VIDEO_ID,
      notBefore: NOW - 60,
      downloadable: true,
    });
    const text = await response.clone().text();
    const claims = await claimsOf(response);
    expect(claims).toMatchObject({ sub: VIDEO_ID, nbf: NOW - 60, downloadable: true });
    const { urls, token } = JSON.parse(text) as { token: string; urls: Record<string, string> };
    const root = `https://customer-f33zs165nr7gyfy4.cloudflarestream.com/${token}`;
    expect(urls).toEqual({
      iframe: `${root}/iframe`,
      hls: `${root}/manifest/video.m3u8`,
      dash: `${root}/manifest/video.mpd`,
      thumbnail: `${root}/thumbnails/thumbnail.jpg`,
      download: `${root}/downloads/default.mp4`,
    });
    const plain = (await (await issue(baseEnv(), { videoId: VIDEO_ID })).json()) as {
      urls: Record<string, string>;
    };
    expect(plain.urls.download).toBeUndefined();
  });

  const policyRules = [{ type: "ip.geoip.country", action: "block", country: ["KP"] }];
  const callerRules = [
    { type: "ip.geoip.country", action: "allow", country: ["GB"] },
    { type: "any", action: "block" },
  ];

  it("prepends the policy's rules to the caller's", async () => {
    const env = baseEnv({ STREAMSIGN_ACCESS_RULES: JSON.stringify(policyRules) });
    expect(
      (await claimsOf(await issue(env, { videoId: VIDEO_ID, accessRules: callerRules })))
        .accessRules,
    ).toEqual([...policyRules, ...callerRules]);
    expect((await claimsOf(await issue(env, { videoId: VIDEO_ID }))).accessRules).toEqual(
      policyRules,
    );
  });

  it("enforces the policy's rules: 403 when a caller sends their own", async () => {
    const env = baseEnv({
      STREAMSIGN_ACCESS_RULES: JSON.stringify(policyRules),
      STREAMSIGN_ACCESS_RULES_MODE: "enforce",
    });
    expect((await claimsOf(await issue(env, { videoId: VIDEO_ID }))).accessRules).toEqual(
      policyRules,
    );
    const refused = await issue(env, { videoId: VIDEO_ID, accessRules: callerRules });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe("ERR_RULES_ENFORCED");
  });

  it("refuses more rules than Cloudflare takes once the policy's are added", async () => {
    const env = baseEnv({ STREAMSIGN_ACCESS_RULES: JSON.stringify(policyRules) });
    const five = Array.from({ length: 5 }, () => ({
      type: "ip.src",
      action: "block",
      ip: ["192.0.2.0/24"],
    }));
    const response = await issue(env, { videoId: VIDEO_ID, accessRules: five });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("ERR_RULES_TOO_MANY");
  });

  it("signs only allow-listed videos, whatever their case", async () => {
    const env = baseEnv({
      STREAMSIGN_VIDEO_ALLOWLIST: `${VIDEO_ID.toUpperCase()}, ffffffffffffffffffffffffffffffff`,
    });
    expect((await claimsOf(await issue(env, { videoId: VIDEO_ID }))).sub).toBe(VIDEO_ID);
    const refused = await issue(env, { videoId: OTHER_VIDEO_ID });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe("ERR_VIDEO_NOT_ALLOWED");
  });
});
