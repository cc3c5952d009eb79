import { isStreamTokenError, type StreamTokenErrorCode } from "streamsign";

/** Error codes the service adds to the core's `ERR_*` codes. */
export type ServiceErrorCode =
  | "ERR_UNAUTHORIZED"
  | "ERR_RATE_LIMITED"
  | "ERR_BODY_TOO_LARGE"
  | "ERR_BODY_INVALID"
  | "ERR_UNSUPPORTED_MEDIA_TYPE"
  | "ERR_VIDEO_NOT_ALLOWED"
  | "ERR_RULES_ENFORCED"
  | "ERR_VIEWER_IP_UNKNOWN"
  | "ERR_BATCH_TOO_LARGE"
  | "ERR_NOT_FOUND"
  | "ERR_INTERNAL";

/** Every code an error response may carry. */
export type ErrorCode = StreamTokenErrorCode | ServiceErrorCode;

/** The statuses the service answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500;

/** The JSON body of every error response: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/**
 * An error that becomes an HTTP response as it is: its status, its code, its message.
 * Messages are written for the API caller, so they never hold a token or a key.
 *
 * @example
 * ```ts
 * throw new HttpError(403, "ERR_VIDEO_NOT_ALLOWED", "videoId is not on this service's allow-list.");
 * ```
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: ErrorStatus;
  readonly code: ErrorCode;
  /** Extra response headers, such as `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: ErrorStatus,
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** The message every unexpected failure gets: internal error text never reaches the caller. */
export const INTERNAL_MESSAGE = "internal error: the request could not be completed.";

/**
 * Maps anything thrown while serving a request to a status and a safe body.
 * Caller mistakes (`StreamTokenError` about claims, rules or ids) are 400; key
 * problems are the operator's, so they are a 500 that reveals nothing.
 *
 * @example
 * ```ts
 * const { status, body } = toErrorResponse(error);
 * return c.json(body, status);
 * ```
 */
export function toErrorResponse(error: unknown): {
  status: ErrorStatus;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
} {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message } },
      headers: error.headers,
    };
  }
  if (
    isStreamTokenError(error) &&
    !error.code.startsWith("ERR_KEY") &&
    error.code !== "ERR_INTERNAL"
  ) {
    return {
      status: 400,
      body: { error: { code: error.code, message: error.message } },
      headers: {},
    };
  }
  return {
    status: 500,
    body: { error: { code: "ERR_INTERNAL", message: INTERNAL_MESSAGE } },
    headers: {},
  };
}
