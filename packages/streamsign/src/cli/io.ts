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

/** The one-line text for an error; StreamTokenError messages are already safe to show. */
export function describeError(error: unknown): string {
  if (error instanceof StreamTokenError) return `${error.code}: ${error.message}`;
  if (error instanceof CliError) return error.message;
  if (error instanceof Error) return error.message.split("\n")[0] ?? "unexpected error";
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
