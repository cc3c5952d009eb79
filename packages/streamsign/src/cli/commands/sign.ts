import type { SignOptions, StreamTokenClaims } from "../../claims.js";
import { StreamTokenError } from "../../errors.js";
import type { AccessRule } from "../../rules.js";
import { streamUrls } from "../../urls.js";
import {
  checkVideoArg,
  parseCommandArgs,
  parseDurationFlag,
  parseTimeFlag,
  showValue,
  takePositionals,
} from "../args.js";
import { CliError, EXIT_USAGE, type Streams } from "../io.js";
import { KEY_HELP, KEY_OPTIONS, signerFromFlags } from "../key-source.js";
import { RULE_HELP, rulesFromFile, rulesFromSpecs } from "../rules-input.js";

export const URL_KINDS = ["hls", "dash", "iframe", "thumbnail", "download"] as const;
type UrlKind = (typeof URL_KINDS)[number];

export const HELP = `Usage: streamsign sign <videoId> [options]

Signs a token for one video and prints it alone on one line (or a URL, or JSON).

Options:
  --expires-in <duration>  lifetime: 90, 30s, 15m, 2h, 1d (default 1h; at most 24h)
  --expires-at <time>      absolute expiry instead: unix seconds, ISO 8601, or +2h
  --not-before <time>      the token does not work before this time (nbf)
  --downloadable           allow MP4 downloads (downloads must be enabled on the video too)
  --url <kind>             print this URL instead of the token: ${URL_KINDS.join(", ")}
  --customer-code <code>   the <code> of customer-<code>.cloudflarestream.com
                           (default: STREAM_CUSTOMER_CODE)
  --json                   print { token, expiresAt, claims, urls }

${RULE_HELP}

${KEY_HELP}

Exit codes: 0 signed, 2 usage or validation error.

Examples:
  streamsign sign 5d5bc37ffcf54c9b82e996823bffbb81 --key-file stream-key.json
  streamsign sign 5d5bc37ffcf54c9b82e996823bffbb81 --expires-in 2h \\
    --rule allow:country=GB,US --rule block:any --url hls --customer-code f33zs165nr7gyfy4
  streamsign sign 5d5bc37ffcf54c9b82e996823bffbb81 --expires-at +6h --not-before now --json
`;

/** Rewrites the library's option names into the flags that set them. */
function renameSignError(error: unknown): unknown {
  if (!(error instanceof StreamTokenError)) return error;
  const message = error.message
    .replace(/\bexpiresIn\b/g, "--expires-in")
    .replace(/\bexpiresAt\b/g, "--expires-at")
    .replace(/\bnotBefore\b/g, "--not-before")
    .replace(/^videoId\b/, "<videoId>");
  return new CliError(`${error.code}: ${message}`, EXIT_USAGE, { cause: error });
}

export function checkCustomerCode(code: string, flag: string): string {
  if (/^[a-z0-9]{1,63}$/.test(code)) return code;
  const inner = /customer-([a-z0-9]+)/i.exec(code)?.[1];
  throw new CliError(
    `${flag} must be the lowercase letters and digits after "customer-" in your Stream URL${inner ? `: pass only "${inner.toLowerCase()}"` : ""}.`,
  );
}

export interface UrlSet {
  iframe: string;
  hls: string;
  dash: string;
  thumbnail: string;
  download?: string;
}

export function urlSet(token: string, customerCode: string, downloadable: boolean): UrlSet {
  const urls = streamUrls(token, { customerCode });
  const set: UrlSet = {
    iframe: urls.iframe,
    hls: urls.hls,
    dash: urls.dash,
    thumbnail: urls.thumbnail(),
  };
  if (downloadable) set.download = urls.download();
  return set;
}

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("sign", {
    args,
    options: {
      ...KEY_OPTIONS,
      "expires-in": { type: "string" },
      "expires-at": { type: "string" },
      "not-before": { type: "string" },
      downloadable: { type: "boolean" },
      rule: { type: "string", multiple: true },
      "rules-file": { type: "string" },
      url: { type: "string" },
      "customer-code": { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [videoArg] = takePositionals(positionals, "sign", ["videoId"]);
  const videoId = checkVideoArg(videoArg!, "<videoId>");
  const nowSeconds = Math.floor(Date.now() / 1000);

  // Validate every flag before touching the key.
  const options: {
    expiresIn?: number;
    expiresAt?: number;
    notBefore?: number;
    downloadable?: boolean;
    accessRules?: AccessRule[];
  } = {};
  if (values["expires-in"] !== undefined && values["expires-at"] !== undefined) {
    throw new CliError("give --expires-in or --expires-at, not both.");
  }
  if (values["expires-in"] !== undefined)
    options.expiresIn = parseDurationFlag(values["expires-in"], "--expires-in");
  if (values["expires-at"] !== undefined)
    options.expiresAt = parseTimeFlag(values["expires-at"], "--expires-at", nowSeconds);
  if (values["not-before"] !== undefined)
    options.notBefore = parseTimeFlag(values["not-before"], "--not-before", nowSeconds);
  if (values.downloadable) options.downloadable = true;
  if (values.rule !== undefined && values["rules-file"] !== undefined) {
    throw new CliError("give --rule or --rules-file, not both.");
  }
  if (values.rule !== undefined) options.accessRules = rulesFromSpecs(values.rule);
  if (values["rules-file"] !== undefined) options.accessRules = rulesFromFile(values["rules-file"]);

  let urlKind: UrlKind | undefined;
  if (values.url !== undefined) {
    if (!(URL_KINDS as readonly string[]).includes(values.url)) {
      throw new CliError(
        `--url ${showValue(values.url, 20)} is not a URL kind: use one of ${URL_KINDS.join(", ")}.`,
      );
    }
    urlKind = values.url as UrlKind;
    if (urlKind === "download" && !values.downloadable) {
      throw new CliError(
        "--url download needs --downloadable: Cloudflare refuses downloads for tokens without it.",
      );
    }
  }
  const codeFlag =
    values["customer-code"] !== undefined ? "--customer-code" : "STREAM_CUSTOMER_CODE";
  const rawCode = values["customer-code"] ?? (io.env.STREAM_CUSTOMER_CODE?.trim() || undefined);
  const customerCode = rawCode === undefined ? undefined : checkCustomerCode(rawCode, codeFlag);
  if (urlKind !== undefined && customerCode === undefined) {
    throw new CliError(
      "--url needs your customer code: pass --customer-code <code> or set STREAM_CUSTOMER_CODE (the <code> of customer-<code>.cloudflarestream.com).",
    );
  }

  const signer = await signerFromFlags(values, io.env);
  let signed: { token: string; claims: StreamTokenClaims; expiresAt: Date };
  try {
    signed = await signer.signWithClaims(videoId, options as SignOptions);
  } catch (error) {
    throw renameSignError(error);
  }
  const { token, claims, expiresAt } = signed;
  const urls =
    customerCode === undefined ? null : urlSet(token, customerCode, claims.downloadable === true);

  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ token, expiresAt: expiresAt.toISOString(), claims, urls }, null, 2)}\n`,
    );
  } else if (urlKind !== undefined) {
    io.stdout.write(`${urls![urlKind]}\n`);
  } else {
    io.stdout.write(`${token}\n`);
  }
  return 0;
}
