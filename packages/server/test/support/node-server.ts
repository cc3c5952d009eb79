// Runs the real bin (`node packages/server/dist/node.js`) on a free 127.0.0.1 port.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/node.js", import.meta.url));

/** Fails early, with the fix, when the bin has not been built. */
export function requireBuiltBin(): void {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` at the repository root first.`);
  }
}

/** Binds port 0 on 127.0.0.1, reads the port the kernel chose, and releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** stdout JSON lines so far, parsed. */
  events: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the first stdout event matching, or rejects after `timeoutMs`. */
  waitFor(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when gone. Safe to call twice. */
  stop(): Promise<number | string>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Spawns the bin with exactly `env` (plus PATH), HOST=127.0.0.1 and a free PORT. */
export async function spawnServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    match: (event: Record<string, unknown>) => boolean;
    resolve: (event: Record<string, unknown>) => void;
  }> = [];
  let errText = "";
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === "") continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.resolve(event);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    errText += chunk.toString("utf8");
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("close", (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
  });

  const waitFor: RunningServer["waitFor"] = (match, timeoutMs = 15_000) => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for an event; stderr:\n${errText}`)),
        timeoutMs,
      );
      void exited.then((code) =>
        reject(new Error(`server exited (${code}) while waiting; stderr:\n${errText}`)),
      );
      waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  };

  let stopping: Promise<number | string> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    })();
    return stopping;
  };

  return {
    child,
    url: `http://127.0.0.1:${port}`,
    events,
    stderr: () => errText,
    waitFor,
    exited,
    stop,
  };
}
