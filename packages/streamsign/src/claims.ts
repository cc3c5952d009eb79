import { StreamTokenError } from "./errors.js";
import { parseDuration } from "./lib/duration.js";
import { type AccessRule, validateAccessRules } from "./rules.js";

/** Cloudflare rejects tokens whose `exp` is more than 24 hours after signing. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;
/** Used when neither `expiresIn` nor `expiresAt` is given; matches Cloudflare's `/token` default. */
export const DEFAULT_EXPIRES_IN_SECONDS = 3_600;

/** A Stream video or live-input uid: 32 hex characters. */
export const VIDEO_ID_PATTERN = /^[0-9a-fA-F]{32}$/;

/**
 * A lifetime: whole seconds, or a string with one unit: `"30s"`, `"15m"`, `"2h"`, `"1d"`.
 */
export type Duration = number | `${number}` | `${number}${"s" | "m" | "h" | "d"}`;

/** A point in time: unix seconds, or a `Date`. */
export type Timestamp = number | Date;

interface CommonSignOptions {
  /** The token does not work before this time (`nbf`). */
  notBefore?: Timestamp | undefined;
  /** Lets the token fetch MP4 downloads (`downloadable`); downloads must also be enabled on the video. */
  downloadable?: boolean | undefined;
  /**
   * Up to 5 rules, evaluated first to last; the first match decides. Written to the
   * `accessRules` claim (Cloudflare's name; `access_rules` is silently ignored by Cloudflare).
   */
  accessRules?: readonly AccessRule[] | undefined;
}

/**
 * Options for one token. Give `expiresIn` or `expiresAt`, not both; with neither,
 * the token lives 1 hour. Either way `exp` may be at most 24 hours away.
 */
export type SignOptions = CommonSignOptions &
  (
    | {
        /** Lifetime from now (default 1 hour, at most 24 hours). */
        expiresIn?: Duration | undefined;
        expiresAt?: undefined;
      }
    | {
        /** Absolute expiry (`exp`): unix seconds or a Date, at most 24 hours away. */
        expiresAt: Timestamp;
        expiresIn?: undefined;
      }
  );

/** The claims of a Stream token, in the order Cloudflare documents them. */
export interface StreamTokenClaims {
  /** Video (or live input) uid. */
  sub: string;
  /** Signing key id. */
  kid: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** Not before, unix seconds. */
  nbf?: number;
  downloadable?: boolean;
  accessRules?: AccessRule[];
}

const KNOWN_OPTIONS = new Set([
  "expiresIn",
  "expiresAt",
  "notBefore",
  "downloadable",
  "accessRules",
]);

// Plain-JavaScript callers bring names from other libraries and from Cloudflare's
// own claim names. `access_rules` matters most: Cloudflare ignores it, so a token
// signed with it silently carries no restrictions.
const OPTION_HINTS: Readonly<Record<string, string>> = {
  access_rules: "accessRules",
  accessrules: "accessRules",
  rules: "accessRules",
  accessRule: "accessRules",
  expires: "expiresIn",
  expiresin: "expiresIn",
  expires_in: "expiresIn",
  expiry: "expiresIn",
  ttl: "expiresIn",
  lifetime: "expiresIn",
  exp: "expiresAt",
  expires_at: "expiresAt",
  expiresat: "expiresAt",
  nbf: "notBefore",
  not_before: "notBefore",
  notbefore: "notBefore",
  download: "downloadable",
  downloads: "downloadable",
  downloadble: "downloadable",
  sub: "the videoId argument",
  videoId: "the videoId argument",
  kid: "createSigner({ keyId })",
  keyId: "createSigner({ keyId })",
};

/** @internal Checks a video uid and returns it unchanged. */
export function checkVideoId(videoId: unknown, field = "videoId"): string {
  if (typeof videoId === "string" && VIDEO_ID_PATTERN.test(videoId)) return videoId;
  let shown: string;
  if (typeof videoId !== "string")
    shown = videoId === undefined ? "missing" : `a ${typeof videoId}`;
  else if (videoId.split(".").length === 3) shown = "a token, not a video uid";
  // Echo only short values: a 40-character API token pasted here must not reach a log.
  else if (/^[\w-]{1,34}$/.test(videoId)) shown = `"${videoId}" (${videoId.length} characters)`;
  else shown = `a ${videoId.length}-character string`;
  throw new StreamTokenError(
    "ERR_VIDEO_ID",
    `${field} is ${shown}: it must be the Stream video or live input uid, 32 hex characters (the \`uid\` in the dashboard or API).`,
  );
}

function toUnixSeconds(value: unknown, field: string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms))
      throw new StreamTokenError("ERR_OPTION_INVALID", `${field} is an invalid Date.`);
    return Math.floor(ms / 1000);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      `${field} must be unix seconds (a number) or a Date, not ${typeof value === "string" ? "a string" : typeof value}.`,
    );
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      `${field} must be whole unix seconds (a non-negative integer), got ${value}.`,
    );
  }
  // Date.now() is the classic slip: milliseconds where seconds belong.
  if (value > 1e11) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      `${field} is ${value}, which looks like milliseconds: pass unix seconds (Math.floor(ms / 1000)) or a Date.`,
    );
  }
  return value;
}

/**
 * Validates options and builds the claims object, keys in Cloudflare's order:
 * `sub`, `kid`, `exp`, then `nbf`, `downloadable`, `accessRules` when given.
 * @internal
 */
export function buildClaims(
  videoId: unknown,
  keyId: string,
  options: unknown,
  nowSeconds: number,
): StreamTokenClaims {
  const sub = checkVideoId(videoId);
  if (options === undefined || options === null) {
    return { sub, kid: keyId, exp: nowSeconds + DEFAULT_EXPIRES_IN_SECONDS };
  }
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      'options must be an object like { expiresIn: "1h" }.',
    );
  }
  const opts = options as Record<string, unknown>;
  for (const name of Object.keys(opts)) {
    if (KNOWN_OPTIONS.has(name)) continue;
    const hint = Object.hasOwn(OPTION_HINTS, name)
      ? OPTION_HINTS[name]
      : Object.hasOwn(OPTION_HINTS, name.toLowerCase())
        ? OPTION_HINTS[name.toLowerCase()]
        : undefined;
    const shown = /^[\w$-]{1,40}$/.test(name) ? `"${name}"` : "an option";
    throw new StreamTokenError(
      "ERR_OPTION_UNKNOWN",
      `options has unknown key ${shown}${hint ? `: did you mean ${hint}?` : ""} Known options: expiresIn, expiresAt, notBefore, downloadable, accessRules.`,
    );
  }

  const { expiresIn, expiresAt, notBefore, downloadable, accessRules } = opts;
  let exp: number;
  if (expiresIn !== undefined && expiresAt !== undefined) {
    throw new StreamTokenError(
      "ERR_EXPIRY_CONFLICT",
      "options has both expiresIn and expiresAt: give one of them.",
    );
  }
  if (expiresAt !== undefined) {
    exp = toUnixSeconds(expiresAt, "expiresAt");
  } else if (expiresIn !== undefined) {
    const seconds = parseDuration(expiresIn);
    if (seconds === null) {
      const shown =
        typeof expiresIn === "string" ? `"${expiresIn.slice(0, 20)}"` : String(expiresIn);
      throw new StreamTokenError(
        "ERR_EXPIRY_INVALID",
        `expiresIn is ${shown}: use a positive whole number of seconds or one unit like "30s", "15m", "2h", "1d".`,
      );
    }
    exp = nowSeconds + seconds;
  } else {
    exp = nowSeconds + DEFAULT_EXPIRES_IN_SECONDS;
  }
  const field = expiresAt !== undefined ? "expiresAt" : "expiresIn";
  if (exp <= nowSeconds) {
    throw new StreamTokenError(
      "ERR_EXPIRY_PAST",
      `${field} puts exp at ${exp}, which is not in the future (now is ${nowSeconds}): the token would never play.`,
    );
  }
  if (exp - nowSeconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new StreamTokenError(
      "ERR_EXPIRY_TOO_LONG",
      `${field} puts exp ${exp - nowSeconds}s from now: Cloudflare accepts at most 24 hours (86400s). Sign a fresh token per viewer instead.`,
    );
  }

  const claims: StreamTokenClaims = { sub, kid: keyId, exp };
  if (notBefore !== undefined) {
    const nbf = toUnixSeconds(notBefore, "notBefore");
    if (nbf >= exp) {
      throw new StreamTokenError(
        "ERR_NOT_BEFORE_INVALID",
        `notBefore (${nbf}) is not before exp (${exp}): the token would never be valid. Move notBefore earlier or the expiry later.`,
      );
    }
    claims.nbf = nbf;
  }
  if (downloadable !== undefined) {
    if (typeof downloadable !== "boolean") {
      throw new StreamTokenError(
        "ERR_OPTION_INVALID",
        `downloadable must be true or false, not ${typeof downloadable === "string" ? `the string "${downloadable.slice(0, 10)}"` : typeof downloadable}.`,
      );
    }
    claims.downloadable = downloadable;
  }
  if (accessRules !== undefined)
    claims.accessRules = validateAccessRules(accessRules, "accessRules");
  return claims;
}
