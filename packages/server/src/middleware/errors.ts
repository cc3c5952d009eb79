import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { HttpError, toErrorResponse } from "../errors.js";
import type { Metrics } from "../metrics.js";
import type { LogSink } from "../options.js";

/**
 * Turns anything thrown into `{ error: { code, message } }` with the right status,
 * and counts it. Unexpected errors become a bare 500: their text stays inside (only
 * the error's class name is logged), since it may come from a dependency that does
 * not share our rule about never echoing secrets.
 *
 * @example
 * ```ts
 * app.onError(errorHandler(metrics, log));
 * ```
 */
export function errorHandler(metrics: Metrics, log: LogSink): ErrorHandler<AppEnv> {
  return (error, c) => {
    const { status, body, headers } = toErrorResponse(error);
    metrics.error(body.error.code);
    if (status === 500) {
      const name = error instanceof Error ? error.name : typeof error;
      log(
        JSON.stringify({
          level: "error",
          event: "internal_error",
          method: c.req.method,
          path: c.req.path,
          name,
        }),
      );
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return c.json(body, status);
  };
}

/**
 * The 404 for every path and method the service does not serve.
 *
 * @example
 * ```ts
 * app.notFound(notFoundHandler(metrics));
 * ```
 */
export function notFoundHandler(metrics: Metrics): NotFoundHandler<AppEnv> {
  return (c: Context<AppEnv>) => {
    const { status, body } = toErrorResponse(
      new HttpError(404, "ERR_NOT_FOUND", "no route for this method and path; see /openapi.json."),
    );
    metrics.error(body.error.code);
    return c.json(body, status);
  };
}
