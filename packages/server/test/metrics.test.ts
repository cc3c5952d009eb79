import { describe, expect, it } from "vitest";
import { baseEnv, postJson, startService, TEST_KID, VIDEO_ID } from "./support/service.js";

/** Reads one sample's value from Prometheus text; 0 when the series is absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(app: {
  request(path: string): Response | Promise<Response>;
}): Promise<string> {
  const response = await app.request("/metrics");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe("/metrics", () => {
  it("counts tokens issued, errors by code, and signing latency", async () => {
    const service = await startService(baseEnv());
    const before = await scrape(service.app);
    const issued = `streamsign_tokens_issued_total{kid="${TEST_KID}"}`;
    expect(sample(before, issued)).toBe(0);

    for (let i = 0; i < 3; i++)
      expect((await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID })).status).toBe(201);
    await postJson(service.app, "/v1/tokens", { videoId: "bad" });
    await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID }, { authorization: undefined });
    await postJson(service.app, "/v1/tokens/batch", {
      requests: [{ videoId: VIDEO_ID }, { videoId: "bad" }],
    });
    await service.app.request("/nowhere");

    const after = await scrape(service.app);
    expect(sample(after, issued)).toBe(4);
    expect(sample(after, 'streamsign_errors_total{code="ERR_VIDEO_ID"}')).toBe(2);
    expect(sample(after, 'streamsign_errors_total{code="ERR_UNAUTHORIZED"}')).toBe(1);
    expect(sample(after, 'streamsign_errors_total{code="ERR_NOT_FOUND"}')).toBe(1);
    expect(sample(after, "streamsign_sign_duration_seconds_count")).toBe(4);
    expect(sample(after, 'streamsign_sign_duration_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(after, "streamsign_sign_duration_seconds_sum")).toBeGreaterThan(0);
    expect(
      sample(
        after,
        'streamsign_http_requests_total{method="POST",route="/v1/tokens",status="201"}',
      ),
    ).toBe(3);
    expect(
      sample(
        after,
        'streamsign_http_requests_total{method="POST",route="/v1/tokens",status="401"}',
      ),
    ).toBe(1);
    expect(
      sample(
        after,
        'streamsign_http_requests_total{method="POST",route="/v1/tokens/batch",status="200"}',
      ),
    ).toBe(1);

    // Histogram buckets are cumulative: never decreasing, ending at the count.
    const buckets = after
      .split("\n")
      .filter((line) => line.startsWith("streamsign_sign_duration_seconds_bucket"))
      .map((line) => Number(line.split(" ")[1]));
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(4);
  });

  it("is well-formed Prometheus text: HELP and TYPE for each family, one sample per line", async () => {
    const service = await startService(baseEnv());
    await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID });
    const text = await scrape(service.app);
    for (const family of [
      "streamsign_tokens_issued_total",
      "streamsign_errors_total",
      "streamsign_sign_duration_seconds",
    ]) {
      expect(text).toContain(`# HELP ${family} `);
      expect(text).toMatch(new RegExp(`# TYPE ${family} (counter|histogram)\\n`));
    }
    for (const line of text.trimEnd().split("\n")) {
      if (!line.startsWith("#")) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
    }
  });
});
