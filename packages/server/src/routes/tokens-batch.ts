import { Hono } from "hono";
import type { AppEnv, RouteDeps } from "../app-env.js";
import { type ErrorBody, HttpError, toErrorResponse } from "../errors.js";
import { apiKeyAuth } from "../middleware/auth.js";
import { jsonBody } from "../middleware/json-body.js";
import { rateLimit } from "../middleware/rate-limit.js";
import { issueToken, type TokenResponse } from "../token-issuer.js";

/** Cloudflare's guidance is per-viewer tokens; 100 covers a page of thumbnails. */
export const MAX_BATCH_SIZE = 100;

function batchRequests(body: unknown): unknown[] {
  const requests =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? (body as { requests?: unknown }).requests
      : undefined;
  if (!Array.isArray(requests)) {
    throw new HttpError(
      400,
      "ERR_OPTION_INVALID",
      'the body must be {"requests":[…token requests…]}.',
    );
  }
  const extra = Object.keys(body as object).filter((name) => name !== "requests");
  if (extra.length > 0) {
    throw new HttpError(
      400,
      "ERR_OPTION_UNKNOWN",
      'the batch body has only one field, "requests".',
    );
  }
  if (requests.length > MAX_BATCH_SIZE) {
    throw new HttpError(
      400,
      "ERR_BATCH_TOO_LARGE",
      `requests has ${requests.length} items: at most ${MAX_BATCH_SIZE} per batch.`,
    );
  }
  return requests;
}

/**
 * `POST /v1/tokens/batch`: up to 100 token requests, answered 200 with
 * `{ results }` in request order; each item is a token answer or
 * `{ error: { code, message } }`, so one bad item never sinks the rest.
 *
 * @example
 * ```ts
 * app.route("/", tokensBatchRoute(deps));
 * ```
 */
export function tokensBatchRoute(deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    "/v1/tokens/batch",
    apiKeyAuth(deps.config.auth),
    jsonBody(deps.config.bodyLimitBytes),
    // One unit per token asked for. An oversized batch (refused with 400 right after)
    // is charged as a full one: charging its length would let one request of tiny
    // items make tens of thousands of Rate Limiting binding calls on Workers.
    rateLimit(deps.rateLimiter, (c) => {
      const requests = (c.get("body") as { requests?: unknown } | null)?.requests;
      return Array.isArray(requests) ? Math.min(requests.length, MAX_BATCH_SIZE) : 1;
    }),
    async (c) => {
      const requests = batchRequests(c.get("body"));
      // One keyring snapshot for the whole batch: a reload mid-batch cannot mix keys.
      const signer = deps.keys().active;
      const results = await Promise.all(
        requests.map(async (request): Promise<TokenResponse | ErrorBody> => {
          try {
            const { response } = await issueToken(request, {
              signer,
              policy: deps.config.policy,
              urlBase: deps.config.urlBase,
              metrics: deps.metrics,
              clientIp: () => deps.clientIp(c),
            });
            return response;
          } catch (error) {
            const { body } = toErrorResponse(error);
            deps.metrics.error(body.error.code);
            return body;
          }
        }),
      );
      c.set("logFields", { kid: signer.keyId, count: requests.length });
      c.header("Cache-Control", "no-store");
      return c.json({ results }, 200);
    },
  );
}
