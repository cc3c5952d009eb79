import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { chmod, type FileHandle, mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, requireBuiltBin, spawnServer } from "./support/node-server.js";
import {
  API_KEY,
  CUSTOMER_CODE,
  KEY_B_PEM,
  KEY_PEM,
  PUBLIC_B_PEM,
  PUBLIC_PEM,
  TEST_KID,
  TEST_KID_B,
  VIDEO_ID,
  verifyWithJwks,
  verifyWithPublicKey,
} from "./support/service.js";

const ringA = JSON.stringify({ active: TEST_KID, keys: { [TEST_KID]: KEY_PEM } });
const ringAB = JSON.stringify({
  active: TEST_KID_B,
  keys: { [TEST_KID]: KEY_PEM, [TEST_KID_B]: KEY_B_PEM },
});

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function issue(
  url: string,
  headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` },
) {
  return fetch(`${url}/v1/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ videoId: VIDEO_ID, bindViewerIp: true }),
  });
}

describe("the real Node server (dist/node.js)", () => {
  const servers: RunningServer[] = [];
  let dir: string;
  let keyringFile: string;

  beforeAll(async () => {
    requireBuiltBin();
    dir = await mkdtemp(join(tmpdir(), "streamsign-server-test-"));
    keyringFile = join(dir, "keyring.json");
  });

  afterAll(async () => {
    try {
      await Promise.all(servers.map((server) => server.stop()));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const start = async (env: Record<string, string>, args: string[] = []) => {
    const server = await spawnServer(env, args);
    servers.push(server);
    return server;
  };

  it("serves tokens that jose verifies, reloads keys on SIGHUP without failing in-flight requests, and stops on SIGTERM", async () => {
    await writeSecret(keyringFile, ringA);
    expect((await stat(keyringFile)).mode & 0o777).toBe(0o600);
    const server = await start({
      STREAMSIGN_API_KEYS: API_KEY,
      STREAMSIGN_KEYRING_FILE: keyringFile,
      STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
      STREAMSIGN_RATE_LIMIT: "off",
    });
    const listening = await server.waitFor((event) => event.event === "listening");
    expect(listening).toMatchObject({ address: "127.0.0.1", url: server.url, activeKid: TEST_KID });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await issue(server.url, {})).status).toBe(401);
    const first = await issue(server.url);
    expect(first.status).toBe(201);
    const before = ((await first.json()) as { token: string }).token;
    const claims = await verifyWithPublicKey(before, PUBLIC_PEM);
    // The socket address (127.0.0.1) is the viewer: bound to its /24.
    expect(claims.accessRules).toEqual([
      { type: "ip.src", action: "allow", ip: ["127.0.0.0/24"] },
      { type: "any", action: "block" },
    ]);

    // Rotate: new file content, SIGHUP while requests are in flight.
    await writeSecret(keyringFile, ringAB);
    const inFlight = Array.from({ length: 40 }, () => issue(server.url));
    server.child.kill("SIGHUP");
    const more = Array.from({ length: 40 }, () => issue(server.url));
    const reloaded = await server.waitFor((event) => event.event === "keys_reloaded");
    expect(reloaded).toMatchObject({ activeKid: TEST_KID_B, keys: 2 });
    const responses = await Promise.all([...inFlight, ...more]);
    expect(responses.map((response) => response.status).filter((status) => status !== 201)).toEqual(
      [],
    );

    const after = ((await (await issue(server.url)).json()) as { token: string }).token;
    expect((await verifyWithPublicKey(after, PUBLIC_B_PEM)).kid).toBe(TEST_KID_B);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect((await verifyWithJwks(before, jwks)).kid).toBe(TEST_KID);
    expect((await verifyWithJwks(after, jwks)).kid).toBe(TEST_KID_B);
    for (const response of responses) {
      await verifyWithJwks(((await response.json()) as { token: string }).token, jwks);
    }

    // A broken file on reload keeps the previous keys.
    await writeSecret(keyringFile, "{broken");
    server.child.kill("SIGHUP");
    await server.waitFor((event) => event.event === "keys_reload_failed");
    expect(server.stderr()).toContain("STREAMSIGN_KEYRING_FILE");
    expect((await issue(server.url)).status).toBe(201);

    // Logs never carry a token or the API key.
    const log = JSON.stringify(server.events) + server.stderr();
    expect(log).not.toContain(API_KEY);
    expect(log).not.toContain(before.split(".")[2]);

    expect(await server.stop()).toBe(0);
    expect(server.events.some((event) => event.event === "shutting_down")).toBe(true);
  });

  // The key file is a FIFO, so start-up blocks reading it until the test writes: the
  // SIGHUP provably arrives before the service is ready, with no timing involved.
  it.skipIf(process.platform === "win32")(
    "survives a SIGHUP during start-up and reloads once ready",
    async () => {
      const fifo = join(dir, "keyring.fifo");
      execFileSync("mkfifo", ["-m", "600", fifo]);
      const server = await start({
        STREAMSIGN_API_KEYS: API_KEY,
        STREAMSIGN_KEYRING_FILE: fifo,
        STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
        STREAMSIGN_RATE_LIMIT: "off",
      });
      /**
       * Opens the FIFO for writing, which completes once the server opens it to read
       * its keys. Should the server exit instead, a reader of our own releases the
       * open, so the test fails rather than hangs.
       */
      const whenServerReads = async (): Promise<FileHandle> => {
        const opening = open(fifo, "w");
        const exited = await Promise.race([
          opening.then(() => false),
          server.exited.then(() => true),
        ]);
        if (!exited) return opening;
        await (await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK)).close();
        await (await opening).close();
        throw new Error(`the server exited before reading its keys; stderr:\n${server.stderr()}`);
      };
      const writeAndClose = async (handle: FileHandle, content: string) => {
        try {
          await handle.writeFile(content);
        } finally {
          await handle.close();
        }
      };

      const startup = await whenServerReads(); // the server is loading its keys: not ready
      try {
        server.child.kill("SIGHUP");
        await server.waitFor((event) => event.event === "keys_reload_deferred");
      } finally {
        // Should the server have died, this write fails (EPIPE): keep the error above.
        await writeAndClose(startup, ringA).catch(() => {});
      }
      expect(await server.waitFor((event) => event.event === "listening")).toMatchObject({
        activeKid: TEST_KID,
      });
      // The remembered reload reads the key source again.
      await writeAndClose(await whenServerReads(), ringAB);
      expect(await server.waitFor((event) => event.event === "keys_reloaded")).toMatchObject({
        activeKid: TEST_KID_B,
        keys: 2,
      });
      const response = await issue(server.url);
      expect(response.status).toBe(201);
      const { token } = (await response.json()) as { token: string };
      expect((await verifyWithPublicKey(token, PUBLIC_B_PEM)).kid).toBe(TEST_KID_B);
      expect(await server.stop()).toBe(0);
    },
  );

  it("exits non-zero before listening, naming the variable, on a bad key config", async () => {
    for (const [env, variable] of [
      [
        {
          STREAMSIGN_API_KEYS: API_KEY,
          STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
          STREAM_KEY: "garbage",
          STREAM_KEY_ID: TEST_KID,
        },
        "STREAM_KEY",
      ],
      [
        { STREAMSIGN_API_KEYS: API_KEY, STREAM_CUSTOMER_CODE: CUSTOMER_CODE, STREAM_KEY: KEY_PEM },
        "STREAM_KEY_ID",
      ],
      [{ STREAMSIGN_API_KEYS: API_KEY, STREAM_CUSTOMER_CODE: CUSTOMER_CODE }, "STREAM_KEY"],
      [
        { STREAM_CUSTOMER_CODE: CUSTOMER_CODE, STREAM_KEY: KEY_PEM, STREAM_KEY_ID: TEST_KID },
        "STREAMSIGN_API_KEYS",
      ],
    ] as const) {
      const server = await start({ ...env });
      const code = await server.exited;
      expect(code).toBe(1);
      expect(server.events.filter((event) => event.event === "listening")).toEqual([]);
      expect(server.stderr()).toContain(`configuration error in ${variable}`);
      expect(server.stderr()).not.toContain("MII");
    }
  });

  it("--insecure-dev serves without API keys, with a throw-away key and a loud warning", async () => {
    const server = await start({}, ["--insecure-dev"]);
    await server.waitFor((event) => event.event === "listening");
    expect(server.stderr()).toMatch(/NO AUTHENTICATION/);
    const response = await issue(server.url, {});
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    await expect(verifyWithPublicKey(token, PUBLIC_PEM)).rejects.toThrow();
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    expect((await verifyWithJwks(token, jwks)).sub).toBe(VIDEO_ID);
    expect(await server.stop()).toBe(0);
  });

  it("--insecure-dev listens on 127.0.0.1 when HOST is not set, and says so", async () => {
    // HOST="" counts as unset (the harness would otherwise pass HOST=127.0.0.1).
    const server = await start({ HOST: "" }, ["--insecure-dev"]);
    const listening = await server.waitFor((event) => event.event === "listening");
    expect(listening).toMatchObject({ address: "127.0.0.1", url: server.url });
    expect(server.stderr()).toMatch(/Listening on 127\.0\.0\.1 only/);
    expect((await issue(server.url, {})).status).toBe(201);
    expect(await server.stop()).toBe(0);
  });

  it("refuses unknown arguments", async () => {
    const server = await start({}, ["--insecure"]);
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain("unknown argument");
  });
});
