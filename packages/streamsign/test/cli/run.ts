// Spawns the real, built bin (dist/cli/bin.js) with a controlled environment: no colour,
// no inherited STREAM_* or CLOUDFLARE_* variables. Build first: `npm run build -w streamsign`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/cli/bin.js", import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /**
   * Run the bin under `/bin/sh -c 'ulimit -f N; exec node …'`: files it writes are cut at N
   * blocks, as on a full disk or quota (Node ignores SIGXFSZ, so write() fails with EFBIG).
   */
  fileSizeLimitBlocks?: number;
}

export function assertBuilt(): void {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build -w streamsign\` before the CLI tests.`);
  }
}

export function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const limit = options.fileSizeLimitBlocks;
    const [command, argv] =
      limit === undefined
        ? [process.execPath, [BIN, ...args]]
        : [
            "/bin/sh",
            [
              "-c",
              `ulimit -f ${Math.floor(limit)} && exec "$0" "$@"`,
              process.execPath,
              BIN,
              ...args,
            ],
          ];
    const child = spawn(command, argv, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1", ...options.env },
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
