import { Hono } from "hono";
import type { AppEnv, RouteDeps } from "../app-env.js";

/**
 * `GET /metrics`: Prometheus text.
 *
 * @example
 * ```ts
 * app.route("/", metricsRoute(deps));
 * ```
 */
export function metricsRoute(deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/metrics", (c) => {
    c.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    c.header("Cache-Control", "no-store");
    return c.body(deps.metrics.render(), 200);
  });
}
