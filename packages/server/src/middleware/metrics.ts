import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import type { Metrics } from "../metrics.js";

/**
 * Counts every request by method, matched route pattern and status. The pattern,
 * not the path, keeps the label set small whatever paths scanners try.
 *
 * @example
 * ```ts
 * app.use(countRequests(metrics));
 * ```
 */
export function countRequests(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const route = c.res.status === 404 && c.req.routePath === "/*" ? "unmatched" : c.req.routePath;
    metrics.request(c.req.method, route, c.res.status);
  };
}
