// Runs the benchmark harness the way `npm run bench` does, but short (--quick) and
// without touching docs/benchmarks.md (--no-write). It asserts that every row and
// every target is printed — never how fast anything was: the machine is shared.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const RUN = fileURLToPath(new URL("../bench/run.js", import.meta.url));
const BUILT = fileURLToPath(new URL("../dist/index.js", import.meta.url));

const ROW_LABELS = [
  "openssl speed rsa2048, 1 core: sign",
  "openssl speed -multi 2 rsa2048: sign",
  "streamsign sign, sequential",
  "streamsign sign, 16 in flight",
  "streamsign signMany, 256 per call",
  "jose SignJWT, key imported once",
  "jose SignJWT, 16 in flight",
  "fast-jwt createSigner",
  "jsonwebtoken, PEM string per call",
  "copy-paste snippet, importKey every call",
  "WebCrypto, key imported once",
  "node:crypto sign, key imported once",
  "node:crypto callback form, 16 in flight",
  "openssl speed rsa2048, 1 core: verify",
  "openssl speed -multi 2 rsa2048: verify",
  "streamsign verify (createVerifier)",
  "node:crypto verify, key imported once",
  "streamsign decodeToken",
  "streamsign sign, token cache hit",
];

const COLD_START_LABELS = [
  "Time to first token (key import + first sign, fresh process)",
  "CLI `streamsign sign <uid>` wall time",
  "Core for Workers, minified + gzip (everything exported)",
  "Signing only (`createSigner` + `streamUrls`), minified + gzip",
];

const TARGET_NAMES = [
  "Sequential signing ≥ 0.95× OpenSSL, 1 core",
  "16 in flight ≥ 1.8× OpenSSL, 1 core (2-core machine)",
  "Ours ÷ jose ≥ 1.25 (sequential, same run)",
  "Verify ≥ 0.8× OpenSSL verify, 1 core",
  "Token cache hit ≥ 100× faster than signing",
  "Core for Workers, minified + gzip < 8 KB",
];

/** A row line: its label, then a rate like `3,204/s`. */
function rowLine(output: string, label: string): string | undefined {
  return output.split("\n").find((line) => line.startsWith(label));
}

describe("bench/run.js --quick --no-write", () => {
  it("completes and prints every row, the cold-start figures and every target", () => {
    expect(existsSync(BUILT), "run `npm run build -w streamsign` first").toBe(true);
    const run = spawnSync(process.execPath, [RUN, "--quick", "--no-write"], {
      cwd: PACKAGE_DIR,
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const output = run.stdout;

    for (const label of ROW_LABELS) {
      const line = rowLine(output, label);
      expect(line, label).toBeDefined();
      expect(line, label).toMatch(/\s\d[\d,]*\/s\s/);
    }
    for (const label of COLD_START_LABELS) {
      expect(output).toContain(`${label}: `);
    }
    for (const name of TARGET_NAMES) {
      expect(output).toMatch(new RegExp(`^ {2}(met {4}|NOT MET) {2}${escapeRegExp(name)}: `, "m"));
    }
    // Peers are checked against our token before timing; a mismatch is printed as a note.
    expect(output).not.toContain("does not emit the same bytes");
    // The harness prints rates, never a token.
    expect(output).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }, 120_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
