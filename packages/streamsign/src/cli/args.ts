// Argument parsing shared by every command: node:util parseArgs with errors rewritten
// into one safe line (never echoing a value, which may be a key or a token), plus the
// parsers for times, durations and video uids that several commands take.
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { VIDEO_ID_PATTERN } from "../claims.js";
import { parseDuration } from "../lib/duration.js";
import { CliError, EXIT_USAGE, type Streams } from "./io.js";

/** The value of a flag, safe to show: short, one line, and only when it cannot be a secret. */
export function showValue(value: string, limit = 40): string {
  if (looksLikeInlineSecret(value)) return "(a value that looks like a key or token)";
  const oneLine = value.replace(/[\r\n]+/g, " ");
  return JSON.stringify(oneLine.length > limit ? `${oneLine.slice(0, limit)}…` : oneLine);
}

/**
 * An id-shaped value for a message: echoed only when short and hex-like (Cloudflare account,
 * key and video ids are 32 hex characters); anything else may be an API token or key pasted
 * in the wrong place, so it is only described ("a 40-character value").
 */
export function showId(value: string, noun = "value"): string {
  return /^[0-9a-fA-F]{1,34}$/.test(value) ? `"${value}"` : `a ${value.length}-character ${noun}`;
}

/**
 * parseArgs with strict options and positionals allowed (commands count them). Its
 * errors become a CliError (exit 2) naming the flag, without the offending value.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    // Positionals are counted by the command (takePositionals), which words the errors safely.
    return parseArgs({ strict: true, allowPositionals: true, ...config } as T);
  } catch (error) {
    throw translateParseError(error, command);
  }
}

function translateParseError(error: unknown, command: string): CliError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : "";
  const flag = /'(-{1,2}[A-Za-z0-9][\w-]{0,40})/.exec(message)?.[1] ?? "an option";
  const help = `run \`streamsign ${command} --help\``;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new CliError(`${command}: unknown option ${flag}: ${help} for the options.`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (message.includes("argument missing")) {
      return new CliError(`${command}: ${flag} needs a value: ${help}.`);
    }
    if (message.includes("does not take an argument")) {
      return new CliError(`${command}: ${flag} is a switch and takes no value.`);
    }
    if (message.includes("ambiguous")) {
      return new CliError(
        `${command}: the value after ${flag} is missing or starts with "-": write it as ${flag}=<value> (a PEM, for example, starts with dashes).`,
      );
    }
    return new CliError(`${command}: ${flag} has an invalid value: ${help}.`);
  }
  return new CliError(`${command}: could not read the arguments: ${help}.`, EXIT_USAGE, {
    cause: error,
  });
}

/** Exactly `count` positionals (or at most, with `optional`); never echoes them. */
export function takePositionals(
  positionals: string[],
  command: string,
  names: string[],
  optional = 0,
): string[] {
  const required = names.length - optional;
  if (positionals.length < required) {
    throw new CliError(
      `${command}: missing <${names[positionals.length]}>: run \`streamsign ${command} --help\` for examples.`,
    );
  }
  if (positionals.length > names.length) {
    throw new CliError(
      `${command}: too many arguments (${positionals.length}; expected ${names.length === 0 ? "none" : names.map((n) => `<${n}>`).join(" ")}). Quote values with spaces; put flags before \`--\`.`,
    );
  }
  return positionals;
}

/** A video uid from a positional or flag, checked here so the message names where it came from. */
export function checkVideoArg(value: string, where: string): string {
  if (VIDEO_ID_PATTERN.test(value)) return value;
  const shown =
    value.split(".").length === 3
      ? "a token, not a video uid"
      : /^[0-9a-fA-F]{1,34}$/.test(value)
        ? `"${value}" (${value.length} characters)`
        : showId(value, "string");
  throw new CliError(
    `${where} is ${shown}: it must be the video uid, 32 hex characters (the \`uid\` in the Stream dashboard or API).`,
  );
}

/** Whole seconds from "90", "30s", "15m", "2h", "1d"; the message names the flag. */
export function parseDurationFlag(value: string, flag: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new CliError(
      `${flag} ${showValue(value, 20)} is not a duration: use whole seconds or one unit, like 90, 30s, 15m, 2h, 1d.`,
    );
  }
  return seconds;
}

/**
 * A point in time, as unix seconds: `now`, unix seconds, ISO 8601, or relative to now
 * (`+2h`, `-10m`; write `--flag=-10m`, since a value starting with "-" reads as a flag).
 */
export function parseTimeFlag(value: string, flag: string, nowSeconds: number): number {
  const text = value.trim();
  if (text === "now") return nowSeconds;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    if (seconds > 1e11) {
      throw new CliError(
        `${flag} ${showValue(text)} looks like milliseconds: give unix seconds (drop the last 3 digits).`,
      );
    }
    return seconds;
  }
  const relative = /^([+-])(.+)$/.exec(text);
  if (relative) {
    const seconds = parseDuration(relative[2]);
    if (seconds !== null) return nowSeconds + (relative[1] === "-" ? -seconds : seconds);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new CliError(
    `${flag} ${showValue(text)} is not a time: use unix seconds (1767225600), ISO 8601 (2026-01-01T00:00:00Z), relative (+2h, or ${flag}=-10m) or now.`,
  );
}

/** The text of a file named by a flag; the message names the flag and (short) path. */
export function readFlagFile(path: string, flag: string): string {
  if (looksLikeInlineSecret(path)) {
    throw new CliError(
      `${flag} takes a file path, and this value looks like key material or a token: pass the path of the file instead.`,
    );
  }
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : "it cannot be read";
    throw new CliError(`${flag} ${showValue(path, 80)}: ${why}.`, EXIT_USAGE, { cause: error });
  }
}

/** True for values that are surely not a path: PEM, JSON, long base64, a token. */
export function looksLikeInlineSecret(value: string): boolean {
  const text = value.trim();
  return (
    text.includes("\n") ||
    text.startsWith("-----") ||
    text.startsWith("{") ||
    /^eyJ[\w-]+\.[\w-]+\./.test(text) ||
    (text.length > 100 && /^[A-Za-z0-9+/=_.-]+$/.test(text))
  );
}

/** All of stdin as text, or a usage error when stdin is a terminal (nothing was piped). */
export async function readStdin(io: Streams, what: string): Promise<string> {
  if (io.stdin.isTTY) {
    throw new CliError(`${what}: pass it as an argument, or pipe it in.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > 1_000_000) throw new CliError(`${what}: stdin is over 1 MB; that is no token.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
