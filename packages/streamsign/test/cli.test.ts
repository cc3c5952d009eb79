// The streamsign CLI, end to end: every test spawns the built bin (see test/cli/run.ts).
// Tokens are checked with jose, an independent verifier, against the fixture public key.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactVerify, decodeProtectedHeader, importJWK, importSPKI } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigner } from "../src/index.js";
import { assertBuilt, run } from "./cli/run.js";
import {
  cloudflareKeyResponse,
  cloudflareTokenSample,
  fixturePath,
  readFixture,
  TEST_KID,
} from "./fixtures.js";

const VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";
const OTHER_VIDEO = "0123456789abcdef0123456789abcdef";
const CF_JSON = fixturePath("test-rsa2048.cloudflare.json");
const SPKI = fixturePath("keys/test-rsa2048.spki.pem");
const PUBLIC_JWK = fixturePath("keys/test-rsa2048.public.jwk.json");
const PKCS8 = fixturePath("keys/test-rsa2048.pkcs8.pem");
const SPKI_B = fixturePath("keys/test-rsa2048-b.spki.pem");
const KEY = ["--key-file", CF_JSON];
/** Pieces of the private key that must never show up in any error output. */
const SECRET_PIECES = [
  cloudflareKeyResponse.result.pem.slice(200, 240),
  cloudflareKeyResponse.result.jwk.slice(300, 340),
  readFixture("keys/test-rsa2048.pkcs1.pem").split("\n")[5]!,
];
const RULES = [
  { type: "ip.geoip.country", action: "allow", country: ["GB", "US"] },
  { type: "ip.src", action: "allow", ip: ["93.184.216.0/24", "2400:cb00::/32"] },
  { type: "any", action: "block" },
];
const RULE_FLAGS = [
  "--rule",
  "allow:country=GB,US",
  "--rule",
  "allow:ip=93.184.216.0/24,2400:cb00::/32",
  "--rule",
  "block:any",
];

let dir: string;
let spkiKey: CryptoKey;
/** A token for VIDEO with RULES, signed once for the decode/verify/check tests. */
let rulesToken: string;

async function payloadOf(token: string): Promise<Record<string, unknown>> {
  // Throws unless the RS256 signature verifies with the fixture public key.
  const { payload, protectedHeader } = await compactVerify(token, spkiKey);
  expect(protectedHeader).toEqual({ alg: "RS256", kid: TEST_KID });
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
}

function expectOneSafeLine(stderr: string, ...forbidden: string[]): void {
  expect(stderr).toMatch(/^streamsign: .+\n$/);
  for (const piece of [...SECRET_PIECES, ...forbidden]) expect(stderr).not.toContain(piece);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "streamsign-cli-"));
  spkiKey = await importSPKI(readFixture("keys/test-rsa2048.spki.pem"), "RS256");
  const signed = await run(["sign", VIDEO, ...KEY, ...RULE_FLAGS]);
  expect(signed.stderr).toBe("");
  rulesToken = signed.stdout.trim();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("sign", () => {
  it("prints the token alone on one line; it verifies independently and has the default 1 h", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { code, stdout, stderr } = await run(["sign", VIDEO, ...KEY]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const payload = await payloadOf(stdout.trim());
    expect(Object.keys(payload)).toEqual(["sub", "kid", "exp"]);
    expect(payload.sub).toBe(VIDEO);
    expect(payload.kid).toBe(TEST_KID);
    expect(payload.exp).toBeGreaterThanOrEqual(before + 3600);
    expect(payload.exp).toBeLessThanOrEqual(before + 3600 + 5);
  });

  it("writes every flag into the claims, keeping the --rule order", async () => {
    const now = Math.floor(Date.now() / 1000);
    const nbf = now - 60;
    const { code, stdout, stderr } = await run([
      "sign",
      VIDEO,
      "--key-file",
      PKCS8,
      "--key-id",
      TEST_KID,
      "--expires-in",
      "2h",
      "--not-before",
      String(nbf),
      "--downloadable",
      ...RULE_FLAGS,
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const payload = await payloadOf(stdout.trim());
    expect(Object.keys(payload)).toEqual([
      "sub",
      "kid",
      "exp",
      "nbf",
      "downloadable",
      "accessRules",
    ]);
    expect(payload.exp).toBeGreaterThanOrEqual(now + 7200);
    expect(payload.exp).toBeLessThanOrEqual(now + 7205);
    expect(payload.nbf).toBe(nbf);
    expect(payload.downloadable).toBe(true);
    expect(payload.accessRules).toEqual(RULES);
  });

  it("keeps the order of --rule flags as given, not a sorted order", async () => {
    const { stdout } = await run([
      "sign",
      VIDEO,
      ...KEY,
      "--rule",
      "block:ip=2400:cb00::/32,93.184.216.0/24",
      "--rule",
      "allow:country=US,GB",
      "--rule",
      "block:any",
    ]);
    const payload = await payloadOf(stdout.trim());
    expect(payload.accessRules).toEqual([
      { type: "ip.src", action: "block", ip: ["2400:cb00::/32", "93.184.216.0/24"] },
      { type: "ip.geoip.country", action: "allow", country: ["US", "GB"] },
      { type: "any", action: "block" },
    ]);
  });

  it("takes --expires-at as ISO 8601 or unix seconds", async () => {
    const at = Math.floor(Date.now() / 1000) + 1800;
    const iso = new Date(at * 1000).toISOString();
    const [fromIso, fromUnix] = await Promise.all([
      run(["sign", VIDEO, ...KEY, "--expires-at", iso]),
      run(["sign", VIDEO, ...KEY, "--expires-at", String(at)]),
    ]);
    expect((await payloadOf(fromIso.stdout.trim())).exp).toBe(at);
    expect((await payloadOf(fromUnix.stdout.trim())).exp).toBe(at);
  });

  it("reads the key from STREAM_KEY / STREAM_KEY_ID like signerFromEnv", async () => {
    const { code, stdout } = await run(["sign", VIDEO], {
      env: { STREAM_KEY: cloudflareKeyResponse.result.pem, STREAM_KEY_ID: TEST_KID },
    });
    expect(code).toBe(0);
    expect((await payloadOf(stdout.trim())).kid).toBe(TEST_KID);
  });

  it("reads the key from a whole Cloudflare API response, a result object, or the jwk alone", async () => {
    const resultOnly = join(dir, "result-only.json");
    writeFileSync(resultOnly, JSON.stringify(cloudflareKeyResponse.result));
    const jwkText = Buffer.from(cloudflareKeyResponse.result.jwk, "base64").toString("utf8");
    const results = await Promise.all([
      run(["sign", VIDEO, "--key-file", resultOnly]),
      run(["sign", VIDEO, `--key=${cloudflareKeyResponse.result.jwk}`]),
      run(["sign", VIDEO, `--key=${jwkText}`]),
    ]);
    for (const { code, stdout, stderr } of results) {
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect((await payloadOf(stdout.trim())).kid).toBe(TEST_KID);
    }
  });

  it("--rules-file takes a rules array or { accessRules }", async () => {
    const arrayFile = join(dir, "rules-array.json");
    const objectFile = join(dir, "rules-object.json");
    writeFileSync(arrayFile, JSON.stringify(RULES));
    writeFileSync(objectFile, JSON.stringify({ accessRules: RULES }));
    const results = await Promise.all([
      run(["sign", VIDEO, ...KEY, "--rules-file", arrayFile]),
      run(["sign", VIDEO, ...KEY, "--rules-file", objectFile]),
    ]);
    for (const { stdout } of results) {
      expect((await payloadOf(stdout.trim())).accessRules).toEqual(RULES);
    }
  });

  it("--url prints that URL, with --customer-code or STREAM_CUSTOMER_CODE", async () => {
    const [hls, dash, iframe, thumbnail, download] = await Promise.all([
      run(["sign", VIDEO, ...KEY, "--url", "hls", "--customer-code", "f33zs165nr7gyfy4"]),
      run(["sign", VIDEO, ...KEY, "--url", "dash"], {
        env: { STREAM_CUSTOMER_CODE: "f33zs165nr7gyfy4" },
      }),
      run(["sign", VIDEO, ...KEY, "--url", "iframe", "--customer-code", "f33zs165nr7gyfy4"]),
      run(["sign", VIDEO, ...KEY, "--url", "thumbnail", "--customer-code", "f33zs165nr7gyfy4"]),
      run([
        "sign",
        VIDEO,
        ...KEY,
        "--downloadable",
        "--url",
        "download",
        "--customer-code",
        "f33zs165nr7gyfy4",
      ]),
    ]);
    const base =
      /^https:\/\/customer-f33zs165nr7gyfy4\.cloudflarestream\.com\/([\w-]+\.[\w-]+\.[\w-]+)/;
    expect(hls.stdout).toMatch(new RegExp(`${base.source}/manifest/video\\.m3u8\\n$`));
    expect(dash.stdout).toMatch(new RegExp(`${base.source}/manifest/video\\.mpd\\n$`));
    expect(iframe.stdout).toMatch(new RegExp(`${base.source}/iframe\\n$`));
    expect(thumbnail.stdout).toMatch(new RegExp(`${base.source}/thumbnails/thumbnail\\.jpg\\n$`));
    expect(download.stdout).toMatch(new RegExp(`${base.source}/downloads/default\\.mp4\\n$`));
    const token = base.exec(hls.stdout)![1]!;
    expect((await payloadOf(token)).sub).toBe(VIDEO);
    expect((await payloadOf(base.exec(download.stdout)![1]!)).downloadable).toBe(true);
  });

  it("--json prints { token, expiresAt, claims, urls }", async () => {
    const { code, stdout } = await run(
      ["sign", VIDEO, ...KEY, "--json", "--expires-in", "15m", ...RULE_FLAGS],
      { env: { STREAM_CUSTOMER_CODE: "f33zs165nr7gyfy4" } },
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as {
      token: string;
      expiresAt: string;
      claims: { exp: number; accessRules: unknown };
      urls: Record<string, string>;
    };
    expect(Object.keys(out)).toEqual(["token", "expiresAt", "claims", "urls"]);
    expect(await payloadOf(out.token)).toEqual(out.claims);
    expect(out.expiresAt).toBe(new Date(out.claims.exp * 1000).toISOString());
    expect(out.claims.accessRules).toEqual(RULES);
    expect(Object.keys(out.urls)).toEqual(["iframe", "hls", "dash", "thumbnail"]);
    expect(out.urls.hls).toBe(
      `https://customer-f33zs165nr7gyfy4.cloudflarestream.com/${out.token}/manifest/video.m3u8`,
    );
    // Without a customer code there are no URLs to build.
    const bare = JSON.parse((await run(["sign", VIDEO, ...KEY, "--json"])).stdout) as {
      urls: unknown;
    };
    expect(bare.urls).toBeNull();
  });
});

describe.concurrent("decode", () => {
  const sample = cloudflareTokenSample.token;

  it("reads Cloudflare's /token sample, whose exp and nbf are strings", async () => {
    const { code, stdout, stderr } = await run(["decode", sample]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toContain(`{"alg":"RS256","kid":"${TEST_KID}"}`);
    expect(stdout).toMatch(
      /exp +1621889657 +2021-05-24T20:54:17\.000Z +\(expired .+ ago\) +\[written as a string\]/,
    );
    expect(stdout).toMatch(/nbf +1621882457 +2021-05-24T18:54:17\.000Z/);
    expect(stdout).toContain("sub           ea95132c15732412d22c1476fa83f27a");
    expect(stdout).toContain("Signature not checked");
  });

  it("--json gives numbers for string exp/nbf, and flags them", async () => {
    const { code, stdout } = await run(["decode", sample, "--json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.header).toEqual({ alg: "RS256", kid: TEST_KID });
    expect(out.payload.exp).toBe(1621889657);
    expect(out.payload.nbf).toBe(1621882457);
    expect(out.times.exp).toMatchObject({ unix: 1621889657, string: true });
    expect(out.times.expired).toBe(true);
    expect(out.signatureChecked).toBe(false);
  });

  it("picks the token out of a whole Stream URL, and reads stdin", async () => {
    const url = `https://customer-f33zs165nr7gyfy4.cloudflarestream.com/${sample}/manifest/video.m3u8`;
    const [fromUrl, fromStdin, fromDash] = await Promise.all([
      run(["decode", url, "--json"]),
      run(["decode", "--json"], { stdin: `${sample}\n` }),
      run(["decode", "-", "--json"], { stdin: url }),
    ]);
    for (const result of [fromUrl, fromStdin, fromDash]) {
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).payload.sub).toBe("ea95132c15732412d22c1476fa83f27a");
    }
  });

  it("shows times relative to now and the rules in order", async () => {
    const { code, stdout } = await run(["decode", rulesToken]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\(expires in (59m|1h)\)/);
    expect(stdout).toMatch(
      /1\. allow country GB, US\n {2}2\. allow ip 93\.184\.216\.0\/24, 2400:cb00::\/32\n {2}3\. block any\n/,
    );
    const json = JSON.parse((await run(["decode", rulesToken, "--json"])).stdout);
    expect(json.rules.map((r: { rule: unknown }) => r.rule)).toEqual(RULES);
  });
});

describe.concurrent("verify", () => {
  const cases: Array<{ viewer: string[]; code: number; out: RegExp; where: "stdout" | "stderr" }> =
    [
      {
        viewer: ["--country", "GB"],
        code: 0,
        out: /allowed.*rule #1 \(allow country GB, US\)/,
        where: "stdout",
      },
      { viewer: ["--country", "us"], code: 0, out: /allowed.*rule #1/, where: "stdout" },
      {
        viewer: ["--ip", "93.184.216.34", "--country", "FR"],
        code: 0,
        out: /allowed.*rule #2 \(allow ip/,
        where: "stdout",
      },
      { viewer: ["--ip", "2400:cb00::1"], code: 0, out: /allowed.*rule #2/, where: "stdout" },
      {
        viewer: ["--country", "FR"],
        code: 1,
        out: /blocked: .*rule #3 \(block any\) matched/,
        where: "stderr",
      },
      {
        viewer: ["--ip", "203.0.113.9"],
        code: 1,
        out: /blocked: viewer ip 203\.0\.113\.9: rule #3/,
        where: "stderr",
      },
    ];
  for (const { viewer, code, out, where } of cases) {
    it(`${viewer.join(" ")} → exit ${code}`, async () => {
      const result = await run(["verify", rulesToken, "--key-file", SPKI, ...viewer]);
      expect(result.code).toBe(code);
      expect(result[where]).toMatch(out);
      if (code !== 0) expectOneSafeLine(result.stderr, rulesToken);
    });
  }

  it("is valid with the private key JSON, the public JWK, and --video", async () => {
    const results = await Promise.all([
      run(["verify", rulesToken, ...KEY, "--video", VIDEO]),
      run(["verify", rulesToken, "--key-file", PUBLIC_JWK]),
    ]);
    for (const { code, stdout, stderr } of results) {
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toMatch(/^✓ valid: RS256 signature checks out; video 5d5bc37f/);
    }
  });

  it("fails with exit 1 for the wrong key, the wrong video, expiry and a tampered token", async () => {
    const [header, payload, signature] = rulesToken.split(".") as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, "base64url").toString()),
        accessRules: [],
      }),
    ).toString("base64url");
    const results = await Promise.all([
      run(["verify", rulesToken, "--key-file", SPKI_B]),
      run(["verify", rulesToken, ...KEY, "--video", OTHER_VIDEO]),
      run(["verify", rulesToken, ...KEY, "--at", "+2h"]),
      run(["verify", `${header}.${forged}.${signature}`, "--key-file", SPKI]),
      run(["verify", cloudflareTokenSample.token, "--key-file", SPKI]),
    ]);
    const reasons = [
      /ERR_TOKEN_SIGNATURE/,
      /ERR_TOKEN_VIDEO_MISMATCH/,
      /ERR_TOKEN_EXPIRED/,
      /ERR_TOKEN_SIGNATURE/,
      /ERR_TOKEN_EXPIRED/,
    ];
    results.forEach((result, i) => {
      expect(result.code, `case ${i}`).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(reasons[i]!);
      expectOneSafeLine(result.stderr, rulesToken, signature);
    });
  });

  it("--at checks the times at another moment (Cloudflare's sample, string exp/nbf)", async () => {
    const [inside, beforeNbf] = await Promise.all([
      run([
        "verify",
        cloudflareTokenSample.token,
        "--key-file",
        SPKI,
        "--at",
        "2021-05-24T20:00:00Z",
      ]),
      run(["verify", cloudflareTokenSample.token, "--key-file", SPKI, "--at", "1621880000"]),
    ]);
    expect(inside.code).toBe(0);
    expect(beforeNbf.code).toBe(1);
    expect(beforeNbf.stderr).toMatch(/ERR_TOKEN_NOT_YET_VALID/);
  });
});

describe.concurrent("usage errors exit 2 with one safe line naming the fix", () => {
  const token = () => rulesToken;
  const cases: Array<{
    name: string;
    args: () => string[];
    message: RegExp;
    env?: Record<string, string>;
  }> = [
    { name: "no command", args: () => [], message: /^$/ },
    { name: "unknown command", args: () => ["sigm"], message: /unknown command "sigm"/ },
    { name: "token as the command", args: () => [token()], message: /unknown command: run/ },
    {
      name: "unknown flag",
      args: () => ["sign", VIDEO, ...KEY, "--expires", "1h"],
      message: /unknown option --expires/,
    },
    {
      name: "unknown flag with a value",
      args: () => ["sign", VIDEO, "--kye=SECRET"],
      message: /unknown option --kye:/,
    },
    { name: "missing videoId", args: () => ["sign", ...KEY], message: /missing <videoId>/ },
    { name: "bad videoId", args: () => ["sign", "abc", ...KEY], message: /<videoId> is "abc"/ },
    {
      name: "token as videoId",
      args: () => ["sign", token(), ...KEY],
      message: /a token, not a video uid/,
    },
    {
      name: "extra argument",
      args: () => ["sign", VIDEO, token(), ...KEY],
      message: /too many arguments/,
    },
    {
      name: "bad --rule syntax",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "country=GB"],
      message: /--rule #1 .*action:type=list/,
    },
    {
      name: "bad --rule type",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "allow:contry=GB"],
      message: /--rule #1 .*country, ip or any/,
    },
    {
      name: "bad --rule action",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "deny:any"],
      message: /--rule #1 .*allow or block/,
    },
    {
      name: "bad country",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "allow:country=UK"],
      message: /--rule #1: country\[0\] "UK".*did you mean "GB"/,
    },
    {
      name: "lower-case country",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "block:any", "--rule", "allow:country=gb"],
      message: /--rule #2: .*upper case/,
    },
    {
      name: "bad ip",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "allow:ip=1.2.3.400"],
      message: /ERR_RULE_IP: --rule #1/,
    },
    {
      name: "six rules",
      args: () => ["sign", VIDEO, ...KEY, ...Array(6).fill(["--rule", "block:any"]).flat()],
      message: /--rule is given 6 times/,
    },
    {
      name: "bad --expires-in",
      args: () => ["sign", VIDEO, ...KEY, "--expires-in", "2 weeks"],
      message: /--expires-in "2 weeks" is not a duration/,
    },
    {
      name: "--expires-in over 24 h",
      args: () => ["sign", VIDEO, ...KEY, "--expires-in", "2d"],
      message: /ERR_EXPIRY_TOO_LONG: --expires-in/,
    },
    {
      name: "conflicting expiry",
      args: () => ["sign", VIDEO, ...KEY, "--expires-in", "1h", "--expires-at", "+1h"],
      message: /--expires-in or --expires-at, not both/,
    },
    {
      name: "bad --expires-at",
      args: () => ["sign", VIDEO, ...KEY, "--expires-at", "tomorrow"],
      message: /--expires-at "tomorrow" is not a time/,
    },
    {
      name: "--expires-at in ms",
      args: () => ["sign", VIDEO, ...KEY, "--expires-at", String(Date.now())],
      message: /looks like milliseconds/,
    },
    {
      name: "token as --expires-at",
      args: () => ["sign", VIDEO, ...KEY, "--expires-at", token()],
      message: /--expires-at \(a value that looks like a key or token\) is not a time/,
    },
    {
      name: "past --expires-at",
      args: () => ["sign", VIDEO, ...KEY, "--expires-at", "1700000000"],
      message: /ERR_EXPIRY_PAST: --expires-at/,
    },
    {
      name: "--not-before after exp",
      args: () => ["sign", VIDEO, ...KEY, "--not-before=+2h"],
      message: /--not-before .* is not before exp/,
    },
    {
      name: "bad --url",
      args: () => ["sign", VIDEO, ...KEY, "--url", "mp4"],
      message: /--url "mp4" is not a URL kind/,
    },
    {
      name: "--url without customer code",
      args: () => ["sign", VIDEO, ...KEY, "--url", "hls"],
      message: /--customer-code/,
    },
    {
      name: "--url download without --downloadable",
      args: () => ["sign", VIDEO, ...KEY, "--url", "download", "--customer-code", "abc"],
      message: /--url download needs --downloadable/,
    },
    {
      name: "bad customer code",
      args: () => [
        "sign",
        VIDEO,
        ...KEY,
        "--customer-code",
        "customer-ABC123.cloudflarestream.com",
      ],
      message: /--customer-code .*"abc123"/,
    },
    {
      name: "--rule and --rules-file",
      args: () => ["sign", VIDEO, ...KEY, "--rule", "block:any", "--rules-file", "r.json"],
      message: /--rule or --rules-file, not both/,
    },
    {
      name: "missing --rules-file",
      args: () => ["sign", VIDEO, ...KEY, "--rules-file", "/nonexistent/rules.json"],
      message: /--rules-file .*no such file/,
    },
    { name: "no key", args: () => ["sign", VIDEO], message: /no key: pass --key-file/ },
    {
      name: "--key and --key-file",
      args: () => ["sign", VIDEO, ...KEY, `--key=${cloudflareKeyResponse.result.pem}`],
      message: /--key or --key-file, not both/,
    },
    {
      name: "broken --key value",
      args: () => ["sign", VIDEO, `--key=${cloudflareKeyResponse.result.pem.slice(0, 900)}`],
      message: /ERR_KEY_\w+: --key /,
    },
    {
      name: "key passed as --key-file",
      args: () => ["sign", VIDEO, "--key-file", cloudflareKeyResponse.result.pem],
      message: /--key-file takes a file path/,
    },
    {
      name: "missing --key-file",
      args: () => ["sign", VIDEO, "--key-file", "/nonexistent/key.json"],
      message: /--key-file .*no such file/,
    },
    {
      name: "public key for signing",
      args: () => ["sign", VIDEO, "--key-file", SPKI, "--key-id", TEST_KID],
      message: /ERR_KEY_TYPE: --key-file .* is a public key/,
    },
    {
      name: "PEM without key id",
      args: () => ["sign", VIDEO, "--key-file", PKCS8],
      message: /ERR_KEY_ID_MISSING: the key id is missing: .* so pass --key-id <id>/,
    },
    {
      name: "bad --key-id",
      args: () => ["sign", VIDEO, ...KEY, "--key-id", "abc"],
      message: /--key-id is "abc"/,
    },
    {
      name: "mismatched --key-id",
      args: () => ["sign", VIDEO, ...KEY, "--key-id", OTHER_VIDEO],
      message: /--key-id .* differs from the id/,
    },
    {
      name: "STREAM_KEY_ID without STREAM_KEY",
      args: () => ["sign", VIDEO],
      env: { STREAM_KEY_ID: TEST_KID },
      message: /no key/,
    },
    {
      name: "damaged STREAM_KEY",
      args: () => ["sign", VIDEO],
      env: { STREAM_KEY: cloudflareKeyResponse.result.pem.slice(0, 1200), STREAM_KEY_ID: TEST_KID },
      message: /STREAM_KEY/,
    },
    {
      name: "--key followed by a flag",
      args: () => ["sign", VIDEO, "--key", "--json"],
      message: /the value after --key is missing or starts with "-": write it as --key=<value>/,
    },
    {
      name: "--key with no value",
      args: () => ["sign", VIDEO, "--key"],
      message: /--key needs a value/,
    },
    {
      name: "switch with a value",
      args: () => ["sign", VIDEO, ...KEY, "--json=yes"],
      message: /--json is a switch/,
    },
    {
      name: "decode: not a token",
      args: () => ["decode", "hello"],
      message: /ERR_TOKEN_MALFORMED/,
    },
    {
      name: "decode: unsigned URL",
      args: () => ["decode", `https://customer-abc.cloudflarestream.com/${VIDEO}/iframe`],
      message: /video uid, not a token/,
    },
    { name: "decode: nothing piped", args: () => ["decode"], message: /token is empty/ },
    {
      name: "verify: bad --at",
      args: () => ["verify", token(), ...KEY, "--at", "soon"],
      message: /--at "soon" is not a time/,
    },
    {
      name: "verify: bad --ip",
      args: () => ["verify", token(), ...KEY, "--ip", "1.2.3"],
      message: /--ip "1\.2\.3" is not an IPv4/,
    },
    {
      name: "verify: bad --country",
      args: () => ["verify", token(), ...KEY, "--country", "GBR"],
      message: /--country "GBR"/,
    },
    {
      name: "verify: token as --video",
      args: () => ["verify", token(), ...KEY, "--video", token()],
      message: /--video is a token, not a video uid/,
    },
    { name: "verify: no key", args: () => ["verify", token()], message: /no key to verify with/ },
    {
      name: "check: unreadable input",
      args: () => ["check", "no-such-rules.json"],
      message: /not a token, a Stream URL, inline JSON, or an existing file/,
    },
    { name: "check: bad JSON", args: () => ["check", "[{"], message: /not valid JSON/ },
    {
      name: "check: --want-download on rules",
      args: () => ["check", "[]", "--want-download"],
      message: /--want-download needs a token/,
    },
    {
      name: "keygen: positional",
      args: () => ["keygen", "key.json"],
      message: /too many arguments/,
    },
    { name: "keys: no subcommand", args: () => ["keys"], message: /keys needs a subcommand/ },
    {
      name: "videos: unknown subcommand",
      args: () => ["videos", "list"],
      message: /unknown subcommand "list"/,
    },
  ];
  for (const { name, args, message, env } of cases) {
    it(name, async () => {
      const argv = args();
      const { code, stdout, stderr } = await run(argv, env ? { env } : {});
      expect(code).toBe(2);
      if (argv.length === 0) {
        expect(stdout).toMatch(/^streamsign: Cloudflare Stream signed URLs/);
        return;
      }
      expect(stdout).toBe("");
      expect(stderr).toMatch(message);
      expectOneSafeLine(stderr, rulesToken, rulesToken.split(".")[2]!.slice(0, 40));
    });
  }

  it("--debug adds the stack trace, and only then", async () => {
    const { code, stderr } = await run(["sign", "abc", ...KEY, "--debug"]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toMatch(/^streamsign: <videoId> is "abc"/);
    expect(stderr).toMatch(/\n\s+at /);
  });
});

describe.concurrent("check", () => {
  const json = (rules: unknown) => JSON.stringify(rules);
  const ip = (action: string, list: string[]) => ({ type: "ip.src", action, ip: list });
  const country = (action: string, list: string[]) => ({
    type: "ip.geoip.country",
    action,
    country: list,
  });
  const anyRule = (action: string) => ({ type: "any", action });
  const table: Array<{
    name: string;
    input: () => string;
    extra?: string[];
    codes: string[];
    exit: number;
  }> = [
    { name: "a clean allow-list", input: () => json(RULES), codes: [], exit: 0 },
    {
      name: "a clean block-list",
      input: () => json([country("block", ["CN"])]),
      codes: [],
      exit: 0,
    },
    {
      name: "rules after any",
      input: () =>
        json([country("allow", ["GB"]), anyRule("block"), ip("allow", ["10.0.0.0/8", "fd00::/8"])]),
      codes: ["unreachable-rule"],
      exit: 1,
    },
    {
      name: "allow rules only",
      input: () => json([country("allow", ["GB", "US"])]),
      codes: ["allow-only"],
      exit: 1,
    },
    {
      name: "allow rules before a specific block but no final block",
      input: () => json([ip("allow", ["10.0.0.0/8", "fd00::/8"]), country("block", ["CN"])]),
      codes: ["no-final-block"],
      exit: 0,
    },
    {
      name: "block any first",
      input: () => json([anyRule("block")]),
      codes: ["blocks-everyone"],
      exit: 0,
    },
    {
      name: "IPv4-only ip rule",
      input: () => json([ip("allow", ["93.184.216.0/24"]), anyRule("block")]),
      codes: ["ip-single-family"],
      exit: 0,
    },
    {
      name: "single addresses",
      input: () => json([ip("allow", ["93.184.216.34", "2400:cb00::1/128"]), anyRule("block")]),
      codes: ["single-address", "single-address"],
      exit: 0,
    },
    {
      name: "invalid rules",
      input: () => json([country("allow", ["UK"]), anyRule("block")]),
      codes: ["invalid-rules"],
      exit: 1,
    },
    {
      name: "access_rules",
      input: () => json({ access_rules: RULES }),
      codes: ["access-rules-ignored"],
      exit: 1,
    },
    {
      name: "expired token (Cloudflare's sample)",
      input: () => cloudflareTokenSample.token,
      codes: ["expired"],
      exit: 1,
    },
    { name: "a fresh token with rules", input: () => rulesToken, codes: [], exit: 0 },
    {
      name: "a token without downloadable while a download is wanted",
      input: () => rulesToken,
      extra: ["--want-download"],
      codes: ["download-not-allowed"],
      exit: 1,
    },
    {
      name: "claims over the 24 h cap, nbf after exp",
      input: () => {
        const now = Math.floor(Date.now() / 1000);
        return json({ sub: VIDEO, exp: now + 90_000, nbf: now + 95_000 });
      },
      codes: ["exp-over-cap", "nbf-after-exp"],
      exit: 1,
    },
    {
      name: "claims within 5 min of the cap",
      input: () =>
        json({ sub: VIDEO, exp: Math.floor(Date.now() / 1000) + 86_300, downloadable: true }),
      extra: ["--want-download"],
      codes: ["exp-near-cap"],
      exit: 0,
    },
    {
      name: "claims without exp",
      input: () => json({ sub: VIDEO }),
      codes: ["missing-exp"],
      exit: 1,
    },
  ];
  for (const { name, input, extra = [], codes, exit } of table) {
    it(name, async () => {
      const { code, stdout } = await run(["check", input(), "--json", ...extra]);
      const out = JSON.parse(stdout) as {
        findings: Array<{ code: string; level: string }>;
        errors: number;
      };
      expect(out.findings.map((f) => f.code).sort()).toEqual([...codes].sort());
      expect(code).toBe(exit);
      expect(out.errors > 0).toBe(exit === 1);
    });
  }

  it("reads a rules file, a Stream URL and stdin; prints one line per finding", async () => {
    const file = join(dir, "check-rules.json");
    writeFileSync(file, json([country("allow", ["GB"]), anyRule("block"), anyRule("allow")]));
    const url = `https://customer-abc.cloudflarestream.com/${rulesToken}/manifest/video.m3u8`;
    const [fromFile, fromUrl, fromStdin] = await Promise.all([
      run(["check", file]),
      run(["check", url]),
      run(["check"], { stdin: json([country("allow", ["GB"])]) }),
    ]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stdout).toMatch(
      /^error +unreachable-rule +rule #3 \(allow any\) is never reached: rule #2 \(block any\)/,
    );
    expect(fromFile.stdout).toMatch(/1 error, 0 warnings \(rules from file/);
    expect(fromUrl.code).toBe(0);
    expect(fromUrl.stdout).toMatch(/✓ no findings \(token, 3 rules\)/);
    expect(fromStdin.code).toBe(1);
    expect(fromStdin.stdout).toMatch(/allow-only/);
  });
});

describe.concurrent("keygen", () => {
  it("--out writes Cloudflare's shape with mode 0600; the key loads with the library and verifies", async () => {
    const out = join(dir, "dev-key.json");
    const { code, stdout, stderr } = await run(["keygen", "--out", out]);
    expect(code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(out, "utf8")) as { id: string; pem: string; jwk: string };
    expect(Object.keys(key)).toEqual(["id", "pem", "jwk", "created"]);
    expect(key.id).toMatch(/^[0-9a-f]{32}$/);
    expect(stdout).toBe(`STREAM_KEY_ID=${key.id}\nSTREAM_KEY=${key.pem}\n`);
    expect(stderr).toMatch(/LOCAL development key/);
    const pem = Buffer.from(key.pem, "base64").toString("utf8");
    expect(pem).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/,
    );
    const jwk = JSON.parse(Buffer.from(key.jwk, "base64").toString("utf8"));
    expect(jwk).toMatchObject({ kid: key.id, alg: "RS256", use: "sig", kty: "RSA", e: "AQAB" });
    expect(Object.keys(jwk)).toEqual([
      "use",
      "kty",
      "kid",
      "alg",
      "n",
      "e",
      "d",
      "p",
      "q",
      "dp",
      "dq",
      "qi",
    ]);

    // The library loads both fields; a token verifies with the JWK's public half (jose).
    const fromPem = await createSigner({ key: key.pem, keyId: key.id });
    const fromJwk = await createSigner({ key: key.jwk });
    expect(fromJwk.keyId).toBe(key.id);
    const token = await fromPem.sign(VIDEO);
    const publicKey = await importJWK({ kty: "RSA", n: jwk.n, e: jwk.e }, "RS256");
    await compactVerify(token, publicKey);
    // And the CLI signs with the file.
    const signed = await run(["sign", VIDEO, "--key-file", out]);
    expect(decodeProtectedHeader(signed.stdout.trim()).kid).toBe(key.id);
    await compactVerify(signed.stdout.trim(), publicKey);
  });

  it("refuses to overwrite without --force; --force rewrites and resets the mode to 0600", async () => {
    const out = join(dir, "existing-key.json");
    writeFileSync(out, "keep me");
    chmodSync(out, 0o644);
    const refused = await run(["keygen", "--out", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists: .*--force/);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    const forced = await run(["keygen", "--out", out, "--force"]);
    expect(forced.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8")).id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a short write (file size limit) fails with exit 1 and leaves no partial file", async () => {
    const sub = join(dir, "short-write");
    mkdirSync(sub);
    const out = join(sub, "dev-key.json");
    const { code, stdout, stderr } = await run(["keygen", "--out", out], {
      fileSizeLimitBlocks: 1,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^streamsign: --out .*writing the key failed \(EFBIG\)/);
    expect(stderr).not.toMatch(/wrote/i);
    expect(stdout).toBe("");
    expect(readdirSync(sub)).toEqual([]);
  });

  it("--force writes a temp file and renames it: a short write keeps the old file intact", async () => {
    const sub = join(dir, "short-write-force");
    mkdirSync(sub);
    const out = join(sub, "dev-key.json");
    writeFileSync(out, "old key", { mode: 0o600 });
    const { code, stdout, stderr } = await run(["keygen", "--out", out, "--force"], {
      fileSizeLimitBlocks: 1,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /writing the key failed \(EFBIG\); the existing file was left as it was/,
    );
    expect(stderr).not.toMatch(/wrote/i);
    expect(stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe("old key");
    expect(readdirSync(sub)).toEqual(["dev-key.json"]);
  });

  it("--force over a symlink replaces the link with a 0600 file; the link's target is untouched", async () => {
    const sub = join(dir, "symlink-force");
    mkdirSync(sub);
    const target = join(sub, "target.txt");
    writeFileSync(target, "not a key");
    chmodSync(target, 0o644);
    const out = join(sub, "dev-key.json");
    symlinkSync(target, out);
    const refused = await run(["keygen", "--out", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists: .*--force/);
    const forced = await run(["keygen", "--out", out, "--force"]);
    expect(forced.code).toBe(0);
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8")).id).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(target, "utf8")).toBe("not a key");
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readdirSync(sub).sort()).toEqual(["dev-key.json", "target.txt"]);
  });

  it("a dangling symlink counts as an existing file; --force replaces it without creating its target", async () => {
    const sub = join(dir, "dangling-force");
    mkdirSync(sub);
    const target = join(sub, "nowhere.json");
    const out = join(sub, "dev-key.json");
    symlinkSync(target, out);
    const refused = await run(["keygen", "--out", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists: .*--force/);
    const forced = await run(["keygen", "--out", out, "--force"]);
    expect(forced.code).toBe(0);
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(existsSync(target)).toBe(false);
  });

  it("prints the key JSON without --out", async () => {
    const { code, stdout } = await run(["keygen"]);
    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(stdout))).toEqual(["id", "pem", "jwk", "created"]);
  });
});

describe.concurrent("demo, --help, --version", () => {
  it("demo says throw-away without STREAM_KEY", async () => {
    const { code, stdout } = await run(["demo"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/THROW-AWAY RSA-2048 key/);
    expect(stdout).toMatch(/✓ valid/);
  });

  it("demo uses STREAM_KEY / STREAM_KEY_ID when set; its token verifies with the fixture key", async () => {
    const { code, stdout } = await run(["demo", "--json"], {
      env: { STREAM_KEY: cloudflareKeyResponse.result.pem, STREAM_KEY_ID: TEST_KID },
    });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { key: string; token: string; verification: string };
    expect(out.key).toBe("environment");
    expect(out.verification).toBe("valid");
    expect((await payloadOf(out.token)).kid).toBe(TEST_KID);
    const text = await run(["demo"], {
      env: { STREAM_KEY: cloudflareKeyResponse.result.pem, STREAM_KEY_ID: TEST_KID },
    });
    expect(text.stdout).toContain(`Using your key ${TEST_KID}`);
    expect(text.stdout).not.toMatch(/throw-away/i);
  });

  for (const command of ["sign", "decode", "verify", "check", "keygen", "keys", "videos", "demo"]) {
    it(`${command} --help shows usage and examples`, async () => {
      const { code, stdout } = await run([command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: streamsign ${command}`));
      expect(stdout).toMatch(/Examples:\n/);
    });
  }

  it("--version prints the package version; --help lists every command", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const [version, help] = await Promise.all([run(["--version"]), run(["--help"])]);
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    for (const command of [
      "sign",
      "decode",
      "verify",
      "check",
      "keygen",
      "keys",
      "videos",
      "demo",
    ]) {
      expect(help.stdout).toMatch(new RegExp(`\\n  ${command} +\\S`));
    }
  });

  it("colour never appears without a TTY, even with FORCE_COLOR", async () => {
    const { stdout } = await run(["decode", rulesToken], { env: { FORCE_COLOR: "1" } });
    expect(stdout).not.toContain("\x1b[");
  });
});
