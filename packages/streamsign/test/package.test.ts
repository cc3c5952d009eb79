// The published shape of the package: what a user gets from `import "streamsign"`.
// Needs the build (the root `npm test` builds first).
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(packageDir, "..", "..");
const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));

function distFiles(dir = join(packageDir, "dist")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? distFiles(join(dir, entry.name))
      : entry.name.endsWith(".js")
        ? [join(dir, entry.name)]
        : [],
  );
}

function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

describe("package", () => {
  it("has zero runtime dependencies, no side effects, and typed exports", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.type).toBe("module");
    expect(pkg.exports["."].types).toBe("./dist/index.d.ts");
    expect(pkg.exports["."].default).toBe("./dist/index.js");
  });

  it('resolves with import("streamsign") from a file at the repository root', async () => {
    const script = `
      const m = await import("streamsign");
      const names = ["createSigner", "signerFromEnv", "decodeToken", "verifyToken", "createVerifier",
        "evaluateAccess", "streamUrls", "createTokenCache", "StreamTokenError"];
      console.log(JSON.stringify(names.map((n) => [n, typeof m[n]])));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repoRoot,
    });
    for (const [name, type] of JSON.parse(stdout) as Array<[string, string]>)
      expect([name, type]).toEqual([name, "function"]);
  });

  it("keeps runtime-specific code in backend/node*.js only", () => {
    const offenders = distFiles()
      // backend/node.js and its own helpers (node-*.js) are the Node backend; cli/ is Node-only.
      .filter((file) => !/[/\\]backend[/\\]node(-[\w-]+)?\.js$/.test(file))
      .filter((file) => !file.includes(join("dist", "cli")))
      .filter((file) =>
        /from\s+["']node:|require\(|process\.|Buffer\./.test(
          withoutComments(readFileSync(file, "utf8")),
        ),
      )
      .map((file) => file.slice(packageDir.length));
    expect(offenders).toEqual([]);
  });

  it("selects the backend by package.json conditions: node for Node, WebCrypto for everyone else", () => {
    const backend = pkg.imports["#backend"];
    expect(backend.node.default).toBe("./dist/backend/node.js");
    expect(backend.default.default).toBe("./dist/backend/web.js");
  });
});
