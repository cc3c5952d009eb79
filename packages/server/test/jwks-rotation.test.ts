import { afterEach, describe, expect, it } from "vitest";
import { parseKeyring } from "../src/keyring.js";
import {
  baseEnv,
  KEY_B_PEM,
  KEY_PEM,
  PUBLIC_B_PEM,
  PUBLIC_PEM,
  postJson,
  readFixture,
  startService,
  TEST_KID,
  TEST_KID_B,
  VIDEO_ID,
  verifyWithJwks,
  verifyWithPublicKey,
} from "./support/service.js";

const ringA = JSON.stringify({ active: TEST_KID, keys: { [TEST_KID]: KEY_PEM } });
const ringAB = JSON.stringify({
  active: TEST_KID_B,
  keys: { [TEST_KID]: KEY_PEM, [TEST_KID_B]: KEY_B_PEM },
});

async function jwksOf(app: { request(path: string): Response | Promise<Response> }) {
  const response = await app.request("/.well-known/jwks.json");
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: Array<Record<string, string>> };
}

async function tokenFrom(app: Parameters<typeof postJson>[0]): Promise<string> {
  const response = await postJson(app, "/v1/tokens", { videoId: VIDEO_ID });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

describe("JWKS", () => {
  it("publishes the key so an independent verifier (jose) accepts the tokens", async () => {
    const service = await startService(baseEnv());
    const jwks = await jwksOf(service.app);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: "RSA",
      kid: TEST_KID,
      alg: "RS256",
      use: "sig",
      e: "AQAB",
    });
    expect(Object.keys(jwks.keys[0]!)).not.toContain("d");
    // The published n is the fixture public key's (computed by jose, not by us).
    const expected = JSON.parse(readFixture("keys/test-rsa2048.public.jwk.json")) as { n: string };
    expect(jwks.keys[0]!.n).toBe(expected.n);
    const claims = await verifyWithJwks(await tokenFrom(service.app), jwks);
    expect(claims).toMatchObject({ sub: VIDEO_ID, kid: TEST_KID });
  });

  it("publishes every key of a keyring, and the active one signs", async () => {
    const service = await startService(
      baseEnv({ STREAM_KEY: undefined, STREAM_KEY_ID: undefined, STREAMSIGN_KEYRING: ringAB }),
    );
    const jwks = await jwksOf(service.app);
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([TEST_KID, TEST_KID_B].sort());
    const token = await tokenFrom(service.app);
    expect((await verifyWithJwks(token, jwks)).kid).toBe(TEST_KID_B);
    await verifyWithPublicKey(token, PUBLIC_B_PEM);
    await expect(verifyWithPublicKey(token, PUBLIC_PEM)).rejects.toThrow();
  });

  it("does not verify a token under a JWKS that lacks its key", async () => {
    const service = await startService(baseEnv());
    const other = await startService(baseEnv({ STREAM_KEY: KEY_B_PEM, STREAM_KEY_ID: TEST_KID_B }));
    await expect(
      verifyWithJwks(await tokenFrom(service.app), await jwksOf(other.app)),
    ).rejects.toThrow();
  });
});

describe("key rotation (reload)", () => {
  const pending: Promise<unknown>[] = [];
  afterEach(async () => {
    await Promise.allSettled(pending.splice(0));
  });

  it("keeps every request succeeding while the keyring is swapped mid-flight", async () => {
    const service = await startService(
      baseEnv({ STREAM_KEY: undefined, STREAM_KEY_ID: undefined, STREAMSIGN_KEYRING: ringA }),
    );
    const nextRing = await parseKeyring(ringAB, "STREAMSIGN_KEYRING");
    const before = await tokenFrom(service.app);

    const waves = 6;
    const perWave = 20;
    const responses: Promise<Response>[] = [];
    for (let wave = 0; wave < waves; wave++) {
      for (let i = 0; i < perWave; i++) {
        const request = postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID });
        responses.push(request);
        pending.push(request);
      }
      // Swap halfway, while the first waves are still being signed.
      if (wave === waves / 2) service.setKeyring(nextRing);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const settled = await Promise.all(responses);
    expect(settled.filter((response) => response.status !== 201)).toHaveLength(0);
    const after = await tokenFrom(service.app);

    const jwks = await jwksOf(service.app);
    expect((await verifyWithJwks(before, jwks)).kid).toBe(TEST_KID);
    expect((await verifyWithJwks(after, jwks)).kid).toBe(TEST_KID_B);
    // Tokens from the whole run: every one verifies, and both keys signed some.
    const kids = new Set<string>();
    for (const response of settled) {
      const { token } = (await response.json()) as { token: string };
      kids.add((await verifyWithJwks(token, jwks)).kid as string);
    }
    expect([...kids].sort()).toEqual([TEST_KID, TEST_KID_B].sort());
  });
});
