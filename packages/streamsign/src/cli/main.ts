import { readFileSync } from "node:fs";
import * as check from "./commands/check.js";
import * as decode from "./commands/decode.js";
import * as demo from "./commands/demo.js";
import * as keygen from "./commands/keygen.js";
import * as keys from "./commands/keys.js";
import * as sign from "./commands/sign.js";
import * as verify from "./commands/verify.js";
import * as videos from "./commands/videos.js";
import { CliError, describeError, EXIT_USAGE, type Streams } from "./io.js";

export type Command = (args: string[], io: Streams) => Promise<number>;

interface CommandEntry {
  run: Command;
  summary: string;
  /** The full `--help` text, with examples. */
  help: string;
}

export const COMMANDS: Record<string, CommandEntry> = {
  sign: {
    run: sign.run,
    help: sign.HELP,
    summary: "sign a token for a video (or print its HLS/DASH/iframe URL)",
  },
  decode: {
    run: decode.run,
    help: decode.HELP,
    summary: "show a token's header, claims, times and rules (no key needed)",
  },
  verify: {
    run: verify.run,
    help: verify.HELP,
    summary: "check a token's signature and times, and a viewer against its rules",
  },
  check: {
    run: check.run,
    help: check.HELP,
    summary: "lint a token or access rules for mistakes Cloudflare accepts silently",
  },
  keygen: {
    run: keygen.run,
    help: keygen.HELP,
    summary: "make a local RSA-2048 key in Cloudflare's { id, pem, jwk } shape",
  },
  keys: {
    run: keys.run,
    help: keys.HELP,
    summary: "create, list or revoke your Stream signing keys (Cloudflare API)",
  },
  videos: {
    run: videos.run,
    help: videos.HELP,
    summary: "require signed URLs on a video: videos require-signed <videoId>",
  },
  demo: {
    run: demo.run,
    help: demo.HELP,
    summary: "sign a sample token with STREAM_KEY or a throw-away key, and show it all",
  },
};

/** True when --help / -h appears before any `--` terminator. */
function wantsHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`,
  );
  return [
    "streamsign: Cloudflare Stream signed URLs",
    "",
    "Usage: streamsign <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options: --help (on any command), --version, --debug (stack traces)",
    "Run `streamsign <command> --help` for a command's options and examples.",
    "",
    "Exit codes: 0 ok, 1 failed verification, blocked viewer, lint errors, API failure or a",
    "key file not written, 2 usage or validation error. Errors are one line on stderr.",
  ].join("\n");
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[], io: Streams): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((arg) => arg !== "--debug");
  const [name, ...rest] = args;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(`${usage()}\n`);
      return name === undefined ? EXIT_USAGE : 0;
    }
    if (name === "--version" || name === "-v") {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (entry === undefined) {
      // Echo the name only when it cannot be a token or key someone pasted in the wrong place.
      const shown = /^[\w-]{1,24}$/.test(name) ? ` "${name}"` : "";
      throw new CliError(`unknown command${shown}: run \`streamsign --help\` for the list.`);
    }
    if (wantsHelp(rest)) {
      io.stdout.write(entry.help);
      return 0;
    }
    return await entry.run(rest, io);
  } catch (error) {
    io.stderr.write(`streamsign: ${describeError(error)}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (debug && error instanceof Error && error.cause instanceof Error && error.cause.stack) {
      io.stderr.write(`cause: ${error.cause.stack}\n`);
    }
    return error instanceof CliError ? error.exitCode : EXIT_USAGE;
  }
}
