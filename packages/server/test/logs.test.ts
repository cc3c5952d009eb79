import { describe, expect, it } from "vitest";
import {
  API_KEY,
  baseEnv,
  KEY_PEM,
  postJson,
  startService,
  TEST_KID,
  VIDEO_ID,
} from "./support/service.js";

describe("request logs", () => {
  it("write one JSON line per request with method, path, status, ms, kid, sub, exp", async () => {
    const service = await startService(baseEnv());
    const response = await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID });
    const { token } = (await response.json()) as { token: string };
    await service.app.request("/healthz");
    expect(service.lines).toHaveLength(2);
    const [issued, health] = service.lines.map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(issued).toMatchObject({
      method: "POST",
      path: "/v1/tokens",
      status: 201,
      kid: TEST_KID,
      sub: VIDEO_ID,
    });
    const exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).exp;
    expect(issued!.exp).toBe(exp);
    expect(typeof issued!.ms).toBe("number");
    expect(health).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
  });

  it("never contain a token, the key, an API key, or the Authorization header", async () => {
    const service = await startService(baseEnv());
    const secrets: string[] = [API_KEY];
    const body = { videoId: VIDEO_ID, downloadable: true };
    for (const path of ["/v1/tokens", "/v1/tokens/batch"]) {
      const payload = path.endsWith("batch") ? { requests: [body, body] } : body;
      const text = await (await postJson(service.app, path, payload)).text();
      for (const match of text.matchAll(/"token":"([^"]+)"/g)) secrets.push(match[1]!);
    }
    // Failures too: a wrong key, and the failed attempt's key in a header.
    await postJson(service.app, "/v1/tokens", body, {
      authorization: "Bearer wrong-key-but-still-a-secret",
    });
    secrets.push("wrong-key-but-still-a-secret");
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const log = service.lines.join("\n");
    expect(service.lines).toHaveLength(3);
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      // Not even the signature or payload segment of a token.
      for (const segment of secret.split(".").slice(1)) expect(log).not.toContain(segment);
    }
    const keyBody = KEY_PEM.split("\n").filter((line) => line.length > 20);
    for (const line of keyBody) expect(log).not.toContain(line);
    expect(log.toLowerCase()).not.toContain("authorization");
    expect(log.toLowerCase()).not.toContain("bearer");
  });
});
