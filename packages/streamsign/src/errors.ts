/**
 * Every stable error code streamsign can throw. Codes never change meaning once
 * released; messages may be reworded. The README documents each one.
 */
export type StreamTokenErrorCode =
  // keys
  | "ERR_KEY_MISSING"
  | "ERR_KEY_FORMAT"
  | "ERR_KEY_INVALID"
  | "ERR_KEY_TYPE"
  | "ERR_KEY_SIZE"
  | "ERR_KEY_ID_MISSING"
  | "ERR_KEY_ID_INVALID"
  | "ERR_KEY_ID_MISMATCH"
  | "ERR_KEY_UNSUPPORTED_RUNTIME"
  // claims
  | "ERR_VIDEO_ID"
  | "ERR_OPTION_UNKNOWN"
  | "ERR_OPTION_INVALID"
  | "ERR_EXPIRY_CONFLICT"
  | "ERR_EXPIRY_INVALID"
  | "ERR_EXPIRY_TOO_LONG"
  | "ERR_EXPIRY_PAST"
  | "ERR_NOT_BEFORE_INVALID"
  // access rules
  | "ERR_RULES_INVALID"
  | "ERR_RULES_TOO_MANY"
  | "ERR_RULE_TYPE"
  | "ERR_RULE_ACTION"
  | "ERR_RULE_SHAPE"
  | "ERR_RULE_COUNTRY"
  | "ERR_RULE_IP"
  // tokens (decode / verify)
  | "ERR_TOKEN_MALFORMED"
  | "ERR_TOKEN_ALGORITHM"
  | "ERR_TOKEN_KEY_UNKNOWN"
  | "ERR_TOKEN_SIGNATURE"
  | "ERR_TOKEN_EXPIRED"
  | "ERR_TOKEN_NOT_YET_VALID"
  | "ERR_TOKEN_VIDEO_MISMATCH"
  | "ERR_TOKEN_CLAIMS"
  // urls
  | "ERR_URL_OPTIONS"
  // anything else that went wrong below us (never expected)
  | "ERR_INTERNAL";

/**
 * The one error class streamsign throws for bad input or a failed check.
 *
 * `code` is stable and machine-readable; `message` names the field and the fix;
 * `cause` keeps the low-level error (for example OpenSSL's) when there is one.
 * Messages never contain key material or a whole token.
 *
 * @example
 * ```ts
 * import { StreamTokenError } from "streamsign";
 * try {
 *   await signer.sign(videoId, { expiresIn: "2d" });
 * } catch (err) {
 *   if (err instanceof StreamTokenError && err.code === "ERR_EXPIRY_TOO_LONG") {
 *     // Cloudflare caps tokens at 24 hours
 *   }
 * }
 * ```
 */
export class StreamTokenError extends Error {
  override readonly name = "StreamTokenError";
  readonly code: StreamTokenErrorCode;

  constructor(code: StreamTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * True when `value` is a {@link StreamTokenError}, optionally with the given code.
 * Works across bundle copies, where `instanceof` may not.
 *
 * @example
 * ```ts
 * if (isStreamTokenError(err, "ERR_TOKEN_EXPIRED")) refresh();
 * ```
 */
export function isStreamTokenError(
  value: unknown,
  code?: StreamTokenErrorCode,
): value is StreamTokenError {
  if (!(value instanceof Error) || value.name !== "StreamTokenError") return false;
  const actual = (value as { code?: unknown }).code;
  if (typeof actual !== "string" || !actual.startsWith("ERR_")) return false;
  return code === undefined || actual === code;
}
