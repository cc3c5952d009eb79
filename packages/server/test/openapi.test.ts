import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/openapi.js";
import { validate } from "./support/json-schema.js";
import {
  API_KEY,
  baseEnv,
  postJson,
  startService,
  type TestService,
  VIDEO_ID,
} from "./support/service.js";

type Doc = typeof openApiDocument;
const doc = openApiDocument as unknown as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
};
const root = openApiDocument as unknown as Record<string, unknown>;

interface Observed {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

describe("openapi.json tells the truth", () => {
  let service: TestService;
  let limited: TestService;
  let broken: TestService;
  const observed: Observed[] = [];

  const record = async (method: string, path: string, response: Response) => {
    observed.push({
      method: method.toLowerCase(),
      path,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: await response.text(),
    });
  };

  beforeAll(async () => {
    service = await startService(baseEnv({ STREAMSIGN_VIDEO_ALLOWLIST: VIDEO_ID }));
    limited = await startService(
      baseEnv({ STREAMSIGN_RATE_LIMIT: "1", STREAMSIGN_RATE_BURST: "1" }),
      { clock: () => 0 },
    );
    broken = await startService(baseEnv(), {
      extra: {
        keys: () => {
          throw new Error("no keyring");
        },
      },
    });
    const big = JSON.stringify({ videoId: VIDEO_ID, pad: "x".repeat(70_000) });
    for (const path of ["/v1/tokens", "/v1/tokens/batch"]) {
      const batch = path.endsWith("batch");
      const ok = batch
        ? {
            requests: [
              { videoId: VIDEO_ID },
              { videoId: "bad" },
              { videoId: VIDEO_ID, downloadable: true },
            ],
          }
        : { videoId: VIDEO_ID, downloadable: true };
      await record("post", path, await postJson(service.app, path, ok));
      await record(
        "post",
        path,
        await postJson(service.app, path, batch ? { requests: "x" } : { videoId: "bad" }),
      );
      await record(
        "post",
        path,
        await postJson(service.app, path, ok, { authorization: undefined }),
      );
      await record("post", path, await postJson(service.app, path, big));
      await record(
        "post",
        path,
        await postJson(service.app, path, ok, { "content-type": "text/plain" }),
      );
      await postJson(limited.app, path, { requests: [{ videoId: VIDEO_ID }], videoId: VIDEO_ID });
      await record("post", path, await postJson(limited.app, path, ok));
      await record("post", path, await postJson(broken.app, path, ok));
    }
    await record(
      "post",
      "/v1/tokens",
      await postJson(service.app, "/v1/tokens", { videoId: "ffffffffffffffffffffffffffffffff" }),
    );
    await record(
      "post",
      "/v1/tokens/batch",
      await postJson(service.app, "/v1/tokens/batch", {
        requests: Array(101).fill({ videoId: VIDEO_ID }),
      }),
    );
    for (const path of ["/.well-known/jwks.json", "/healthz", "/metrics", "/openapi.json"]) {
      await record("get", path, await service.app.request(path));
    }
  });

  afterAll(() => {
    observed.length = 0;
  });

  it("describes exactly the routes the app serves", () => {
    const served = service.app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} ${route.path}`);
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    // A route with middleware is listed once per handler: compare as sets.
    expect(new Set(served)).toEqual(new Set(described));
    expect(described).toHaveLength(6);
  });

  it("describes every status the app answered, and every described status was seen", () => {
    const seen = new Set(observed.map((o) => `${o.method} ${o.path} ${o.status}`));
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item).flatMap(([method, operation]) =>
          Object.keys(operation.responses).map((status) => `${method} ${path} ${status}`),
        ),
      ),
    );
    expect([...seen].filter((entry) => !described.has(entry))).toEqual([]);
    expect([...described].filter((entry) => !seen.has(entry))).toEqual([]);
  });

  it("matches every real response body against its documented schema", () => {
    expect(observed.length).toBeGreaterThan(15);
    for (const o of observed) {
      const response = doc.paths[o.path]![o.method]!.responses[String(o.status)]!;
      const [mediaType, media] = Object.entries(response.content ?? {})[0]!;
      expect(
        o.contentType.startsWith(mediaType),
        `${o.method} ${o.path} ${o.status} content type`,
      ).toBe(true);
      const body = mediaType === "application/json" ? JSON.parse(o.body) : o.body;
      expect(
        validate(body, media.schema as Record<string, unknown>, root),
        `${o.method} ${o.path} ${o.status}`,
      ).toEqual([]);
    }
  });

  it("has a 404 answer shaped like the documented Error", async () => {
    const response = await service.app.request("/nope", {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(response.status).toBe(404);
    expect(validate(await response.json(), { $ref: "#/components/schemas/Error" }, root)).toEqual(
      [],
    );
  });

  it("catches a response that drifts from the schema (the checker can fail)", () => {
    const schema = { $ref: "#/components/schemas/TokenResponse" };
    expect(
      validate(
        { token: "a.b.c", expiresAt: "x", urls: { iframe: "", hls: "", dash: "" } },
        schema,
        root,
      ),
    ).not.toEqual([]);
    expect(
      validate(
        { error: { code: "ERR_X", message: "m", extra: 1 } },
        { $ref: "#/components/schemas/Error" },
        root,
      ),
    ).not.toEqual([]);
    expect((openApiDocument satisfies Doc).openapi).toBe("3.1.0");
  });
});
