import { describe, expect, it } from "vitest";
import {
  baseEnv,
  errorOf,
  postJson,
  startService,
  VIDEO_ID,
  verifyWithPublicKey,
} from "./support/service.js";

async function boundRules(
  env: Record<string, string>,
  socket: string | undefined,
  headers: Record<string, string> = {},
  body: Record<string, unknown> = { videoId: VIDEO_ID, bindViewerIp: true },
) {
  const service = await startService(env);
  service.setSocketAddress(socket);
  const response = await postJson(service.app, "/v1/tokens", body, headers);
  expect(response.status).toBe(201);
  const { token } = (await response.json()) as { token: string };
  return (await verifyWithPublicKey(token)).accessRules;
}

const bound = (network: string) => [
  { type: "ip.src", action: "allow", ip: [network] },
  { type: "any", action: "block" },
];

describe("viewer-IP binding", () => {
  it.each([
    ["IPv4", "203.0.113.77", "203.0.113.0/24"],
    ["IPv4-mapped IPv6 (dual-stack socket)", "::ffff:203.0.113.77", "203.0.113.0/24"],
    ["IPv6", "2001:db8:abcd:12:9f::1", "2001:db8:abcd:12::/64"],
  ])(
    "binds to the socket's network for %s, with the default prefixes",
    async (_name, socket, network) => {
      expect(await boundRules(baseEnv(), socket)).toEqual(bound(network));
    },
  );

  it.each([
    ["203.0.113.77", { STREAMSIGN_IPV4_PREFIX: "16" }, "203.0.0.0/16"],
    ["203.0.113.77", { STREAMSIGN_IPV4_PREFIX: "32" }, "203.0.113.77/32"],
    ["2001:db8:abcd:12:9f::1", { STREAMSIGN_IPV6_PREFIX: "48" }, "2001:db8:abcd::/48"],
    ["2001:db8:abcd:12:9f::1", { STREAMSIGN_IPV6_PREFIX: "128" }, "2001:db8:abcd:12:9f::1/128"],
  ])("honours configured prefix lengths: %s with %j", async (socket, env, network) => {
    expect(await boundRules(baseEnv(env), socket)).toEqual(bound(network));
  });

  it("ignores proxy headers unless STREAMSIGN_TRUST_PROXY is set", async () => {
    const spoof = { "x-forwarded-for": "192.0.2.1", "cf-connecting-ip": "192.0.2.2" };
    expect(await boundRules(baseEnv(), "198.51.100.23", spoof)).toEqual(bound("198.51.100.0/24"));
  });

  it("STREAMSIGN_TRUST_PROXY=cloudflare reads only CF-Connecting-IP (IPv4 and IPv6)", async () => {
    const env = baseEnv({ STREAMSIGN_TRUST_PROXY: "cloudflare" });
    expect(
      await boundRules(env, "10.0.0.2", {
        "cf-connecting-ip": "192.0.2.2",
        "x-forwarded-for": "198.51.100.1",
      }),
    ).toEqual(bound("192.0.2.0/24"));
    expect(await boundRules(env, "10.0.0.2", { "cf-connecting-ip": "2001:db8:ffff:1::9" })).toEqual(
      bound("2001:db8:ffff:1::/64"),
    );
  });

  it("STREAMSIGN_TRUST_PROXY=true reads only X-Forwarded-For, never CF-Connecting-IP", async () => {
    // Behind a non-Cloudflare proxy a client can send any CF-Connecting-IP it likes.
    for (const value of ["true", "1"]) {
      const env = baseEnv({ STREAMSIGN_TRUST_PROXY: value });
      expect(
        await boundRules(env, "10.0.0.2", {
          "cf-connecting-ip": "192.0.2.2",
          "x-forwarded-for": "198.51.100.1",
        }),
      ).toEqual(bound("198.51.100.0/24"));
      expect(
        await boundRules(env, "10.0.0.2", { "x-forwarded-for": "2001:db8:1:2:3:4:5:6" }),
      ).toEqual(bound("2001:db8:1:2::/64"));
    }
  });

  it("takes the entry the trusted proxies appended, not a client-supplied one", async () => {
    // The client sent "X-Forwarded-For: 192.0.2.66"; one proxy appended the real address.
    const chain = { "x-forwarded-for": "192.0.2.66, 203.0.113.9" };
    expect(await boundRules(baseEnv({ STREAMSIGN_TRUST_PROXY: "1" }), "10.0.0.2", chain)).toEqual(
      bound("203.0.113.0/24"),
    );
    // Two proxies: client → P1 (appends client) → P2 (appends P1) → us.
    const twoHops = { "x-forwarded-for": "192.0.2.66, 203.0.113.9, 10.1.1.1" };
    expect(await boundRules(baseEnv({ STREAMSIGN_TRUST_PROXY: "2" }), "10.0.0.2", twoHops)).toEqual(
      bound("203.0.113.0/24"),
    );
  });

  it("answers 400 ERR_VIEWER_IP_UNKNOWN when the trusted header is missing or too short, never falling back", async () => {
    for (const [env, headers] of [
      // Fewer entries than proxies: the only entry is the client's own claim.
      [{ STREAMSIGN_TRUST_PROXY: "2" }, { "x-forwarded-for": "192.0.2.66" }],
      [{ STREAMSIGN_TRUST_PROXY: "3" }, { "x-forwarded-for": "192.0.2.66, 203.0.113.9" }],
      // No header: not the socket (that is the proxy), and not CF-Connecting-IP.
      [{ STREAMSIGN_TRUST_PROXY: "true" }, {}],
      [{ STREAMSIGN_TRUST_PROXY: "1" }, { "cf-connecting-ip": "192.0.2.2" }],
      [{ STREAMSIGN_TRUST_PROXY: "1" }, { "x-forwarded-for": "" }],
      // Cloudflare mode: only CF-Connecting-IP counts.
      [{ STREAMSIGN_TRUST_PROXY: "cloudflare" }, {}],
      [{ STREAMSIGN_TRUST_PROXY: "cloudflare" }, { "x-forwarded-for": "198.51.100.1" }],
    ] as const) {
      const service = await startService(baseEnv(env));
      service.setSocketAddress("10.0.0.2");
      const response = await postJson(
        service.app,
        "/v1/tokens",
        { videoId: VIDEO_ID, bindViewerIp: true },
        headers,
      );
      expect(response.status, JSON.stringify([env, headers])).toBe(400);
      expect((await errorOf(response)).code).toBe("ERR_VIEWER_IP_UNKNOWN");
      // A request that does not bind does not need the address.
      const unbound = await postJson(service.app, "/v1/tokens", { videoId: VIDEO_ID }, headers);
      expect(unbound.status).toBe(201);
    }
  });

  it("binds by policy default, and under prepend a request may opt out", async () => {
    const env = baseEnv({ STREAMSIGN_BIND_VIEWER_IP: "true" });
    expect(await boundRules(env, "203.0.113.77", {}, { videoId: VIDEO_ID })).toEqual(
      bound("203.0.113.0/24"),
    );
    expect(
      await boundRules(env, "203.0.113.77", {}, { videoId: VIDEO_ID, bindViewerIp: false }),
    ).toBeUndefined();
    expect(await boundRules(baseEnv(), "203.0.113.77", {}, { videoId: VIDEO_ID })).toBeUndefined();
  });

  it("under an enforcing policy that binds, refuses bindViewerIp: false with 403 ERR_RULES_ENFORCED", async () => {
    const block = { type: "ip.geoip.country", action: "block", country: ["KP"] };
    const env = baseEnv({
      STREAMSIGN_BIND_VIEWER_IP: "true",
      STREAMSIGN_ACCESS_RULES_MODE: "enforce",
      STREAMSIGN_ACCESS_RULES: JSON.stringify([block]),
    });
    const service = await startService(env);
    service.setSocketAddress("203.0.113.77");
    const refused = await postJson(service.app, "/v1/tokens", {
      videoId: VIDEO_ID,
      bindViewerIp: false,
    });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe("ERR_RULES_ENFORCED");
    expect(service.app.metrics.render()).not.toMatch(/streamsign_tokens_issued_total\{/);

    const batch = await postJson(service.app, "/v1/tokens/batch", {
      requests: [{ videoId: VIDEO_ID, bindViewerIp: false }, { videoId: VIDEO_ID }],
    });
    const { results } = (await batch.json()) as {
      results: Array<{ token?: string; error?: { code: string } }>;
    };
    expect(results[0]!.error?.code).toBe("ERR_RULES_ENFORCED");
    expect((await verifyWithPublicKey(results[1]!.token!)).accessRules).toEqual([
      block,
      ...bound("203.0.113.0/24"),
    ]);

    // Saying what the policy does anyway is fine.
    for (const body of [{ videoId: VIDEO_ID }, { videoId: VIDEO_ID, bindViewerIp: true }]) {
      expect(await boundRules(env, "203.0.113.77", {}, body)).toEqual([
        block,
        ...bound("203.0.113.0/24"),
      ]);
    }
    // An enforcing policy that does not bind has nothing to switch off.
    const unbinding = baseEnv({
      STREAMSIGN_ACCESS_RULES_MODE: "enforce",
      STREAMSIGN_ACCESS_RULES: JSON.stringify([block]),
    });
    expect(
      await boundRules(unbinding, "203.0.113.77", {}, { videoId: VIDEO_ID, bindViewerIp: false }),
    ).toEqual([block]);
  });

  it("keeps the caller's block rules before the binding, and refuses allow rules", async () => {
    const block = { type: "ip.geoip.country", action: "block", country: ["KP"] };
    expect(
      await boundRules(
        baseEnv(),
        "203.0.113.77",
        {},
        { videoId: VIDEO_ID, bindViewerIp: true, accessRules: [block] },
      ),
    ).toEqual([block, ...bound("203.0.113.0/24")]);

    const service = await startService(baseEnv());
    for (const rule of [
      { type: "ip.geoip.country", action: "allow", country: ["GB"] },
      { type: "any", action: "block" },
    ]) {
      const response = await postJson(service.app, "/v1/tokens", {
        videoId: VIDEO_ID,
        bindViewerIp: true,
        accessRules: [rule],
      });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe("ERR_RULES_INVALID");
    }
  });

  it("answers 400 ERR_VIEWER_IP_UNKNOWN when there is no usable address, and signs nothing", async () => {
    for (const [socket, headers, env] of [
      [undefined, {}, baseEnv()],
      ["not-an-ip", {}, baseEnv()],
      ["10.0.0.2", { "x-forwarded-for": "garbage" }, baseEnv({ STREAMSIGN_TRUST_PROXY: "1" })],
      [
        "10.0.0.2",
        { "cf-connecting-ip": "garbage" },
        baseEnv({ STREAMSIGN_TRUST_PROXY: "cloudflare" }),
      ],
    ] as const) {
      const service = await startService(env);
      service.setSocketAddress(socket);
      const response = await postJson(
        service.app,
        "/v1/tokens",
        { videoId: VIDEO_ID, bindViewerIp: true },
        headers,
      );
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe("ERR_VIEWER_IP_UNKNOWN");
      expect(service.app.metrics.render()).not.toMatch(/streamsign_tokens_issued_total\{/);
    }
  });
});
