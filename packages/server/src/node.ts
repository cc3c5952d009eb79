#!/usr/bin/env node
// The Node entry (bin `streamsign-server`): env → options, a socket, signals. No logic.
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createApp } from "./app.js";
import { type LoadedService, loadService } from "./config.js";
import { ConfigError } from "./config-error.js";
import type { Keyring } from "./options.js";
import { createTokenBucketLimiter } from "./rate-limit.js";

const writeLine = (line: string) => process.stdout.write(`${line}\n`);

// SIGHUP's default action kills the process, and a supervisor may send it while we
// are still loading keys or binding the port. So the handler goes in before
// anything else; until the service is ready a SIGHUP is remembered, and one reload
// runs once it listens (a reload then re-reads the key source anyway).
let reloadKeys: (() => void) | undefined;
let reloadPending = false;
process.on("SIGHUP", () => {
  if (reloadKeys !== undefined) {
    reloadKeys();
  } else if (!reloadPending) {
    reloadPending = true;
    writeLine(JSON.stringify({ event: "keys_reload_deferred", reason: "starting" }));
  }
});

const USAGE = `Usage: streamsign-server [--insecure-dev]

Serves Cloudflare Stream tokens over HTTP. Configuration comes from the environment
(HOST, PORT, STREAMSIGN_API_KEYS, STREAM_KEY, STREAM_KEY_ID, STREAM_CUSTOMER_CODE, …);
see docs/server.md. SIGHUP reloads the keys; SIGTERM stops gracefully.

  --insecure-dev  no API keys, a throw-away signing key: for trying it out only;
                  listens on 127.0.0.1 unless HOST is set
  --help          this text
`;

/** How long SIGTERM waits for in-flight requests before giving up. */
const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string, exitCode = 1): never {
  process.stderr.write(`streamsign-server: ${message}\n`);
  process.exit(exitCode);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 8787;
  const port = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new ConfigError("PORT", "PORT must be a whole number from 0 to 65535.");
  }
  return port;
}

/** Where `--insecure-dev` listens when HOST is not set: this machine only. */
const INSECURE_DEV_HOST = "127.0.0.1";

function warnInsecure(keyring: Keyring, hostname: string, hostFromEnv: boolean): void {
  const bar = "!".repeat(78);
  const where = hostFromEnv
    ? `!! Listening on HOST=${JSON.stringify(hostname.slice(0, 40))} as set: check who can reach it.\n`
    : `!! Listening on ${INSECURE_DEV_HOST} only (the default under --insecure-dev; set HOST\n!! to change it).\n`;
  process.stderr.write(
    `${bar}\n!! streamsign-server --insecure-dev: NO AUTHENTICATION. Anyone who can reach this\n` +
      `!! port gets tokens. Signing with a THROW-AWAY key (kid ${keyring.active.keyId}) that\n` +
      `!! Cloudflare does not know, so its tokens play nothing. Never deploy this.\n${where}${bar}\n`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const unknown = args.find((arg) => arg !== "--insecure-dev");
  if (unknown !== undefined)
    fail(`unknown argument ${JSON.stringify(unknown.slice(0, 40))}\n\n${USAGE}`, 2);
  const insecureDev = args.includes("--insecure-dev");

  let service: LoadedService;
  let port: number;
  try {
    port = parsePort(process.env.PORT);
    service = await loadService(process.env, {
      insecureDev,
      readFile: (path) => readFile(path, "utf8"),
    });
  } catch (error) {
    if (error instanceof ConfigError)
      fail(`configuration error in ${error.variable}: ${error.message}`);
    throw error;
  }
  const hostFromEnv = process.env.HOST?.trim() || undefined;
  // Without auth, the safe default is this machine only; HOST still wins when set.
  const hostname = hostFromEnv ?? (insecureDev ? INSECURE_DEV_HOST : "0.0.0.0");
  if (insecureDev) warnInsecure(service.keyring, hostname, hostFromEnv !== undefined);

  let keyring = service.keyring;
  const app = createApp({
    config: service.config,
    keys: () => keyring,
    log: writeLine,
    rateLimiter: service.rateLimit && createTokenBucketLimiter(service.rateLimit),
    clientAddress: (c) => getConnInfo(c).remote.address,
  });

  // SIGHUP: read the key source again and swap the keyring. Requests already
  // running keep the snapshot they started with; a failed reload keeps the old keys.
  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        keyring = await service.reloadKeys();
        writeLine(
          JSON.stringify({
            event: "keys_reloaded",
            activeKid: keyring.active.keyId,
            keys: keyring.signers.length,
          }),
        );
      } catch (error) {
        const message =
          error instanceof ConfigError ? error.message : "the keys could not be loaded";
        process.stderr.write(
          `streamsign-server: reload failed, still serving the previous keys: ${message}\n`,
        );
        writeLine(
          JSON.stringify({
            event: "keys_reload_failed",
            variable: error instanceof ConfigError ? error.variable : undefined,
          }),
        );
      }
    });
  };

  const server = serve({ fetch: app.fetch, hostname, port }, (info: AddressInfo) => {
    // One JSON line a supervisor (or a test) can parse to learn the real port.
    writeLine(
      JSON.stringify({
        event: "listening",
        address: info.address,
        port: info.port,
        url: `http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port}`,
        activeKid: keyring.active.keyId,
      }),
    );
    // Ready: from now on SIGHUP reloads at once, and one that came during start-up runs now.
    reloadKeys = reload;
    if (reloadPending) reload();
  });
  server.on("error", (error: NodeJS.ErrnoException) =>
    fail(`cannot listen on ${hostname}:${port}: ${error.code ?? error.message}`),
  );

  const shutdown = (signal: string) => {
    writeLine(JSON.stringify({ event: "shutting_down", signal }));
    // Stop accepting, let in-flight requests finish, then exit.
    server.close(() => process.exit(0));
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) =>
  fail(`could not start: unexpected ${error instanceof Error ? error.name : "error"}.`),
);
