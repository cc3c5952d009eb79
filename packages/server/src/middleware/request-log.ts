import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import type { LogSink } from "../options.js";

/**
 * Writes one JSON line per request: time, method, path, status, ms, and the
 * token's kid/sub/exp when one was issued. The line is built from an explicit
 * list of fields, never from headers or bodies, so a token, a key or the
 * Authorization header cannot end up in it.
 *
 * @example
 * ```ts
 * app.use(requestLog((line) => process.stdout.write(`${line}\n`), Date.now));
 * ```
 */
export function requestLog(sink: LogSink, clock: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    c.set("logFields", {});
    await next();
    const { kid, sub, exp, count } = c.get("logFields");
    sink(
      JSON.stringify({
        time: new Date(clock()).toISOString(),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 100) / 100,
        kid,
        sub,
        exp,
        count,
      }),
    );
  };
}
