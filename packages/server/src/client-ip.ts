import type { Context } from "hono";
import type { TrustProxy } from "./options.js";

/**
 * The caller's address. Proxy headers are believed only when the operator said
 * which proxy is in front (`STREAMSIGN_TRUST_PROXY`); otherwise anyone could claim
 * any address and get a token bound to someone else's network. Each mode reads one
 * source and never falls back to another:
 *
 * - `off`: the socket's address.
 * - `cloudflare`: `CF-Connecting-IP`, which Cloudflare's edge sets itself.
 * - `x-forwarded-for` with `hops` N: the Nth `X-Forwarded-For` entry from the right.
 *   Each proxy appends the address it saw, so the rightmost N entries are the ones
 *   the trusted proxies wrote; with fewer entries the address is unknown (undefined),
 *   never a leftmost entry, which the client may have written.
 *
 * @example
 * ```ts
 * resolveClientIp(c, { mode: "x-forwarded-for", hops: 1 }, "10.0.0.2"); // "203.0.113.7" when X-Forwarded-For: 203.0.113.7
 * resolveClientIp(c, { mode: "off" }, "10.0.0.2"); // "10.0.0.2", headers ignored
 * ```
 */
export function resolveClientIp(
  c: Context,
  trustProxy: TrustProxy,
  socketAddress: string | undefined,
): string | undefined {
  switch (trustProxy.mode) {
    case "off":
      return socketAddress;
    case "cloudflare":
      return c.req.header("cf-connecting-ip")?.trim() || undefined;
    case "x-forwarded-for": {
      const forwarded = c.req.header("x-forwarded-for");
      if (forwarded === undefined) return undefined;
      const hops = forwarded.split(",").map((entry) => entry.trim());
      if (hops.length < trustProxy.hops) return undefined;
      return hops[hops.length - trustProxy.hops] || undefined;
    }
  }
}
