// All of the CLI's terminal I/O conventions: colour only on a TTY and never with
// NO_COLOR (https://no-color.org), one-line errors, exit codes.
import { StreamTokenError } from "../errors.js";

export interface Streams {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Exit codes: 0 ok, 1 failed verification or blocked viewer, 2 usage or validation error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Painter {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function painter(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Painter {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (text: string) =>
    on ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

const escapeControl = (char: string): string =>
  `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Text that came from a token, a rules file or an API response, made safe to print: every
 * C0 and C1 control character (ESC, CSI, newline, …) becomes a visible escape like
 * `\u001b`, so it cannot move the cursor, clear the screen or forge extra lines.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapeControl);
}

/**
 * JSON.stringify for output: JSON already escapes C0 controls, but not DEL and the C1 range
 * (U+0080–U+009F, where U+009B is a CSI); those become \u escapes too (the same JSON value).
 */
export function jsonText(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? "null").replace(/[\u007f-\u009f]/g, escapeControl);
}

/**
 * The one-line text for an error; StreamTokenError and CliError messages never hold secrets.
 * Control characters (which a token, rules file or API answer may carry into a message) are
 * shown as escapes, whatever the message.
 */
export function describeError(error: unknown): string {
  if (error instanceof StreamTokenError) return printable(`${error.code}: ${error.message}`);
  if (error instanceof CliError) return printable(error.message);
  if (error instanceof Error) return printable(error.message.split("\n")[0] ?? "unexpected error");
  return "unexpected error";
}

/** "in 59m", "3h 2m ago": for showing exp and nbf next to their unix values. */
export function relativeTime(targetSeconds: number, nowSeconds: number): string {
  const delta = targetSeconds - nowSeconds;
  const abs = Math.abs(delta);
  let text: string;
  if (abs < 60) text = `${abs}s`;
  // Seconds matter only in the last few minutes.
  else if (abs < 600) text = `${Math.floor(abs / 60)}m${abs % 60 ? ` ${abs % 60}s` : ""}`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86400)
    text = `${Math.floor(abs / 3600)}h${Math.floor((abs % 3600) / 60) ? ` ${Math.floor((abs % 3600) / 60)}m` : ""}`;
  else if (abs < 365 * 86400)
    text = `${Math.floor(abs / 86400)}d${Math.floor((abs % 86400) / 3600) ? ` ${Math.floor((abs % 86400) / 3600)}h` : ""}`;
  else {
    const years = Math.floor(abs / (365 * 86400));
    const days = Math.floor((abs % (365 * 86400)) / 86400);
    text = `${years}y${days ? ` ${days}d` : ""}`;
  }
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}
