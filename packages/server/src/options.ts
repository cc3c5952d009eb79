import type { Context } from "hono";
import type { AccessRule, Signer, StreamUrlBase } from "streamsign";

/**
 * The keys the service signs with: one active signer, plus every signer whose
 * public key is published in the JWKS (the active one included). A request reads
 * the keyring once and keeps that snapshot, so a reload never changes the key under
 * a request that is already running.
 */
export interface Keyring {
  readonly active: Signer;
  readonly signers: readonly Signer[];
}

/** Returns the current keyring; Node swaps what it returns on SIGHUP. */
export type KeySource = () => Keyring;

/** Receives one JSON line per request (and a few service events). */
export type LogSink = (line: string) => void;

/** What a {@link RateLimiter} decided for one request. */
export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Per-API-key rate limiting: in memory on Node, the Rate Limiting binding on Workers. */
export interface RateLimiter {
  /** Takes `cost` units (1 per token asked for) from the bucket of `key`. */
  take(key: string, cost: number): RateLimitDecision | Promise<RateLimitDecision>;
}

/** One configured API key: only its SHA-256 is kept. */
export interface ApiKey {
  digest: Uint8Array;
  /** A short, non-secret label (a prefix of the digest), used as the rate-limit key. */
  id: string;
}

/** Who may call the signing routes. `disabled` exists only for `--insecure-dev`. */
export type AuthConfig = { mode: "api-keys"; keys: readonly ApiKey[] } | { mode: "disabled" };

/** How the service's default access rules combine with a request's own. */
export type AccessRulesMode = "prepend" | "enforce";

/** What the service lets callers sign. */
export interface Policy {
  /** No token lives longer than this (at most 24 h, Cloudflare's cap). */
  maxTtlSeconds: number;
  /** Lifetime when a request gives no `expiresIn`. */
  defaultTtlSeconds: number;
  /** The operator's rules: put before the caller's (`prepend`), or used alone (`enforce`). */
  accessRules: readonly AccessRule[];
  accessRulesMode: AccessRulesMode;
  /** When set, only these video uids (lowercase) may be signed. */
  videoAllowList: ReadonlySet<string> | undefined;
  /**
   * Bind tokens to the caller's network when a request does not say. With
   * `accessRulesMode: "enforce"` a request may not opt out (`bindViewerIp: false`).
   */
  bindViewerIp: boolean;
  /** Prefix lengths of the bound network. */
  ipv4Prefix: number;
  ipv6Prefix: number;
}

/**
 * Where the caller's address comes from (`STREAMSIGN_TRUST_PROXY`):
 * - `off`: the peer's address only; proxy headers are ignored.
 * - `cloudflare`: only `CF-Connecting-IP`, which Cloudflare's edge sets itself.
 * - `x-forwarded-for`: only the `hops`th `X-Forwarded-For` entry from the right (the
 *   one the outermost trusted proxy appended); unknown when there are fewer entries.
 */
export type TrustProxy =
  | { mode: "off" }
  | { mode: "cloudflare" }
  | { mode: "x-forwarded-for"; hops: number };

/** Everything `createApp` needs to know that is not a runtime capability. */
export interface ServerConfig {
  auth: AuthConfig;
  policy: Policy;
  /** Where the returned URLs point: `{ customerCode }` or `{ baseUrl }`. */
  urlBase: StreamUrlBase;
  /** Which proxy header, if any, gives the client address; see {@link TrustProxy}. */
  trustProxy: TrustProxy;
  /** Largest request body accepted, in bytes (64 KB). */
  bodyLimitBytes: number;
}

/** Options of {@link createApp}: every runtime-specific piece is injected. */
export interface AppOptions {
  /** The current keyring. */
  keys: KeySource;
  config: ServerConfig;
  /** Milliseconds since the epoch, for log timestamps; defaults to `Date.now`. */
  clock?: (() => number) | undefined;
  /** Where request log lines go; defaults to dropping them. */
  log?: LogSink | undefined;
  /** Omit to disable rate limiting. */
  rateLimiter?: RateLimiter | undefined;
  /**
   * The address of the peer that opened the connection: the socket on Node,
   * `CF-Connecting-IP` on Workers. Under `config.trustProxy` other than `off`,
   * the proxy header replaces it.
   */
  clientAddress?: ((c: Context) => string | undefined) | undefined;
}
