// decodeToken: reads header and claims without verifying. Expected values come from the
// fixture vectors (python + openssl) or from tokens assembled here with Buffer/base64url,
// never from streamsign's own encoder.
import { describe, expect, it } from "vitest";
import { MAX_TOKEN_LENGTH } from "../src/decode.js";
import { decodeToken, StreamTokenError } from "../src/index.js";
import { cloudflareTokenSample, TEST_KID, vectors } from "./fixtures.js";

const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const HEADER = b64url(JSON.stringify({ alg: "RS256", kid: TEST_KID }));
const PAYLOAD = b64url(
  JSON.stringify({ sub: "ea95132c15732412d22c1476fa83f27a", kid: TEST_KID, exp: 1800003600 }),
);
/** Decoding never looks at the signature, so any base64url will do. */
const SIGNATURE = "c2lnbmF0dXJlLW5vdC1jaGVja2Vk";

/** Runs decodeToken, expects ERR_TOKEN_MALFORMED, and returns the error. */
function malformed(token: unknown): StreamTokenError {
  try {
    decodeToken(token as string);
  } catch (error) {
    expect(error).toBeInstanceOf(StreamTokenError);
    expect((error as StreamTokenError).code).toBe("ERR_TOKEN_MALFORMED");
    return error as StreamTokenError;
  }
  throw new Error("expected decodeToken to throw ERR_TOKEN_MALFORMED, it returned");
}

describe("decodeToken: known-answer vectors", () => {
  it.each(vectors.map((v) => [v.name, v] as const))(
    "%s decodes to its header and payload",
    (_, v) => {
      const { header, payload } = decodeToken(v.token);
      expect(header).toEqual(JSON.parse(v.header));
      expect(payload).toEqual(JSON.parse(v.payload));
    },
  );

  it("keeps accessRules exactly as written in the token", () => {
    const v = vectors.find((x) => x.name === "everything-combined")!;
    const { payload } = decodeToken(v.token);
    expect(JSON.stringify(payload.accessRules)).toBe(
      JSON.stringify(JSON.parse(v.payload).accessRules),
    );
  });

  it("does not verify: a token whose signature is garbage still decodes", () => {
    const v = vectors[0]!;
    const [h, p] = v.token.split(".");
    const { payload } = decodeToken(`${h}.${p}.${SIGNATURE}`);
    expect(payload).toEqual(JSON.parse(v.payload));
  });

  it("decodes a token with an empty signature segment (the alg:none shape)", () => {
    const header = b64url(JSON.stringify({ alg: "none" }));
    expect(decodeToken(`${header}.${PAYLOAD}.`).header).toEqual({ alg: "none" });
  });
});

describe("decodeToken: Cloudflare's /token sample (string exp and nbf)", () => {
  const raw = JSON.parse(cloudflareTokenSample.payload) as Record<string, unknown>;

  it("the fixture really carries strings", () => {
    expect(typeof raw.exp).toBe("string");
    expect(typeof raw.nbf).toBe("string");
  });

  it("returns exp and nbf as numbers with the same value", () => {
    const { header, payload } = decodeToken(cloudflareTokenSample.token);
    expect(header).toEqual(JSON.parse(cloudflareTokenSample.header));
    expect(payload.exp).toBe(1621889657);
    expect(payload.nbf).toBe(1621882457);
    expect(payload.exp).toBe(Number(raw.exp));
    expect(payload.sub).toBe(raw.sub);
    expect(payload.kid).toBe(TEST_KID);
  });

  it("accepts numeric exp alongside string nbf", () => {
    const payload = b64url('{"sub":"ea95132c15732412d22c1476fa83f27a","exp":1700,"nbf":"1600"}');
    expect(decodeToken(`${HEADER}.${payload}.${SIGNATURE}`).payload).toMatchObject({
      exp: 1700,
      nbf: 1600,
    });
  });
});

describe("decodeToken: malformed input is ERR_TOKEN_MALFORMED", () => {
  const header = (json: string) => `${b64url(json)}.${PAYLOAD}.${SIGNATURE}`;
  const payload = (json: string) => `${HEADER}.${b64url(json)}.${SIGNATURE}`;

  const cases: Array<[string, string]> = [
    ["2 parts", `${HEADER}.${PAYLOAD}`],
    ["4 parts", `${HEADER}.${PAYLOAD}.${SIGNATURE}.${SIGNATURE}`],
    ["1 part", `${HEADER}${PAYLOAD}`],
    ["empty string", ""],
    ["only dots", ".."],
    ["empty header", `.${PAYLOAD}.${SIGNATURE}`],
    ["empty payload", `${HEADER}..${SIGNATURE}`],
    [
      "header with a non-base64url character",
      `${HEADER.slice(0, 4)}!${HEADER.slice(5)}.${PAYLOAD}.x`,
    ],
    ["payload in standard base64 (+ and /)", `${HEADER}.${PAYLOAD}+/.${SIGNATURE}`],
    ["padded payload", `${HEADER}.${Buffer.from('{"exp":10}').toString("base64")}.${SIGNATURE}`],
    [
      "payload that is not UTF-8",
      `${HEADER}.${Buffer.from([0xff, 0xfe, 0x7b]).toString("base64url")}.x`,
    ],
    ["header that is not JSON", header("{alg:RS256}")],
    ["payload that is not JSON", payload('{"sub":')],
    ["payload that is a JSON array", payload('["sub","exp"]')],
    ["header that is a JSON array", header('["RS256"]')],
    ["payload that is JSON null", payload("null")],
    ["payload that is a JSON number", payload("1800000000")],
    ["payload that is a JSON string", payload('"x"')],
    ["header without alg", header(`{"kid":"${TEST_KID}"}`)],
    ["header whose alg is not a string", header('{"alg":256}')],
    ["exp that is a non-numeric string", payload('{"exp":"abc"}')],
    ["exp that is a signed string", payload('{"exp":"-1"}')],
    ["exp that is a fractional string", payload('{"exp":"1.5"}')],
    ["exp that is null", payload('{"exp":null}')],
    ["exp that is a boolean", payload('{"exp":true}')],
    ["exp that is an object", payload('{"exp":{"n":1}}')],
    ["nbf that is a non-numeric string", payload('{"exp":1,"nbf":"soon"}')],
    ["nbf that is an empty string", payload('{"exp":1,"nbf":""}')],
  ];

  it.each(cases)("%s", (_, token) => {
    const error = malformed(token);
    if (token.length > 0) expect(error.message).not.toContain(token);
  });

  it("a payload segment of a length no encoder produces (4n+1)", () => {
    let p = PAYLOAD;
    while (p.length % 4 !== 1) p += "A";
    expect(p.length % 4).toBe(1);
    malformed(`${HEADER}.${p}.${SIGNATURE}`);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["an object", { token: "x" }],
  ])("a non-string input (%s)", (_, value) => {
    malformed(value);
  });

  it("a bare video uid says it looks like a video uid", () => {
    expect(malformed("ea95132c15732412d22c1476fa83f27a").message).toMatch(/video uid/);
  });

  it("an over-long token is rejected before it is parsed", () => {
    const token = `${HEADER}.${"A".repeat(200_000)}.${SIGNATURE}`;
    const error = malformed(token);
    expect(error.message).not.toContain("AAAAAAAAAAAAAAAA");
    expect(error.message.length).toBeLessThan(300);
  });

  it("the length limit sits exactly at MAX_TOKEN_LENGTH, which fits any realistic token", () => {
    expect(MAX_TOKEN_LENGTH).toBeGreaterThanOrEqual(4096);
    const build = (length: number) => {
      const prefix = `{"sub":"ea95132c15732412d22c1476fa83f27a","exp":1,"pad":"`;
      // base64url of n bytes is ceil(4n/3) characters: pick the padding so the whole token has `length`.
      const fixed = HEADER.length + 2 + SIGNATURE.length;
      // Start a few bytes short of the target (base64url turns 3 bytes into 4 characters).
      const start = Math.max(0, Math.floor(((length - fixed) * 3) / 4) - prefix.length - 8);
      for (let pad = start; ; pad++) {
        const segment = b64url(`${prefix}${"x".repeat(pad)}"}`);
        const total = fixed + segment.length;
        if (total === length) return `${HEADER}.${segment}.${SIGNATURE}`;
        if (total > length) return undefined;
      }
    };
    // base64url lengths skip values ≡ 1 (mod 4); try the limit and its neighbours.
    const atLimit = [0, -1, -2].map((d) => build(MAX_TOKEN_LENGTH + d)).find(Boolean)!;
    expect(atLimit.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(atLimit.length).toBeGreaterThanOrEqual(MAX_TOKEN_LENGTH - 2);
    expect(decodeToken(atLimit).payload.exp).toBe(1);
    const over = [1, 2, 3].map((d) => build(MAX_TOKEN_LENGTH + d)).find(Boolean)!;
    expect(over.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(over.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH + 3);
    malformed(over);
  });

  it("no message carries a whole token or a whole segment", () => {
    const v = vectors.find((x) => x.name === "everything-combined")!;
    const [h, p, s] = v.token.split(".") as [string, string, string];
    for (const broken of [
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}!.${s}`,
      `${h}.${p}A.${s}`,
    ]) {
      const { message } = malformed(broken);
      for (const secret of [v.token, h, p, s]) expect(message).not.toContain(secret);
    }
  });
});

describe("decodeToken: JSON edge cases", () => {
  it("a __proto__ member stays data: nothing is polluted and the prototype is untouched", () => {
    const token = `${HEADER}.${b64url('{"__proto__":{"polluted":true},"exp":1}')}.${SIGNATURE}`;
    const { payload } = decodeToken(token);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect((payload as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("a duplicated claim takes the last value, like JSON.parse (and Go's encoding/json)", () => {
    const token = `${HEADER}.${b64url('{"exp":1,"exp":"2"}')}.${SIGNATURE}`;
    expect(decodeToken(token).payload.exp).toBe(2);
  });

  it("a payload without exp decodes (verifyToken is what requires it)", () => {
    const token = `${HEADER}.${b64url('{"sub":"x"}')}.${SIGNATURE}`;
    expect(decodeToken(token).payload).toEqual({ sub: "x" });
  });
});
