// `keys` and `videos` against a local stub of Cloudflare's API (node:http on 127.0.0.1).
// The stub records every request; the tests assert method, path, Authorization header and
// body exactly as Cloudflare documents them:
//   POST   /accounts/{account_id}/stream/keys            (no body)
//   GET    /accounts/{account_id}/stream/keys
//   DELETE /accounts/{account_id}/stream/keys/{identifier}
//   POST   /accounts/{account_id}/stream/{identifier}     {"uid":…,"requireSignedURLs":true}
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactVerify, importSPKI } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, run } from "./cli/run.js";
import { cloudflareKeyResponse, readFixture, TEST_KID } from "./fixtures.js";

const API_TOKEN = "cf-test-token_0123456789abcdefABCDEF";
const VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";
/** Each account id makes the stub answer differently, so tests can run concurrently. */
const OK = "023e105f4ecef8ad9ca31a8372d0c353";
const DENIED = "11111111111111111111111111111111";
const BROKEN = "22222222222222222222222222222222";
const EMPTY = "33333333333333333333333333333333";
/** Answers with terminal escape sequences (ESC [2J clears the screen; U+009B is a C1 CSI). */
const HOSTILE = "55555555555555555555555555555555";
const CLEAR = "\u001b[2J";

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

let server: Server;
let base: string;
let dir: string;
const requests: Recorded[] = [];

function envelope(result: unknown) {
  return { result, success: true, errors: [], messages: [] };
}

function answer(request: Recorded): { status: number; body: unknown } {
  const account = /^\/client\/v4\/accounts\/([^/]+)\//.exec(request.url)?.[1];
  if (request.authorization !== `Bearer ${API_TOKEN}`) {
    return {
      status: 400,
      body: {
        success: false,
        errors: [{ code: 6003, message: "Invalid request headers" }],
        messages: [],
        result: null,
      },
    };
  }
  if (account === DENIED) {
    return {
      status: 403,
      body: {
        success: false,
        errors: [{ code: 10000, message: "Authentication error" }],
        messages: [],
        result: null,
      },
    };
  }
  if (account === BROKEN) return { status: 502, body: "<html>Bad gateway</html>" };
  if (account === HOSTILE && request.method === "GET") {
    return {
      status: 200,
      body: envelope([
        { id: `${CLEAR}${TEST_KID}`, created: `2026-01-01\u009b2J\r\nSTREAM_KEY=x` },
      ]),
    };
  }
  if (account === HOSTILE) {
    return {
      status: 400,
      body: {
        success: false,
        errors: [{ code: `1${CLEAR}`, message: `Bad ${CLEAR}request\u009b2J\u0007` }],
        messages: [],
        result: null,
      },
    };
  }
  const route = `${request.method} ${request.url.replace(`/client/v4/accounts/${account}`, "")}`;
  if (route === "POST /stream/keys") return { status: 200, body: cloudflareKeyResponse };
  if (route === "GET /stream/keys") {
    return {
      status: 200,
      body: envelope(account === EMPTY ? [] : [{ id: TEST_KID, created: "2026-01-01T00:00:00Z" }]),
    };
  }
  if (route === `DELETE /stream/keys/${TEST_KID}`) return { status: 200, body: envelope("ok") };
  if (route === `POST /stream/${VIDEO}`) {
    const sent = JSON.parse(request.body) as { requireSignedURLs: boolean };
    return {
      status: 200,
      body: envelope({ uid: VIDEO, requireSignedURLs: sent.requireSignedURLs }),
    };
  }
  return {
    status: 404,
    body: {
      success: false,
      errors: [{ code: 10003, message: "Not found" }],
      messages: [],
      result: null,
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
  });
}

/** The requests the stub saw for one account. */
function seen(account: string): Recorded[] {
  return requests.filter((r) => r.url.startsWith(`/client/v4/accounts/${account}/`));
}

function apiEnv(
  account: string,
  extra: Record<string, string> = {},
): { env: Record<string, string>; cwd: string } {
  return {
    env: {
      CLOUDFLARE_API_BASE_URL: base,
      CLOUDFLARE_ACCOUNT_ID: account,
      CLOUDFLARE_API_TOKEN: API_TOKEN,
      ...extra,
    },
    cwd: dir,
  };
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "streamsign-api-"));
  server = createServer(async (req, res) => {
    const recorded: Recorded = {
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      body: await readBody(req),
    };
    requests.push(recorded);
    const { status, body } = answer(recorded);
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": typeof body === "string" ? "text/html" : "application/json",
    });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("keys create", () => {
  it("POSTs /stream/keys with the Bearer token and no body; writes the key 0600 and prints only its id", async () => {
    const out = join(dir, "stream-key.json");
    const { code, stdout, stderr } = await run(
      ["keys", "create", "--out", "stream-key.json"],
      apiEnv(OK),
    );
    expect(code).toBe(0);
    const create = seen(OK).filter((r) => r.method === "POST" && r.url.endsWith("/stream/keys"));
    expect(create).toEqual([
      {
        method: "POST",
        url: `/client/v4/accounts/${OK}/stream/keys`,
        authorization: `Bearer ${API_TOKEN}`,
        contentType: undefined,
        body: "",
      },
    ]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(cloudflareKeyResponse.result);
    expect(stdout).toBe(`STREAM_KEY_ID=${TEST_KID}\n`);
    expect(stderr).toMatch(/Created signing key .* \(mode 0600\)/);
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain(cloudflareKeyResponse.result.pem.slice(0, 60));
      expect(text).not.toContain(API_TOKEN);
    }
    // The file it wrote is a working --key-file.
    const signed = await run(["sign", VIDEO, "--key-file", out]);
    expect(signed.code).toBe(0);
    await compactVerify(
      signed.stdout.trim(),
      await importSPKI(readFixture("keys/test-rsa2048.spki.pem"), "RS256"),
    );
  });

  it("--print prints the whole key JSON", async () => {
    const { code, stdout } = await run(["keys", "create", "--print"], apiEnv(OK));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(cloudflareKeyResponse.result);
  });

  it("refuses up front, before any API call, without --out or --print, or when --out exists", async () => {
    const existing = join(dir, "taken.json");
    writeFileSync(existing, "{}");
    const before = requests.length;
    const [bare, taken, noDir] = await Promise.all([
      run(["keys", "create"], apiEnv(OK)),
      run(["keys", "create", "--out", existing], apiEnv(OK)),
      run(["keys", "create", "--out", join(dir, "missing-dir", "k.json")], apiEnv(OK)),
    ]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/keys create needs --out <file> \(or --print\)/);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/already exists/);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/does not exist/);
    expect(readFileSync(existing, "utf8")).toBe("{}");
    expect(requests.length).toBe(before);
  });

  it("shows Cloudflare's error envelope as one line, exit 1, and leaves no file behind", async () => {
    const out = join(dir, "denied-key.json");
    const { code, stdout, stderr } = await run(["keys", "create", "--out", out], apiEnv(DENIED));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `streamsign: Cloudflare API error: 10000 Authentication error (HTTP 403, POST /accounts/${DENIED}/stream/keys). Check CLOUDFLARE_API_TOKEN (it needs Stream:Edit on this account) and the account id.\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("keys create: a --out that cannot be written completely", () => {
  it("a short write exits 1, prints the created key to stdout instead, and leaves no partial file", async () => {
    const sub = join(dir, "short-write");
    mkdirSync(sub);
    const { code, stdout, stderr } = await run(["keys", "create", "--out", "k.json"], {
      ...apiEnv(OK),
      cwd: sub,
      fileSizeLimitBlocks: 1,
    });
    expect(code).toBe(1);
    // Cloudflare shows the key only once: it must not be lost.
    expect(JSON.parse(stdout)).toEqual(cloudflareKeyResponse.result);
    expect(stderr).toMatch(
      /^streamsign: --out .*writing the key failed \(EFBIG\); the partial file was removed\. The key was printed above instead: save it now\.\n$/,
    );
    expect(stderr).not.toMatch(/wrote|Created signing key/i);
    expect(stderr).not.toContain(cloudflareKeyResponse.result.pem.slice(0, 60));
    expect(stderr).not.toContain(API_TOKEN);
    expect(readdirSync(sub)).toEqual([]);
  });

  it("--force with a short write keeps the old file intact and prints the key instead", async () => {
    const sub = join(dir, "short-write-force");
    mkdirSync(sub);
    const out = join(sub, "k.json");
    writeFileSync(out, "old key", { mode: 0o600 });
    const { code, stdout, stderr } = await run(["keys", "create", "--out", out, "--force"], {
      ...apiEnv(OK),
      fileSizeLimitBlocks: 1,
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual(cloudflareKeyResponse.result);
    expect(stderr).toMatch(/the existing file was left as it was\. The key was printed above/);
    expect(readFileSync(out, "utf8")).toBe("old key");
    expect(readdirSync(sub)).toEqual(["k.json"]);
  });
});

describe("text from the API cannot drive the terminal", () => {
  it("control characters in an error envelope or a key list are shown as \\u escapes", async () => {
    const [created, listed, json] = await Promise.all([
      run(["keys", "create", "--print"], apiEnv(HOSTILE)),
      run(["keys", "list"], apiEnv(HOSTILE)),
      run(["keys", "list", "--json"], apiEnv(HOSTILE)),
    ]);
    expect(created.code).toBe(1);
    expect(created.stderr).toBe(
      `streamsign: Cloudflare API error: 1\\u001b[2J Bad \\u001b[2Jrequest\\u009b2J\\u0007 (HTTP 400, POST /accounts/${HOSTILE}/stream/keys).\n`,
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`\\u001b[2J${TEST_KID}`);
    expect(listed.stdout).toContain("2026-01-01\\u009b2J\\u000d\\u000aSTREAM_KEY=x");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: `${CLEAR}${TEST_KID}`, created: "2026-01-01\u009b2J\r\nSTREAM_KEY=x" },
    ]);
    for (const result of [created, listed, json]) {
      for (const text of [result.stdout, result.stderr]) {
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      }
    }
    expect(listed.stdout.split("\n").filter((line) => line.startsWith("STREAM_KEY"))).toEqual([]);
  });
});

describe.concurrent("keys list / revoke, videos require-signed", () => {
  it("keys list GETs /stream/keys and prints id and created", async () => {
    const [listed, empty, json] = await Promise.all([
      run(["keys", "list"], apiEnv(OK)),
      run(["keys", "list", "--account", EMPTY], apiEnv(OK)),
      run(["keys", "list", "--json"], apiEnv(OK)),
    ]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${TEST_KID} +2026-01-01T00:00:00Z`));
    expect(empty.stdout).toMatch(/No signing keys/);
    expect(JSON.parse(json.stdout)).toEqual([{ id: TEST_KID, created: "2026-01-01T00:00:00Z" }]);
    const gets = seen(EMPTY);
    expect(gets).toEqual([
      {
        method: "GET",
        url: `/client/v4/accounts/${EMPTY}/stream/keys`,
        authorization: `Bearer ${API_TOKEN}`,
        contentType: undefined,
        body: "",
      },
    ]);
  });

  it("keys revoke DELETEs /stream/keys/{id}", async () => {
    const { code, stdout } = await run(["keys", "revoke", TEST_KID], apiEnv(OK));
    expect(code).toBe(0);
    expect(stdout).toBe(`Revoked signing key ${TEST_KID}: tokens signed with it no longer play.\n`);
    const deletes = seen(OK).filter((r) => r.method === "DELETE");
    expect(deletes).toEqual([
      {
        method: "DELETE",
        url: `/client/v4/accounts/${OK}/stream/keys/${TEST_KID}`,
        authorization: `Bearer ${API_TOKEN}`,
        contentType: undefined,
        body: "",
      },
    ]);
  });

  it("videos require-signed POSTs { uid, requireSignedURLs } (true, or false with --off)", async () => {
    const account = "44444444444444444444444444444444";
    const on = await run(["videos", "require-signed", VIDEO], apiEnv(account));
    const off = await run(["videos", "require-signed", VIDEO, "--off"], apiEnv(account));
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/now requires signed URLs/);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/no longer requires signed URLs/);
    const posts = seen(account);
    expect(posts.map((r) => ({ ...r, body: JSON.parse(r.body) }))).toEqual(
      [true, false].map((requireSignedURLs) => ({
        method: "POST",
        url: `/client/v4/accounts/${account}/stream/${VIDEO}`,
        authorization: `Bearer ${API_TOKEN}`,
        contentType: "application/json",
        body: { uid: VIDEO, requireSignedURLs },
      })),
    );
    expect(posts[0]!.body).toBe(`{"uid":"${VIDEO}","requireSignedURLs":true}`);
  });

  it("error envelope, non-JSON answers and an unreachable API are one line, exit 1", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const deadBase = `http://127.0.0.1:${port}/client/v4`;
    const [denied, broken, unreachable] = await Promise.all([
      run(["videos", "require-signed", VIDEO], apiEnv(DENIED)),
      run(["keys", "list"], apiEnv(BROKEN)),
      run(["keys", "list"], apiEnv(OK, { CLOUDFLARE_API_BASE_URL: deadBase })),
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^streamsign: Cloudflare API error: 10000 Authentication error \(HTTP 403, POST /,
    );
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      `streamsign: Cloudflare API answered HTTP 502 with a body that is not JSON (GET /accounts/${BROKEN}/stream/keys).\n`,
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      `streamsign: could not reach the Cloudflare API at ${deadBase} (ECONNREFUSED): check the network, or CLOUDFLARE_API_BASE_URL.\n`,
    );
    for (const result of [denied, broken, unreachable]) {
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toContain(API_TOKEN);
    }
  });

  it("missing or malformed settings are usage errors (exit 2) naming the variable or flag", async () => {
    const results = await Promise.all([
      run(["keys", "list"], {
        env: { CLOUDFLARE_API_TOKEN: API_TOKEN, CLOUDFLARE_API_BASE_URL: base },
      }),
      run(["keys", "list"], { env: { CLOUDFLARE_ACCOUNT_ID: OK, CLOUDFLARE_API_BASE_URL: base } }),
      run(["keys", "list", "--account", "my-account"], apiEnv(OK)),
      run(["keys", "list"], apiEnv(OK, { CLOUDFLARE_API_BASE_URL: "api.example" })),
      run(["keys", "revoke", "abc"], apiEnv(OK)),
      run(["keys", "revoke"], apiEnv(OK)),
      run(["keys", "list", "--out", "x.json"], apiEnv(OK)),
      run(["videos", "require-signed", "not-a-uid"], apiEnv(OK)),
      run(["videos", "require-signed"], apiEnv(OK)),
    ]);
    const messages = [
      /--account <id> or set CLOUDFLARE_ACCOUNT_ID/,
      /set CLOUDFLARE_API_TOKEN/,
      /--account is a 10-character value: it must be the 32-hex/,
      /CLOUDFLARE_API_BASE_URL "api\.example" is not an absolute URL/,
      /keys revoke: <id> is "abc"/,
      /missing <id>/,
      /--out belongs to keys create/,
      /<videoId> is a 9-character string/,
      /missing <videoId>/,
    ];
    results.forEach((result, i) => {
      expect(result.code, `case ${i}`).toBe(2);
      expect(result.stderr).toMatch(/^streamsign: .+\n$/);
      expect(result.stderr).toMatch(messages[i]!);
      expect(result.stderr).not.toContain(API_TOKEN);
    });
  });
});
