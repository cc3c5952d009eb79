// Cold start: time to the first token in a fresh process, the CLI's wall time for
// `streamsign sign <uid>`, and the size of the core as bundled for Workers.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { KEY_ID, PKCS1_PEM, VIDEO_IDS } from "./inputs.js";
import { median } from "./measure.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const FIRST_TOKEN_SCRIPT = fileURLToPath(new URL("./first-token.js", import.meta.url));
const CLI_BIN = fileURLToPath(new URL("../dist/cli/bin.js", import.meta.url));
const TOKEN_PATTERN = /\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

/** Spawns `first-token.js` `runs` times; medians of its timings and of the process's wall time. */
export function measureFirstToken(runs) {
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const child = spawnSync(process.execPath, [FIRST_TOKEN_SCRIPT], { encoding: "utf8" });
    const wallMs = performance.now() - start;
    if (child.status !== 0) throw new Error(`first-token.js failed (exit ${child.status})`);
    samples.push({ ...JSON.parse(child.stdout), wallMs });
  }
  const med = (name) => median(samples.map((sample) => sample[name]));
  return {
    runs,
    moduleLoadMs: med("moduleLoadMs"),
    keyImportMs: med("keyImportMs"),
    firstSignMs: med("firstSignMs"),
    firstTokenMs: med("firstTokenMs"),
    processWallMs: med("wallMs"),
  };
}

/**
 * The CLI's wall time for `streamsign sign <uid>` with STREAM_KEY/STREAM_KEY_ID set.
 * The command may not exist yet: then `available` is false with the reason, and the
 * row reads "n/a". It is picked up automatically once `sign --help` works.
 */
export function measureCliSign(runs) {
  const help = spawnSync(process.execPath, [CLI_BIN, "sign", "--help"], { encoding: "utf8" });
  if (help.status !== 0) {
    return { available: false, reason: "`streamsign sign --help` does not work yet" };
  }
  const env = { ...process.env, STREAM_KEY: PKCS1_PEM, STREAM_KEY_ID: KEY_ID, NO_COLOR: "1" };
  const walls = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const child = spawnSync(process.execPath, [CLI_BIN, "sign", VIDEO_IDS[0]], {
      encoding: "utf8",
      env,
    });
    const wallMs = performance.now() - start;
    // Never print the CLI's output: it holds a whole token.
    if (child.status !== 0 || !TOKEN_PATTERN.test(child.stdout)) {
      return {
        available: false,
        reason: `\`streamsign sign <uid>\` exited ${child.status} without a token on stdout`,
      };
    }
    walls.push(wallMs);
  }
  return { available: true, runs, wallMs: median(walls) };
}

/**
 * Bundles the package as a Worker would (esbuild, workerd/worker/browser conditions,
 * minified) and gzips it: once with everything it exports, once with just the
 * signing path a Worker needs.
 */
export async function measureWorkerBundle() {
  return {
    all: await bundleSize('export * from "streamsign";'),
    signing: await bundleSize('export { createSigner, streamUrls } from "streamsign";'),
  };
}

async function bundleSize(contents) {
  const result = await build({
    stdin: { contents, resolveDir: BENCH_DIR, loader: "js" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    minify: true,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const [output] = Object.values(result.metafile.outputs);
  const largest = Object.entries(output.inputs)
    .map(([file, input]) => [file.replace(/^.*?dist\//, ""), input.bytesInOutput])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
  return {
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    // The Workers build must not drag in the Node backend.
    importsNode: /\bnode:/.test(new TextDecoder().decode(code)),
    largest,
  };
}
