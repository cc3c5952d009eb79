import type { StreamTokenClaims } from "./claims.js";
import { StreamTokenError } from "./errors.js";
import { decodeBase64UrlText } from "./lib/base64url.js";

/** A token's JOSE header. Stream tokens carry exactly `alg` and `kid`. */
export interface TokenHeader {
  alg: string;
  kid?: string;
  [parameter: string]: unknown;
}

/** A token's claims, `exp` and `nbf` always as numbers. */
export type TokenPayload = Partial<StreamTokenClaims> & { [claim: string]: unknown };

/** What {@link decodeToken} returns. */
export interface DecodedToken {
  header: TokenHeader;
  payload: TokenPayload;
}

/** Longer than any Stream token with 5 rules of long lists; shorter than a DoS. */
export const MAX_TOKEN_LENGTH = 16_384;

function malformed(message: string): StreamTokenError {
  return new StreamTokenError("ERR_TOKEN_MALFORMED", `token is malformed: ${message}.`);
}

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  const text = decodeBase64UrlText(segment);
  if (text === null) throw malformed(`its ${name} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(`its ${name} is not JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw malformed(`its ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Cloudflare's `/token` endpoint writes exp and nbf as strings ("1621889657"). */
function numericDate(payload: Record<string, unknown>, claim: "exp" | "nbf"): void {
  const value = payload[claim];
  if (value === undefined) return;
  if (typeof value === "number" && Number.isFinite(value)) return;
  if (typeof value === "string" && /^\d{1,12}$/.test(value)) {
    payload[claim] = Number(value);
    return;
  }
  throw malformed(`its ${claim} claim is neither a number nor a numeric string`);
}

/** @internal Splits a token into its three segments, checking only the outline. */
export function splitToken(token: unknown): [string, string, string] {
  if (typeof token !== "string")
    throw malformed(`expected a string, got ${token === null ? "null" : typeof token}`);
  const trimmed = token.trim();
  if (trimmed.length > MAX_TOKEN_LENGTH)
    throw malformed(`it is ${trimmed.length} characters, over the ${MAX_TOKEN_LENGTH} limit`);
  const parts = trimmed.split(".");
  if (parts.length !== 3) {
    throw malformed(
      `it has ${parts.length} dot-separated part${parts.length === 1 ? "" : "s"}, not 3${parts.length === 1 && /^[0-9a-f]{32}$/i.test(trimmed) ? " (that looks like a video uid, not a token)" : ""}`,
    );
  }
  const [header, payload, signature] = parts as [string, string, string];
  if (header === "" || payload === "") throw malformed("its header or payload is empty");
  return [header, payload, signature];
}

/**
 * Reads a token's header and claims **without verifying it**. Accepts `exp` and
 * `nbf` as numbers or numeric strings (Cloudflare's `/token` endpoint emits
 * strings) and always returns numbers. Use {@link verifyToken} to trust a token.
 *
 * @example
 * ```ts
 * import { decodeToken } from "streamsign";
 * const { header, payload } = decodeToken(token);
 * console.log(header.kid, payload.sub, new Date(payload.exp! * 1000));
 * ```
 */
export function decodeToken(token: string): DecodedToken {
  const [headerSegment, payloadSegment] = splitToken(token);
  return decodeSegments(headerSegment, payloadSegment);
}

/** @internal decodeToken for a token already split by {@link splitToken}. */
export function decodeSegments(headerSegment: string, payloadSegment: string): DecodedToken {
  const header = decodeSegment(headerSegment, "header");
  if (typeof header.alg !== "string") throw malformed("its header has no alg");
  if (header.kid !== undefined && typeof header.kid !== "string")
    throw malformed("its header kid is not a string");
  const payload = decodeSegment(payloadSegment, "payload");
  numericDate(payload, "exp");
  numericDate(payload, "nbf");
  return { header: header as TokenHeader, payload: payload as TokenPayload };
}
