// Test harness: bundle a Worker with esbuild and serve it from a real `workerd`
// process (the binary the npm package `workerd` ships), on 127.0.0.1 only.
// Reused by every test that must prove code runs on Cloudflare Workers.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** Conditions a Worker bundle resolves with: the ones wrangler uses for Workers. */
export const WORKER_CONDITIONS: readonly string[] = ["workerd", "worker", "browser"];

/**
 * The compatibility date workers get unless a test asks for another. Fixed (not
 * "today") so behaviour does not drift, and older than the installed workerd's
 * build, which rejects dates newer than itself.
 */
export const DEFAULT_COMPATIBILITY_DATE = "2025-09-01";

/** How long workerd may take to start answering before the harness gives up. */
const STARTUP_DEADLINE_MS = 20_000;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** Enough of workerd's output to explain a failure, not enough to flood a report. */
const OUTPUT_LIMIT = 16_384;
/** Attempts when another process grabs the free port between probe and bind. */
const PORT_ATTEMPTS = 3;

/** Options of {@link bundleWorker}. */
export interface BundleWorkerOptions {
  /** package.json conditions to resolve with; default {@link WORKER_CONDITIONS}. */
  conditions?: string[];
  /** esbuild `define`: identifier → JavaScript expression text. */
  define?: Record<string, string>;
}

/**
 * Bundles a Worker entry into one ES module, resolved the way Workers resolve
 * packages (`workerd`/`worker`/`browser` conditions, never `node`). Throws when the
 * bundle still mentions `node:crypto`: a Worker without `nodejs_compat` has no such
 * module, so that would mean the runtime-neutral backend was not picked.
 *
 * @example
 * ```ts
 * await bundleWorker(fileURLToPath(new URL("./workerd/conformance-worker.ts", import.meta.url)), join(dir, "worker.js"));
 * ```
 */
export async function bundleWorker(
  entry: string,
  outfile: string,
  options: BundleWorkerOptions = {},
): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: options.conditions ?? [...WORKER_CONDITIONS],
    target: "es2022",
    define: options.define ?? {},
    logLevel: "silent",
  });
  const code = await readFile(outfile, "utf8");
  if (code.includes("node:crypto")) {
    throw new Error(
      `bundleWorker: ${outfile} imports node:crypto; Workers have no node:crypto, so the WebCrypto backend was not selected (check the package.json "imports" conditions).`,
    );
  }
}

/** Options of {@link startWorkerd}. */
export interface StartWorkerdOptions {
  /** An ES module (usually from {@link bundleWorker}) whose default export has `fetch`. */
  modulePath: string;
  /** Text bindings: `env[name]` is the string, byte for byte. */
  textBindings?: Record<string, string>;
  /** Default {@link DEFAULT_COMPATIBILITY_DATE}. */
  compatibilityDate?: string;
  compatibilityFlags?: string[];
}

/** A running workerd serving one Worker. */
export interface RunningWorkerd {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Kills workerd (SIGTERM, then SIGKILL) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a real `workerd` serving one ES-module Worker on a free 127.0.0.1 port
 * and resolves once it answers HTTP. Rejects with workerd's own output when it
 * does not come up within 20 s. Always pair it with `stop()` (in `afterAll`).
 *
 * @example
 * ```ts
 * const workerd = await startWorkerd({ modulePath, textBindings: { STREAM_KEY: pem } });
 * try {
 *   const response = await fetch(`${workerd.url}/sign`);
 * } finally {
 *   await workerd.stop();
 * }
 * ```
 */
export async function startWorkerd(options: StartWorkerdOptions): Promise<RunningWorkerd> {
  const compatibilityDate = options.compatibilityDate ?? DEFAULT_COMPATIBILITY_DATE;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate)) {
    throw new Error(`startWorkerd: compatibilityDate must be YYYY-MM-DD, got ${compatibilityDate}`);
  }
  const flags = options.compatibilityFlags ?? [];
  for (const flag of flags) {
    if (!/^[a-z0-9_]+$/.test(flag))
      throw new Error(`startWorkerd: invalid compatibility flag ${JSON.stringify(flag)}`);
  }
  const bindings = Object.entries(options.textBindings ?? {});
  for (const [name] of bindings) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name))
      throw new Error(`startWorkerd: invalid binding name ${JSON.stringify(name)}`);
  }

  const dir = await mkdtemp(join(tmpdir(), "streamsign-workerd-"));
  try {
    // Everything goes through `embed` of files next to the config, so no value ever
    // needs capnp string escaping (PEM newlines, JSON quotes). Key files: 0600.
    await copyFile(options.modulePath, join(dir, "worker.mjs"));
    const bindingLines: string[] = [];
    for (const [index, [name, value]] of bindings.entries()) {
      const file = `binding-${index}.txt`;
      await writeFile(join(dir, file), value, { mode: 0o600 });
      bindingLines.push(`    (name = "${name}", text = embed "${file}"),`);
    }
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      await writeFile(
        join(dir, "config.capnp"),
        workerdConfig({ port, compatibilityDate, flags, bindingLines }),
      );
      try {
        return await launch(dir, port);
      } catch (error) {
        if (attempt < PORT_ATTEMPTS && error instanceof PortTakenError) continue;
        throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function workerdConfig(parts: {
  port: number;
  compatibilityDate: string;
  flags: string[];
  bindingLines: string[];
}): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .mainWorker)],
  sockets = [(name = "http", address = "127.0.0.1:${parts.port}", http = (), service = "main")],
);

const mainWorker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "${parts.compatibilityDate}",
  compatibilityFlags = [${parts.flags.map((flag) => `"${flag}"`).join(", ")}],
  bindings = [
${parts.bindingLines.join("\n")}
  ],
);
`;
}

/** Path of the workerd binary from the npm package (its main export is that path). */
function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  const main = require("workerd") as { default?: unknown };
  if (typeof main.default === "string") return main.default;
  return require.resolve("workerd/bin/workerd");
}

/** Binds port 0, reads the port the kernel chose, and releases it for workerd. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

class PortTakenError extends Error {}

/**
 * workerd processes not yet stopped. If the test process dies without running
 * `afterAll` (a crash, a killed worker), they are killed on its way out instead of
 * lingering on the shared machine.
 */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

async function launch(dir: string, port: number): Promise<RunningWorkerd> {
  const child = spawn(workerdBinary(), ["serve", join(dir, "config.capnp"), "config"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<string>((resolve) => {
    // "close" (not "exit") fires after stdout/stderr drain, so `output` is complete.
    child.once("close", (code, signal) => {
      live.delete(child);
      resolve(signal ?? `code ${code}`);
    });
    child.once("error", (error) => {
      live.delete(child);
      resolve(`spawn error: ${error.message}`);
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await kill(child, exited);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
  });
  try {
    while (true) {
      if (exitReason !== undefined) {
        const failure = `workerd exited during startup (${exitReason}):\n${output.trim()}`;
        throw /address already in use/i.test(output)
          ? new PortTakenError(failure)
          : new Error(failure);
      }
      if (await answers(url)) return { url, stop };
      if (Date.now() > deadline) {
        throw new Error(
          `workerd did not answer on ${url} within ${STARTUP_DEADLINE_MS / 1000} s:\n${output.trim()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    // Kill the process but leave the dir: the caller may retry with a new port.
    await kill(child, exited);
    throw error;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    // Any HTTP answer, even a 404 or 500 from the Worker, means workerd is serving.
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function kill(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = new Promise<"timeout">((resolve) => {
    setTimeout(() => resolve("timeout"), STOP_GRACE_MS).unref();
  });
  if ((await Promise.race([exited, timer])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}
