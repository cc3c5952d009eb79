import { Hono } from "hono";
import type { AppEnv } from "../app-env.js";
import { openApiDocument } from "../openapi.js";

/**
 * `GET /openapi.json`: the API description (OpenAPI 3.1).
 *
 * @example
 * ```ts
 * app.route("/", openApiRoute());
 * ```
 */
export function openApiRoute(): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/openapi.json", (c) => c.json(openApiDocument, 200));
}
