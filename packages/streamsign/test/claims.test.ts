import { describe, expect, it } from "vitest";
import { createSigner, decodeToken, type Signer, StreamTokenError } from "../src/index.js";
import { cloudflareKeyResponse, TEST_KID } from "./fixtures.js";

const NOW = 1_800_000_000;
const VIDEO = "ea95132c15732412d22c1476fa83f27a";

let signerPromise: Promise<Signer> | undefined;
function signer(): Promise<Signer> {
  signerPromise ??= createSigner({
    key: cloudflareKeyResponse.result.pem,
    keyId: TEST_KID,
    clock: () => NOW * 1000,
  });
  return signerPromise;
}

async function claimsOf(options: unknown, ...videoIdArg: [unknown?]) {
  const videoId = videoIdArg.length > 0 ? videoIdArg[0] : VIDEO;
  const token = await (await signer()).sign(videoId as string, options as never);
  return decodeToken(token).payload;
}

// A rest parameter, so that an explicit `undefined` video id is tested as such.
async function rejection(options: unknown, ...videoIdArg: [unknown?]): Promise<StreamTokenError> {
  const videoId = videoIdArg.length > 0 ? videoIdArg[0] : VIDEO;
  const error = await (await signer()).sign(videoId as string, options as never).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StreamTokenError);
  return error as StreamTokenError;
}

describe("expiry", () => {
  it.each([
    [30, NOW + 30],
    ["30s", NOW + 30],
    ["15m", NOW + 900],
    ["2h", NOW + 7200],
    ["1d", NOW + 86_400],
    ["90", NOW + 90],
    ["1.5h", NOW + 5400],
    [86_400, NOW + 86_400],
  ])("expiresIn %j puts exp at %d", async (expiresIn, exp) => {
    expect((await claimsOf({ expiresIn })).exp).toBe(exp);
  });

  it("defaults to one hour", async () => {
    expect((await claimsOf(undefined)).exp).toBe(NOW + 3600);
  });

  it("takes expiresAt as unix seconds or a Date", async () => {
    expect((await claimsOf({ expiresAt: NOW + 600 })).exp).toBe(NOW + 600);
    expect((await claimsOf({ expiresAt: new Date((NOW + 600) * 1000 + 999) })).exp).toBe(NOW + 600);
  });

  it.each([
    [{ expiresIn: 86_401 }],
    [{ expiresIn: "2d" }],
    [{ expiresIn: "25h" }],
    [{ expiresAt: NOW + 86_401 }],
  ])("rejects %j: more than Cloudflare's 24 h cap", async (options) => {
    const error = await rejection(options);
    expect(error.code).toBe("ERR_EXPIRY_TOO_LONG");
    expect(error.message).toMatch(/expires(In|At)/);
    expect(error.message).toContain("24 hours");
  });

  it.each([
    [{ expiresAt: NOW }],
    [{ expiresAt: NOW - 1 }],
    [{ expiresAt: new Date((NOW - 60) * 1000) }],
  ])("rejects %j: exp already past", async (options) => {
    const error = await rejection(options);
    expect(error.code).toBe("ERR_EXPIRY_PAST");
    expect(error.message).toContain("expiresAt");
  });

  it.each([
    [0],
    [-5],
    ["-5m"],
    ["2 hours"],
    ["1w"],
    ["0.5s"],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [""],
    [true],
    [{}],
  ])("rejects expiresIn %j with the accepted forms", async (expiresIn) => {
    const error = await rejection({ expiresIn });
    expect(error.code).toBe("ERR_EXPIRY_INVALID");
    expect(error.message).toContain('"15m"');
  });

  it("rejects a pathological duration string instead of backtracking on it", async () => {
    const error = await rejection({ expiresIn: `1${" ".repeat(100_000)}x` });
    expect(error.code).toBe("ERR_EXPIRY_INVALID");
  });

  it("rejects expiresIn together with expiresAt", async () => {
    expect((await rejection({ expiresIn: 60, expiresAt: NOW + 60 })).code).toBe(
      "ERR_EXPIRY_CONFLICT",
    );
  });

  it("rejects milliseconds where seconds belong, saying so", async () => {
    const error = await rejection({ expiresAt: (NOW + 60) * 1000 });
    expect(error.code).toBe("ERR_OPTION_INVALID");
    expect(error.message).toContain("milliseconds");
  });

  it.each([["1800000000"], [NOW + 0.5], [new Date(Number.NaN)]])(
    "rejects expiresAt %j",
    async (expiresAt) => {
      const error = await rejection({ expiresAt });
      expect(error.code).toBe("ERR_OPTION_INVALID");
      expect(error.message).toContain("expiresAt");
    },
  );
});

describe("notBefore", () => {
  it("is written as nbf, from seconds or a Date", async () => {
    expect((await claimsOf({ notBefore: NOW - 3600 })).nbf).toBe(NOW - 3600);
    expect((await claimsOf({ notBefore: new Date((NOW + 60) * 1000) })).nbf).toBe(NOW + 60);
  });

  it.each([[NOW + 3600], [NOW + 3601]])("rejects nbf %d at or after exp", async (notBefore) => {
    const error = await rejection({ notBefore });
    expect(error.code).toBe("ERR_NOT_BEFORE_INVALID");
    expect(error.message).toContain("notBefore");
  });
});

describe("video id", () => {
  it.each([
    ["abc"],
    ["ea95132c15732412d22c1476fa83f27"],
    ["ea95132c15732412d22c1476fa83f27aa"],
    ["ga95132c15732412d22c1476fa83f27a"],
    [" ea95132c15732412d22c1476fa83f27a"],
    [""],
    [undefined],
    [42],
  ])("rejects %j", async (videoId) => {
    const error = await rejection(undefined, videoId);
    expect(error.code).toBe("ERR_VIDEO_ID");
    expect(error.message).toContain("videoId");
    expect(error.message).toContain("32 hex");
  });

  it("says so when given a token instead of a uid, without echoing it", async () => {
    const token = await (await signer()).sign(VIDEO);
    const error = await rejection(undefined, token);
    expect(error.message).toContain("a token");
    expect(error.message).not.toContain(token.split(".")[2]!.slice(0, 20));
  });

  it("never echoes a long value, which may be a secret pasted into the wrong place", async () => {
    const apiToken = "Zx9kQ3vR7tY2uW5pL8mN4bC6dF1gH0jKsAeTiOoP"; // 40 characters, token-shaped
    const error = await rejection(undefined, apiToken);
    expect(error.message).not.toContain(apiToken);
    expect(error.message).toContain("40-character");
  });

  it("keeps an upper-case uid as given", async () => {
    expect((await claimsOf(undefined, VIDEO.toUpperCase())).sub).toBe(VIDEO.toUpperCase());
  });
});

describe("options", () => {
  it.each([
    ["access_rules", "accessRules"],
    ["accessrules", "accessRules"],
    ["rules", "accessRules"],
    ["expires", "expiresIn"],
    ["expires_in", "expiresIn"],
    ["ttl", "expiresIn"],
    ["exp", "expiresAt"],
    ["nbf", "notBefore"],
    ["download", "downloadable"],
  ])("rejects %s, pointing at %s", async (name, hint) => {
    const error = await rejection({ [name]: [] });
    expect(error.code).toBe("ERR_OPTION_UNKNOWN");
    expect(error.message).toContain(`did you mean ${hint}`);
  });

  it("rejects an unknown option even when its value is undefined-like", async () => {
    expect((await rejection({ foo: null })).code).toBe("ERR_OPTION_UNKNOWN");
  });

  it.each([["true"], [1], [null]])("rejects downloadable %j", async (downloadable) => {
    const error = await rejection({ downloadable });
    expect(error.code).toBe("ERR_OPTION_INVALID");
    expect(error.message).toContain("downloadable");
  });

  it("writes downloadable false when given", async () => {
    expect((await claimsOf({ downloadable: false })).downloadable).toBe(false);
  });

  it.each([["a string"], [[1, 2]], [42]])(
    "rejects options %j that are not an object",
    async (options) => {
      expect((await rejection(options)).code).toBe("ERR_OPTION_INVALID");
    },
  );
});

describe("access rules through sign", () => {
  const block = { type: "any", action: "block" } as const;
  it.each([
    ["ERR_RULES_TOO_MANY", Array.from({ length: 6 }, () => block)],
    ["ERR_RULES_INVALID", "not an array"],
    ["ERR_RULE_TYPE", [{ type: "ip", action: "allow", ip: ["1.2.3.4"] }]],
    ["ERR_RULE_ACTION", [{ type: "any", action: "deny" }]],
    ["ERR_RULE_SHAPE", [{ type: "ip.src", action: "allow" }]],
    ["ERR_RULE_SHAPE", [{ type: "ip.src", action: "allow", ip: [] }]],
    ["ERR_RULE_SHAPE", [{ type: "any", action: "allow", ip: ["1.2.3.4"] }]],
    [
      "ERR_RULE_SHAPE",
      [{ type: "ip.geoip.country", action: "allow", country: ["GB"], ip: ["1.2.3.4"] }],
    ],
    ["ERR_RULE_COUNTRY", [{ type: "ip.geoip.country", action: "allow", country: ["UK"] }]],
    ["ERR_RULE_COUNTRY", [{ type: "ip.geoip.country", action: "allow", country: ["gb"] }]],
    ["ERR_RULE_IP", [{ type: "ip.src", action: "allow", ip: ["10.0.0.300"] }]],
    ["ERR_RULE_IP", [{ type: "ip.src", action: "allow", ip: ["2400:cb00::/129"] }]],
  ])("%s for %j", async (code, accessRules) => {
    const error = await rejection({ accessRules });
    expect(error.code).toBe(code);
    expect(error.message).toContain("accessRules");
  });

  it("hints GB for UK and upper case for lower case", async () => {
    const uk = await rejection({
      accessRules: [{ type: "ip.geoip.country", action: "allow", country: ["UK"] }],
    });
    expect(uk.message).toContain('did you mean "GB"');
    const lower = await rejection({
      accessRules: [{ type: "ip.geoip.country", action: "allow", country: ["gb"] }],
    });
    expect(lower.message).toContain('"GB"');
  });

  it("refuses rules that would make the token longer than URLs and verifyToken accept", async () => {
    const ip = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const error = await rejection({ accessRules: [{ type: "ip.src", action: "allow", ip }] });
    expect(error.code).toBe("ERR_RULES_INVALID");
    expect(error.message).toContain("16384");
  });

  it("accepts five rules", async () => {
    const rules = [
      { type: "ip.src", action: "block", ip: ["93.184.216.0/24", "2400:cb00::/32"] },
      { type: "ip.geoip.country", action: "allow", country: ["US", "GB"] },
      { type: "ip.src", action: "allow", ip: ["203.0.113.7"] },
      { type: "ip.geoip.country", action: "block", country: ["FR"] },
      block,
    ];
    expect((await claimsOf({ accessRules: rules })).accessRules).toEqual(rules);
  });
});
