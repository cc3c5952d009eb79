import { Hono } from "hono";
import type { PublicJwk } from "streamsign";
import type { AppEnv, RouteDeps } from "../app-env.js";

/**
 * `GET /.well-known/jwks.json`: the public half of every key in the keyring, so
 * other services can verify tokens (by `kid`) without sharing secrets.
 *
 * @example
 * ```ts
 * app.route("/", jwksRoute(deps));
 * ```
 */
export function jwksRoute(deps: RouteDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/.well-known/jwks.json", (c) => {
    const keys = deps
      .keys()
      .signers.flatMap((signer): PublicJwk[] =>
        signer.publicJwk === undefined ? [] : [signer.publicJwk],
      );
    // Short: after a rotation, verifiers should see the new key within minutes.
    c.header("Cache-Control", "public, max-age=300");
    return c.json({ keys }, 200);
  });
}
