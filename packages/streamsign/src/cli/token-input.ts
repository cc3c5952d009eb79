// A token given as an argument, a whole Stream URL, or on stdin. Messages never echo it.
import { readStdin } from "./args.js";
import { CliError, type Streams } from "./io.js";

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The token inside `input`: the token itself, or the path segment of a Stream URL that holds one. */
export function extractToken(input: string, command: string): string {
  const text = input.trim().replace(/^["']|["']$/g, "");
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new CliError(`${command}: the argument starts like a URL but is not a valid one.`);
    }
    const segment = url.pathname
      .split("/")
      .map((part) => decodeURIComponent(part))
      .find((part) => TOKEN_SHAPE.test(part));
    if (segment !== undefined) return segment;
    const uid = url.pathname.split("/").find((part) => /^[0-9a-f]{32}$/i.test(part));
    throw new CliError(
      uid === undefined
        ? `${command}: the URL has no token segment (expected https://customer-<code>.cloudflarestream.com/<token>/…).`
        : `${command}: the URL holds the video uid, not a token: it is an unsigned URL.`,
    );
  }
  return text;
}

/** The token from the positional, "-" or piped stdin. */
export async function readTokenInput(
  positional: string | undefined,
  io: Streams,
  command: string,
): Promise<string> {
  const raw =
    positional === undefined || positional === "-"
      ? await readStdin(io, `${command} needs a token or Stream URL`)
      : positional;
  const token = extractToken(raw, command);
  if (token === "") throw new CliError(`${command}: the token is empty.`);
  return token;
}
