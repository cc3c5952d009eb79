import { StreamTokenError } from "../../errors.js";
import { evaluateAccess, type Viewer } from "../../rules.js";
import {
  checkVideoArg,
  parseCommandArgs,
  parseTimeFlag,
  showValue,
  takePositionals,
} from "../args.js";
import {
  CliError,
  EXIT_FAILED,
  EXIT_USAGE,
  jsonText,
  painter,
  printable,
  relativeTime,
  type Streams,
} from "../io.js";
import { KEY_HELP, KEY_OPTIONS, verifierFromFlags } from "../key-source.js";
import { describeRule } from "../rules-input.js";
import { readTokenInput } from "../token-input.js";
import { decodeOrExplain } from "./decode.js";

export const HELP = `Usage: streamsign verify [<token> | <Stream URL> | -] [options]

Checks a token as Cloudflare would: RS256 signature with the key, exp and nbf, the
video uid with --video, and with --ip / --country whether that viewer may play it
and which rule decided.

Options:
  --video <uid>            require the token to be for this video
  --at <time>              check the times at this moment instead of now:
                           unix seconds, ISO 8601, +2h, or --at=-10m
  --ip <address>           the viewer's IP address, for the access rules
  --country <code>         the viewer's country (ISO 3166-1 alpha-2), for the access rules
  --json                   print { valid, claims, access } (also on failure)

${KEY_HELP}
  For verify the key may also be the public half (SPKI PEM or public JWK).

Exit codes: 0 valid (and allowed), 1 invalid or blocked (reason on stderr),
2 usage error (bad flags, unreadable key, not a token).

Examples:
  streamsign verify "$TOKEN" --key-file stream-key.json --video 5d5bc37ffcf54c9b82e996823bffbb81
  streamsign verify "$URL" --key-file public.pem --ip 93.184.216.34 --country GB
  streamsign verify "$TOKEN" --key-file stream-key.json --at 2026-01-01T12:00:00Z
`;

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("verify", {
    args,
    options: {
      ...KEY_OPTIONS,
      video: { type: "string" },
      at: { type: "string" },
      ip: { type: "string" },
      country: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [input] = takePositionals(positionals, "verify", ["token"], 1);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const at = values.at === undefined ? nowSeconds : parseTimeFlag(values.at, "--at", nowSeconds);
  const videoId = values.video === undefined ? undefined : checkVideoArg(values.video, "--video");
  const viewer: Viewer = {};
  if (values.ip !== undefined) viewer.ip = values.ip.trim();
  if (values.country !== undefined) {
    const country = values.country.trim();
    if (!/^[A-Za-z]{2}$/.test(country))
      throw new CliError(
        `--country ${showValue(country, 20)} is not a two-letter country code (like GB or US).`,
      );
    viewer.country = country.toUpperCase();
  }
  const { verifier, keyId } = await verifierFromFlags(values, io.env);
  const token = await readTokenInput(input, io, "verify");
  const { header } = decodeOrExplain(token, "verify");

  const fail = (reason: string): number => {
    if (values.json) {
      io.stdout.write(`${jsonText({ valid: false, reason }, 2)}\n`);
    }
    // The reason may quote the token (its kid, or a library message about a claim).
    io.stderr.write(`streamsign: ${printable(reason)}\n`);
    return EXIT_FAILED;
  };

  if (keyId !== undefined && typeof header.kid === "string" && header.kid !== keyId) {
    return fail(
      `invalid: ERR_TOKEN_KEY_UNKNOWN: token was signed by key ${header.kid.slice(0, 64)}, not ${keyId}.`,
    );
  }
  let claims: Awaited<ReturnType<typeof verifier.verify>>;
  try {
    claims = await verifier.verify(token, { videoId, now: new Date(at * 1000) });
  } catch (error) {
    if (error instanceof StreamTokenError) {
      if (error.code === "ERR_OPTION_INVALID" || error.code === "ERR_VIDEO_ID")
        throw new CliError(`${error.code}: ${error.message}`, EXIT_USAGE, { cause: error });
      return fail(`invalid: ${error.code}: ${error.message}`);
    }
    throw error;
  }

  let access: { allowed: boolean; rule?: number; decidedBy: string } | undefined;
  if (values.ip !== undefined || values.country !== undefined) {
    let decision: ReturnType<typeof evaluateAccess>;
    try {
      decision = evaluateAccess(claims.accessRules ?? [], viewer);
    } catch (error) {
      if (error instanceof StreamTokenError)
        throw new CliError(
          `${error.code}: ${error.message.replace(/^viewer\.ip/, "--ip").replace(/^viewer\.country/, "--country")}`,
          EXIT_USAGE,
          { cause: error },
        );
      throw error;
    }
    access =
      decision.rule === undefined
        ? {
            allowed: true,
            decidedBy:
              (claims.accessRules ?? []).length === 0
                ? "the token has no access rules"
                : "no rule matched, and Cloudflare allows by default",
          }
        : {
            allowed: decision.allowed,
            rule: (decision.ruleIndex ?? 0) + 1,
            decidedBy: `rule #${(decision.ruleIndex ?? 0) + 1} (${describeRule(decision.rule)})`,
          };
  }
  const who = [viewer.ip && `ip ${viewer.ip}`, viewer.country && `country ${viewer.country}`]
    .filter(Boolean)
    .join(", ");

  if (values.json) {
    io.stdout.write(`${jsonText({ valid: true, claims, access: access ?? null }, 2)}\n`);
  } else {
    const paint = painter(io.stdout, io.env);
    io.stdout.write(
      `${paint.green("✓ valid")}: RS256 signature checks out; video ${printable(claims.sub)}, key ${printable(claims.kid)}, expires ${relativeTime(claims.exp, at)}${values.at !== undefined ? " (at --at)" : ""}.\n`,
    );
    if (access?.allowed) {
      io.stdout.write(
        `${paint.green("✓ allowed")}: viewer ${printable(who)}: ${printable(access.decidedBy)}.\n`,
      );
    }
  }
  if (access !== undefined && !access.allowed) {
    io.stderr.write(
      `streamsign: blocked: viewer ${printable(who)}: ${printable(access.decidedBy)} matched.\n`,
    );
    return EXIT_FAILED;
  }
  return 0;
}
