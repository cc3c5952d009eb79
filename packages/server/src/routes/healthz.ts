import { Hono } from "hono";
import type { AppEnv, RouteDeps } from "../app-env.js";

/**
 * `GET /healthz`: 200 with the active key id once the service can sign.
 *
 * @example
 * ```ts
 * app.route("/", healthzRoute(deps));
 * ```
 */
export function healthzRoute(deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/healthz", (c) => {
    const keyring = deps.keys();
    c.header("Cache-Control", "no-store");
    return c.json(
      { status: "ok" as const, activeKid: keyring.active.keyId, keys: keyring.signers.length },
      200,
    );
  });
}
