#!/usr/bin/env node
// Load test: drives the real Node server (dist/node.js) with autocannon for a fixed
// time, then measures this machine's raw RSA-2048 signing rate with
// `openssl speed -multi 2 rsa2048`, so tokens/s can be read against what the CPU can do.
// Fails (exit 1) when any response is not 2xx. Not part of `npm test`: timings on a
// shared machine are for reading, never for asserting.
//
//   npm run load                       # 10 s
//   npm run load -- --duration 30 --connections 64
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const BIN = here("../dist/node.js");
// Test-only throw-away key from the library's fixtures: never a real one.
const KEY_PEM = readFileSync(
  here("../../streamsign/test/fixtures/keys/test-rsa2048.pkcs1.pem"),
  "utf8",
);
const KEY_ID = "8f926b2b01f383510284a5a1d7a1c1ac";
const API_KEY = "load-test-api-key-0123456789abcdef";
const VIDEO_ID = "5d5bc37ffcf54c9b82e996823bffbb81";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`load: --${name} needs a positive whole number`);
    process.exit(2);
  }
  return value;
}

const duration = option("duration", 10);
const connections = option("connections", 32);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      STREAMSIGN_API_KEYS: API_KEY,
      STREAM_KEY: KEY_PEM,
      STREAM_KEY_ID: KEY_ID,
      STREAM_CUSTOMER_CODE: "f33zs165nr7gyfy4",
      STREAMSIGN_RATE_LIMIT: "off",
    },
    // Request logs (one line per request) are drained, not kept.
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("close", resolve));
  const url = await new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk) => {
      buffer += chunk.toString("utf8");
      for (const line of buffer.split("\n").slice(0, -1)) {
        if (line.includes('"event":"listening"')) {
          child.stdout.off("data", onData);
          child.stdout.resume();
          resolve(JSON.parse(line).url);
          return;
        }
      }
    };
    child.stdout.on("data", onData);
    exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function opensslSignsPerSecond() {
  const result = spawnSync("openssl", ["speed", "-seconds", "5", "-multi", "2", "rsa2048"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.error || result.status !== 0) return undefined;
  // OpenSSL 3: "rsa 2048 bits 0.000597s 0.000071s   1676.4  14071.9" (sign, verify, sign/s, verify/s)
  const match = /^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)/m.exec(result.stdout);
  return match ? Number(match[1]) : undefined;
}

const server = await startServer();
let result;
try {
  console.log(
    `load: POST ${server.url}/v1/tokens for ${duration}s with ${connections} connections…`,
  );
  result = await autocannon({
    url: `${server.url}/v1/tokens`,
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ videoId: VIDEO_ID, expiresIn: "1h" }),
    duration,
    connections,
  });
} finally {
  await server.stop();
}

console.log("load: openssl speed -seconds 5 -multi 2 rsa2048 …");
const opensslSigns = opensslSignsPerSecond();
const tokensPerSecond = result.requests.average;
const failures = result.non2xx + result.errors + result.timeouts;
const rows = [
  ["tokens/s (mean)", tokensPerSecond.toFixed(0)],
  ["latency p50", `${result.latency.p50} ms`],
  ["latency p99", `${result.latency.p99} ms`],
  ["requests", String(result.requests.total)],
  ["non-2xx", String(result.non2xx)],
  ["errors / timeouts", `${result.errors} / ${result.timeouts}`],
  [
    "openssl rsa2048 sign/s (2 procs)",
    opensslSigns === undefined ? "n/a (openssl missing?)" : opensslSigns.toFixed(0),
  ],
  [
    "service / raw openssl",
    opensslSigns === undefined ? "n/a" : `${((tokensPerSecond / opensslSigns) * 100).toFixed(0)}%`,
  ],
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log("");
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
if (failures > 0) {
  console.error(`\nload: FAILED: ${failures} requests did not get a 2xx answer.`);
  process.exit(1);
}
console.log("\nload: ok, every response was 2xx.");
