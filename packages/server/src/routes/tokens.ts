import { Hono } from "hono";
import type { AppEnv, RouteDeps } from "../app-env.js";
import { apiKeyAuth } from "../middleware/auth.js";
import { jsonBody } from "../middleware/json-body.js";
import { rateLimit } from "../middleware/rate-limit.js";
import { issueToken } from "../token-issuer.js";

/**
 * `POST /v1/tokens`: one signed token and its URLs, 201.
 *
 * @example
 * ```ts
 * app.route("/", tokensRoute(deps));
 * ```
 */
export function tokensRoute(deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().post(
    "/v1/tokens",
    apiKeyAuth(deps.config.auth),
    jsonBody(deps.config.bodyLimitBytes),
    rateLimit(deps.rateLimiter, () => 1),
    async (c) => {
      const { response, claims } = await issueToken(c.get("body"), {
        signer: deps.keys().active,
        policy: deps.config.policy,
        urlBase: deps.config.urlBase,
        metrics: deps.metrics,
        clientIp: () => deps.clientIp(c),
      });
      c.set("logFields", { kid: claims.kid, sub: claims.sub, exp: claims.exp });
      c.header("Cache-Control", "no-store");
      return c.json(response, 201);
    },
  );
}
