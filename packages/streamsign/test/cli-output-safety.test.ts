// What the CLI prints about values it did not make: ids it rejects are echoed only when they
// are short and hex-like (never a token or API key pasted in the wrong place), and text from
// a token, a rules file or an API answer never reaches the terminal with control characters.
// Spawns the built bin (test/cli/run.ts); the API settings point at a closed local port.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, run } from "./cli/run.js";
import { cloudflareKeyResponse, fixturePath, TEST_KID } from "./fixtures.js";

const VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";
const CF_JSON = fixturePath("test-rsa2048.cloudflare.json");
/** Shaped like a Cloudflare API token: 40 characters of [A-Za-z0-9_-]. */
const TOKEN_40 = "k9F2_xQ7-Lm3Pa8ZrT1vW4yB6nC0dE5gH2jK7sU-";
/** 64 hex characters, like a SHA-256 or a secret in hex. */
const HEX_64 = "0123456789abcdef".repeat(4);
const API_ENV = {
  CLOUDFLARE_API_TOKEN: "cf-test-token_0123456789abcdefABCDEF",
  CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4",
};
/** Any C0 or C1 control character except the newline that ends each line. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const CLEAR = "\u001b[2J";

let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "streamsign-safety-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A key file in Cloudflare's shape whose `id` is `id`. */
function keyFileWithId(id: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ ...cloudflareKeyResponse.result, id }), { mode: 0o600 });
  return path;
}

describe.concurrent("rejected ids are not echoed unless short and hex-like", () => {
  const paths: Array<{
    name: string;
    args: (secret: string) => string[];
    env?: (secret: string) => Record<string, string>;
    message: RegExp;
  }> = [
    {
      name: "--account",
      args: (secret) => ["keys", "list", "--account", secret],
      env: () => API_ENV,
      message: /--account is a \d+-character value: it must be the 32-hex/,
    },
    {
      name: "CLOUDFLARE_ACCOUNT_ID",
      args: () => ["keys", "list"],
      env: (secret) => ({ ...API_ENV, CLOUDFLARE_ACCOUNT_ID: secret }),
      message: /CLOUDFLARE_ACCOUNT_ID is a \d+-character value: it must be the 32-hex/,
    },
    {
      name: "keys revoke <id>",
      args: (secret) => ["keys", "revoke", secret],
      env: () => ({ ...API_ENV, CLOUDFLARE_ACCOUNT_ID: VIDEO }),
      message: /keys revoke: <id> is a \d+-character value: it must be the 32-hex key id/,
    },
    {
      name: "sign --key-id",
      args: (secret) => ["sign", VIDEO, "--key-file", CF_JSON, "--key-id", secret],
      message: /--key-id is a \d+-character value: it must be the 32-hex/,
    },
    {
      name: "verify --key-id",
      args: (secret) => ["verify", "a.b.c", "--key-file", CF_JSON, "--key-id", secret],
      message: /--key-id is a \d+-character value: it must be the 32-hex/,
    },
    {
      name: "the id in a --key-file that differs from --key-id",
      args: (secret) => [
        "sign",
        VIDEO,
        "--key-file",
        keyFileWithId(secret, `key-${secret.length}.json`),
        "--key-id",
        TEST_KID,
      ],
      message: /differs from the id a \d+-character value in --key-file/,
    },
    {
      name: "sign <videoId>",
      args: (secret) => ["sign", secret, "--key-file", CF_JSON],
      message: /<videoId> is a \d+-character string: it must be the video uid/,
    },
    {
      name: "videos require-signed <videoId>",
      args: (secret) => ["videos", "require-signed", secret],
      env: () => ({ ...API_ENV, CLOUDFLARE_ACCOUNT_ID: VIDEO }),
      message: /<videoId> is a \d+-character string: it must be the video uid/,
    },
  ];
  for (const path of paths) {
    for (const [kind, secret] of [
      ["a 40-character token-shaped value", TOKEN_40],
      ["a 64-hex value", HEX_64],
    ] as const) {
      it(`${path.name}: ${kind} is described, not echoed`, async () => {
        const { code, stdout, stderr } = await run(path.args(secret), {
          env: path.env?.(secret) ?? {},
        });
        expect(code).toBe(2);
        expect(stdout).toBe("");
        expect(stderr).toMatch(/^streamsign: .+\n$/);
        expect(stderr).toMatch(path.message);
        expect(stderr).toContain(`a ${secret.length}-character`);
        for (let i = 0; i + 12 <= secret.length; i += 4) {
          expect(stderr).not.toContain(secret.slice(i, i + 12));
        }
      });
    }
  }

  it("a short hex-like value is still echoed, to help fix a typo", async () => {
    const [account, revoke, keyId] = await Promise.all([
      run(["keys", "list", "--account", "023e105f"], { env: API_ENV }),
      run(["keys", "revoke", "8f926b2b"], { env: { ...API_ENV, CLOUDFLARE_ACCOUNT_ID: VIDEO } }),
      run(["sign", VIDEO, "--key-file", CF_JSON, "--key-id", "abc"]),
    ]);
    expect(account.stderr).toMatch(/--account is "023e105f": it must be/);
    expect(revoke.stderr).toMatch(/keys revoke: <id> is "8f926b2b": it must be/);
    expect(keyId.stderr).toMatch(/--key-id is "abc": it must be/);
  });
});

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** A hand-built token (junk signature) whose header and claims carry escape sequences. */
function hostileToken(): string {
  const header = { alg: "RS256", kid: `${CLEAR}kid\u009b2J` };
  const payload = {
    sub: `${CLEAR}${VIDEO}`,
    kid: `${CLEAR}\u0007kid`,
    exp: Math.floor(Date.now() / 1000) + 3600,
    downloadable: `yes${CLEAR}`,
    [`note${CLEAR}`]: `\u009b2J${CLEAR}`,
    accessRules: [
      { type: "ip.geoip.country", action: "allow", country: ["GB", `U\u009b2J${CLEAR}S`] },
      { type: "ip.src", action: `block${CLEAR}`, ip: [`93.184.216.0/24${CLEAR}`, "\u009b2J"] },
      { type: `any${CLEAR}`, action: "block" },
    ],
  };
  return `${base64url(header)}.${base64url(payload)}.c2lnbmF0dXJl`;
}

describe.concurrent("text from a token cannot drive the terminal", () => {
  it("decode shows control characters in the header, claims and rules as \\u escapes", async () => {
    const { code, stdout, stderr } = await run(["decode", hostileToken()]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).not.toMatch(CONTROL);
    expect(stdout).toMatch(/ {2}sub {11}\\u001b\[2J5d5bc37ffcf54c9b82e996823bffbb81\n/);
    expect(stdout).toMatch(/ {2}kid {11}\\u001b\[2J\\u0007kid\n/);
    expect(stdout).toContain("1. allow country GB, U\\u009b2J\\u001b[2JS");
    expect(stdout).toContain("2. block\\u001b[2J ip 93.184.216.0/24\\u001b[2J, \\u009b2J");
    expect(stdout).toContain("3. block any\\u001b[2J");
    expect(stdout).toContain('"kid":"\\u001b[2Jkid\\u009b2J"');
    expect(stdout).toContain("note\\u001b[2J");
  });

  it("decode --json is JSON-escaped, C1 characters included, and parses back to the same claims", async () => {
    const token = hostileToken();
    const { code, stdout } = await run(["decode", token, "--json"]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(CONTROL);
    const decoded = JSON.parse(stdout) as { header: { kid: string }; payload: { sub: string } };
    expect(decoded.header.kid).toBe(`${CLEAR}kid\u009b2J`);
    expect(decoded.payload.sub).toBe(`${CLEAR}${VIDEO}`);
  });

  it("verify's 'signed by key …' message shows the token's kid escaped", async () => {
    const { code, stdout, stderr } = await run(["verify", hostileToken(), "--key-file", CF_JSON]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /^streamsign: invalid: ERR_TOKEN_KEY_UNKNOWN: .*\\u001b\[2Jkid\\u009b2J/,
    );
    expect(stderr).not.toMatch(CONTROL);
  });

  it("check, and errors about a rules file, never print a control character (C1 included)", async () => {
    const rulesFile = join(dir, "hostile-rules.json");
    writeFileSync(
      rulesFile,
      JSON.stringify([
        { type: "ip.geoip.country", action: "allow", country: [`G\u009b2J${CLEAR}B`] },
      ]),
    );
    const results = await Promise.all([
      run(["check", hostileToken()]),
      run(["check", hostileToken(), "--json"]),
      run(["check", rulesFile]),
      run(["check", rulesFile, "--json"]),
      run(["sign", VIDEO, "--key-file", CF_JSON, "--rules-file", rulesFile]),
    ]);
    for (const { stdout, stderr } of results) {
      expect(stdout).not.toMatch(CONTROL);
      expect(stderr).not.toMatch(CONTROL);
    }
    expect(results[0]!.stdout).toMatch(/invalid-rules .*\\u009b2J/);
    expect(results[2]!.stdout).toMatch(/invalid-rules .*\\u009b2J/);
    expect(results[4]!.stderr).toMatch(/^streamsign: ERR_RULE_COUNTRY: .*\\u009b2J/);
  });
});
