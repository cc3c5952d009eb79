import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { HttpError } from "../errors.js";
import type { RateLimiter } from "../options.js";

/**
 * Charges the caller's API key `cost(c)` units (1 per token asked for) and answers
 * 429 with `Retry-After` when its bucket is empty. Runs after auth, so the key is
 * known, and after the body is read, so a batch is charged for its size.
 *
 * @example
 * ```ts
 * app.post("/v1/tokens", apiKeyAuth(auth), jsonBody(limit), rateLimit(limiter, () => 1), handler);
 * ```
 */
export function rateLimit(
  limiter: RateLimiter | undefined,
  cost: (c: Context<AppEnv>) => number,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (limiter === undefined) return next();
    const decision = await limiter.take(c.get("apiKeyId"), Math.max(1, cost(c)));
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterSeconds));
      throw new HttpError(
        429,
        "ERR_RATE_LIMITED",
        `too many requests for this API key: retry in ${seconds}s.`,
        {
          "Retry-After": String(seconds),
        },
      );
    }
    return next();
  };
}
