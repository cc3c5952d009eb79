import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { HttpError } from "../errors.js";
import { findDigestConstantTime, sha256 } from "../lib/constant-time.js";
import type { AuthConfig } from "../options.js";

const BEARER = /^Bearer +([^\s]+) *$/i;

function unauthorized(message: string): HttpError {
  return new HttpError(401, "ERR_UNAUTHORIZED", message, {
    "WWW-Authenticate": 'Bearer realm="streamsign"',
  });
}

/**
 * Requires `Authorization: Bearer <API key>`. The presented key is hashed with
 * SHA-256 and compared against every configured digest in full, so neither the
 * key's length nor the position of a mismatch shows in the timing.
 *
 * @example
 * ```ts
 * app.post("/v1/tokens", apiKeyAuth(config.auth), handler);
 * ```
 */
export function apiKeyAuth(auth: AuthConfig): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (auth.mode === "disabled") {
      c.set("apiKeyId", "anonymous");
      return next();
    }
    const header = c.req.header("authorization");
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      throw unauthorized("missing API key: send Authorization: Bearer <API key>.");
    }
    const index = findDigestConstantTime(
      await sha256(presented),
      auth.keys.map((key) => key.digest),
    );
    if (index === -1) throw unauthorized("the API key is not valid.");
    c.set("apiKeyId", auth.keys[index]!.id);
    return next();
  };
}
