import { Hono } from "hono";
import type { AppEnv, RouteDeps } from "./app-env.js";
import { resolveClientIp } from "./client-ip.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { errorHandler, notFoundHandler } from "./middleware/errors.js";
import { countRequests } from "./middleware/metrics.js";
import { requestLog } from "./middleware/request-log.js";
import type { AppOptions } from "./options.js";
import { healthzRoute } from "./routes/healthz.js";
import { jwksRoute } from "./routes/jwks.js";
import { metricsRoute } from "./routes/metrics.js";
import { openApiRoute } from "./routes/openapi.js";
import { tokensRoute } from "./routes/tokens.js";
import { tokensBatchRoute } from "./routes/tokens-batch.js";

/** The service: a Hono app plus its metrics registry. */
export type StreamsignApp = Hono<AppEnv> & { readonly metrics: Metrics };

/**
 * Builds the token service. Uses Web APIs only: everything that depends on the
 * runtime (keys, clock, log sink, rate limiter, the peer's address) comes in
 * through `options`, which is how the same app runs under Node and on Workers.
 *
 * @example
 * ```ts
 * import { createApp, loadService } from "@streamsign/server";
 *
 * const service = await loadService(env);
 * const app = createApp({ config: service.config, keys: () => service.keyring });
 * const res = await app.request("/v1/tokens", {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
 *   body: JSON.stringify({ videoId: "5d5bc37ffcf54c9b82e996823bffbb81" }),
 * });
 * ```
 */
export function createApp(options: AppOptions): StreamsignApp {
  const clock = options.clock ?? Date.now;
  const log = options.log ?? (() => {});
  const metrics = createMetrics();
  const clientAddress = options.clientAddress ?? (() => undefined);
  const deps: RouteDeps = {
    keys: options.keys,
    config: options.config,
    metrics,
    rateLimiter: options.rateLimiter,
    clientIp: (c) => resolveClientIp(c, options.config.trustProxy, clientAddress(c)),
  };

  const app = new Hono<AppEnv>();
  app.use(requestLog(log, clock));
  app.use(countRequests(metrics));
  app.route("/", tokensRoute(deps));
  app.route("/", tokensBatchRoute(deps));
  app.route("/", jwksRoute(deps));
  app.route("/", healthzRoute(deps));
  app.route("/", metricsRoute(deps));
  app.route("/", openApiRoute());
  app.notFound(notFoundHandler(metrics));
  app.onError(errorHandler(metrics, log));
  return Object.assign(app, { metrics });
}
