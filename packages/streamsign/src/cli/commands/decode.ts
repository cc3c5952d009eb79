import { type DecodedToken, decodeToken } from "../../decode.js";
import { StreamTokenError } from "../../errors.js";
import { parseCommandArgs, takePositionals } from "../args.js";
import {
  CliError,
  EXIT_USAGE,
  jsonText,
  painter,
  printable,
  relativeTime,
  type Streams,
} from "../io.js";
import { readTokenInput } from "../token-input.js";

export const HELP = `Usage: streamsign decode [<token> | <Stream URL> | -] [--json]

Shows a token's header and claims WITHOUT checking its signature (use \`verify\` for
that): exp and nbf as unix seconds, ISO time and relative time ("expires in 59m"),
and the access rules in the order Cloudflare evaluates them. Reads stdin when no
argument (or "-") is given. Accepts a whole Stream URL and picks the token out of it.
exp and nbf written as strings (as Cloudflare's /token endpoint does) are read as numbers.

Options:
  --json                   print { header, payload, times, rules }

Exit codes: 0 decoded, 2 not a token.

Examples:
  streamsign decode eyJhbGciOiJSUzI1NiIsImtpZCI6Ij…
  streamsign decode "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/eyJhbGci…/manifest/video.m3u8"
  streamsign sign 5d5bc37ffcf54c9b82e996823bffbb81 | streamsign decode --json
`;

export interface TimeInfo {
  unix: number;
  iso: string;
  relative: string;
  /** True when the token wrote this claim as a string (Cloudflare's /token endpoint does). */
  string: boolean;
}

/**
 * A safe one-line description of a rule as found in a token (which may be malformed): short,
 * and with control characters shown as escapes.
 */
export function describeRawRule(rule: unknown): string {
  if (rule === null || typeof rule !== "object") return `(not a rule: ${typeof rule})`;
  const { type, action, ip, country } = rule as Record<string, unknown>;
  const list = type === "ip.src" ? ip : type === "ip.geoip.country" ? country : undefined;
  const shownType =
    type === "ip.src" ? "ip" : type === "ip.geoip.country" ? "country" : String(type).slice(0, 30);
  const entries = Array.isArray(list)
    ? ` ${list.map((e) => String(e).slice(0, 45)).join(", ")}`
    : "";
  return printable(`${String(action).slice(0, 10)} ${shownType}${entries}`);
}

function rawPayloadStrings(token: string): { exp: boolean; nbf: boolean } {
  try {
    const segment = token.split(".")[1] ?? "";
    const raw = JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    return { exp: typeof raw.exp === "string", nbf: typeof raw.nbf === "string" };
  } catch {
    return { exp: false, nbf: false };
  }
}

export function timeInfo(unix: number, nowSeconds: number, wasString: boolean): TimeInfo {
  const date = new Date(unix * 1000);
  return {
    unix,
    iso: Number.isNaN(date.getTime()) ? "invalid date" : date.toISOString(),
    relative: relativeTime(unix, nowSeconds),
    string: wasString,
  };
}

/** Decodes, turning the library's malformed-token error into a usage error (exit 2). */
export function decodeOrExplain(token: string, command: string): DecodedToken {
  try {
    return decodeToken(token);
  } catch (error) {
    if (error instanceof StreamTokenError)
      throw new CliError(`${command}: ${error.code}: ${error.message}`, EXIT_USAGE, {
        cause: error,
      });
    throw error;
  }
}

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("decode", {
    args,
    options: { json: { type: "boolean" } },
  });
  const [input] = takePositionals(positionals, "decode", ["token"], 1);
  const token = await readTokenInput(input, io, "decode");
  const { header, payload } = decodeOrExplain(token, "decode");
  const strings = rawPayloadStrings(token);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const exp =
    typeof payload.exp === "number" ? timeInfo(payload.exp, nowSeconds, strings.exp) : undefined;
  const nbf =
    typeof payload.nbf === "number" ? timeInfo(payload.nbf, nowSeconds, strings.nbf) : undefined;
  const rules: unknown[] | undefined = Array.isArray(payload.accessRules)
    ? payload.accessRules
    : undefined;

  if (values.json) {
    io.stdout.write(
      `${jsonText(
        {
          header,
          payload,
          times: {
            exp: exp ?? null,
            nbf: nbf ?? null,
            expired: exp ? exp.unix <= nowSeconds : null,
          },
          rules: (rules ?? []).map((rule, index) => ({
            index: index + 1,
            rule,
            text: describeRawRule(rule),
          })),
          signatureChecked: false,
        },
        2,
      )}\n`,
    );
    return 0;
  }

  const paint = painter(io.stdout, io.env);
  const out: string[] = [];
  // Everything below comes from the token: printable() keeps it from driving the terminal.
  out.push(paint.bold("Header"), `  ${jsonText(header)}`, "", paint.bold("Claims"));
  const known = new Set(["sub", "kid", "exp", "nbf", "downloadable", "accessRules"]);
  if (payload.sub !== undefined) out.push(`  sub           ${printable(String(payload.sub))}`);
  if (payload.kid !== undefined) out.push(`  kid           ${printable(String(payload.kid))}`);
  if (exp) {
    const state =
      exp.unix <= nowSeconds
        ? paint.red(`expired ${exp.relative}`)
        : paint.green(`expires ${exp.relative}`);
    out.push(
      `  exp           ${exp.unix}  ${exp.iso}  (${state})${exp.string ? paint.dim("  [written as a string]") : ""}`,
    );
  } else {
    out.push(`  exp           ${paint.red("missing: Stream tokens must expire")}`);
  }
  if (nbf) {
    const state =
      nbf.unix > nowSeconds ? paint.yellow(`valid ${nbf.relative}`) : `valid since ${nbf.relative}`;
    out.push(
      `  nbf           ${nbf.unix}  ${nbf.iso}  (${state})${nbf.string ? paint.dim("  [written as a string]") : ""}`,
    );
  }
  if (payload.downloadable !== undefined)
    out.push(`  downloadable  ${jsonText(payload.downloadable)}`);
  for (const [name, value] of Object.entries(payload)) {
    if (known.has(name)) continue;
    out.push(`  ${printable(name.slice(0, 40)).padEnd(12)}  ${jsonText(value).slice(0, 200)}`);
  }
  out.push("", paint.bold("Access rules"));
  if (rules === undefined || rules.length === 0) {
    out.push(
      payload.accessRules !== undefined && rules === undefined
        ? `  ${paint.red("accessRules is not a list")}`
        : "  none: every viewer may play it",
    );
  } else {
    rules.forEach((rule, index) => {
      out.push(`  ${index + 1}. ${describeRawRule(rule)}`);
    });
    out.push(paint.dim("  first match decides; when none matches, the viewer is allowed"));
  }
  out.push("", paint.dim("Signature not checked: run `streamsign verify` with the key."));
  io.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
