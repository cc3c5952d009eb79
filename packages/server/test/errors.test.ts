import type { Signer } from "streamsign";
import { beforeAll, describe, expect, it } from "vitest";
import { INTERNAL_MESSAGE } from "../src/errors.js";
import {
  API_KEY,
  baseEnv,
  errorOf,
  KEY_PEM,
  postJson,
  startService,
  type TestService,
  VIDEO_ID,
} from "./support/service.js";

describe("error answers", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService(baseEnv({ STREAMSIGN_VIDEO_ALLOWLIST: VIDEO_ID }));
  });

  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    return error;
  };

  it.each([
    ["a malformed video id", { videoId: "not-a-uid" }, "ERR_VIDEO_ID"],
    ["a missing video id", {}, "ERR_VIDEO_ID"],
    ["an unknown field", { videoId: VIDEO_ID, access_rules: [] }, "ERR_OPTION_UNKNOWN"],
    ["expiresAt (not supported)", { videoId: VIDEO_ID, expiresAt: 1 }, "ERR_OPTION_UNKNOWN"],
    ["a bad duration", { videoId: VIDEO_ID, expiresIn: "soon" }, "ERR_EXPIRY_INVALID"],
    ["a lifetime over 24 h", { videoId: VIDEO_ID, expiresIn: "2d" }, "ERR_EXPIRY_TOO_LONG"],
    [
      "notBefore after expiry",
      { videoId: VIDEO_ID, notBefore: 4_000_000_000 },
      "ERR_NOT_BEFORE_INVALID",
    ],
    [
      "a non-boolean downloadable",
      { videoId: VIDEO_ID, downloadable: "yes" },
      "ERR_OPTION_INVALID",
    ],
    [
      "a bad rule",
      { videoId: VIDEO_ID, accessRules: [{ type: "ip.src", action: "allow", ip: ["nope"] }] },
      "ERR_RULE_IP",
    ],
    ["a non-boolean bindViewerIp", { videoId: VIDEO_ID, bindViewerIp: 1 }, "ERR_OPTION_INVALID"],
    ["an array body", [VIDEO_ID], "ERR_OPTION_INVALID"],
  ])("400 for %s", async (_name, body, code) => {
    await expectError(await postJson(service.app, "/v1/tokens", body), 400, code);
  });

  it("400 for a body that is not JSON, without echoing it", async () => {
    const error = await expectError(
      await postJson(service.app, "/v1/tokens", '{"videoId": SECRETISH'),
      400,
      "ERR_BODY_INVALID",
    );
    expect(error.message).not.toContain("SECRETISH");
    await expectError(await postJson(service.app, "/v1/tokens", ""), 400, "ERR_BODY_INVALID");
  });

  it("401 without credentials", async () => {
    await expectError(
      await postJson(
        service.app,
        "/v1/tokens",
        { videoId: VIDEO_ID },
        { authorization: undefined },
      ),
      401,
      "ERR_UNAUTHORIZED",
    );
  });

  it("403 for a video outside the allow-list", async () => {
    await expectError(
      await postJson(service.app, "/v1/tokens", { videoId: "ffffffffffffffffffffffffffffffff" }),
      403,
      "ERR_VIDEO_NOT_ALLOWED",
    );
  });

  it("404 for unknown paths and methods, as JSON", async () => {
    await expectError(await service.app.request("/v2/tokens"), 404, "ERR_NOT_FOUND");
    await expectError(await service.app.request("/v1/tokens"), 404, "ERR_NOT_FOUND");
  });

  it("413 for a body over 64 KB, by Content-Length or by streaming", async () => {
    const big = JSON.stringify({ videoId: VIDEO_ID, pad: "x".repeat(70_000) });
    await expectError(await postJson(service.app, "/v1/tokens", big), 413, "ERR_BODY_TOO_LARGE");
    // No Content-Length: the limit must hold while reading.
    const chunk = new TextEncoder().encode("x".repeat(16_384));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await service.app.request("/v1/tokens", {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectError(response, 413, "ERR_BODY_TOO_LARGE");
    expect(sent).toBeLessThan(8);
  });

  it("415 for a body that is not declared JSON", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      await expectError(
        await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID }, { "content-type": type }),
        415,
        "ERR_UNSUPPORTED_MEDIA_TYPE",
      );
    }
    const charset = await postJson(
      service.app,
      "/v1/tokens",
      { videoId: VIDEO_ID },
      { "content-type": "application/json; charset=utf-8" },
    );
    expect(charset.status).not.toBe(415);
  });

  it("429 with Retry-After once the key's bucket is empty", async () => {
    const limited = await startService(
      baseEnv({ STREAMSIGN_RATE_LIMIT: "1", STREAMSIGN_RATE_BURST: "2" }),
      {
        clock: () => 1_700_000_000_000,
      },
    );
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await postJson(limited.app, "/v1/tokens", { videoId: VIDEO_ID });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await expectError(last!, 429, "ERR_RATE_LIMITED");
  });

  it("500 for an unexpected failure, without its text", async () => {
    const real = service.keyring().active;
    const broken: Signer = {
      ...real,
      keyId: real.keyId,
      publicJwk: real.publicJwk,
      signWithClaims: () => Promise.reject(new Error(`backend exploded: ${KEY_PEM.slice(0, 60)}`)),
    };
    const failing = await startService(baseEnv(), {
      extra: { keys: () => ({ active: broken, signers: [real] }) },
    });
    const response = await postJson(failing.app, "/v1/tokens", { videoId: VIDEO_ID });
    const error = await expectError(response, 500, "ERR_INTERNAL");
    expect(error.message).toBe(INTERNAL_MESSAGE);
    const everything = JSON.stringify(error) + failing.lines.join("\n");
    expect(everything).not.toContain("exploded");
    expect(everything).not.toContain("BEGIN RSA");
    expect(failing.lines.some((line) => JSON.parse(line).event === "internal_error")).toBe(true);
  });
});
