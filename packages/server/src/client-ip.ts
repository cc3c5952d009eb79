import type { Context } from "hono";

/**
 * The caller's address. Proxy headers are believed only when the operator said a
 * proxy is in front (`STREAMSIGN_TRUST_PROXY`); otherwise anyone could claim any
 * address and get a token bound to someone else's network.
 *
 * With `trustProxyHops` N, `CF-Connecting-IP` wins when present (Cloudflare
 * overwrites it), else the Nth `X-Forwarded-For` entry from the right: each proxy
 * appends the address it saw, so the rightmost entries are the trustworthy ones.
 *
 * @example
 * ```ts
 * resolveClientIp(c, 1, "10.0.0.2"); // "203.0.113.7" when X-Forwarded-For: 203.0.113.7
 * resolveClientIp(c, 0, "10.0.0.2"); // "10.0.0.2", headers ignored
 * ```
 */
export function resolveClientIp(
  c: Context,
  trustProxyHops: number,
  socketAddress: string | undefined,
): string | undefined {
  if (trustProxyHops > 0) {
    const cloudflare = c.req.header("cf-connecting-ip")?.trim();
    if (cloudflare) return cloudflare;
    const forwarded = c.req.header("x-forwarded-for");
    if (forwarded) {
      const hops = forwarded.split(",").map((entry) => entry.trim());
      return hops[Math.max(0, hops.length - trustProxyHops)] || undefined;
    }
  }
  return socketAddress;
}
