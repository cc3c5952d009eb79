import type { StreamTokenClaims } from "./claims.js";
import { StreamTokenError } from "./errors.js";
import { parseDuration } from "./lib/duration.js";

/** Options for {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** Most tokens kept; the least recently used go first. Default 10,000. */
  maxEntries?: number | undefined;
  /**
   * A cached token is reused only while it has at least this long left. Default
   * `"5m"`. Requests whose lifetime leaves less than this after alignment are
   * signed fresh and not cached.
   */
  minRemainingLife?: number | string | undefined;
  /**
   * Width of the time bucket `exp` is aligned to (down, so no token outlives what
   * was asked or the 24 h cap). Requests with identical claims inside one bucket
   * share one token. Default `"1m"`.
   */
  bucket?: number | string | undefined;
}

/** Counters a cache keeps, for metrics. */
export interface TokenCacheStats {
  hits: number;
  misses: number;
  /** Requests signed fresh because aligning would leave under `minRemainingLife`. */
  bypassed: number;
  size: number;
}

/**
 * A bounded, in-memory cache of signed tokens; pass it to `createSigner({ cache })`.
 * Opaque: its methods are used by the signer.
 */
export interface TokenCache {
  /** Hit/miss counters and current size. */
  stats(): TokenCacheStats;
  /** Drops every cached token (for example after a key rotation). */
  clear(): void;
  /** @internal */
  readonly _internal: TokenCacheInternals;
}

/** @internal */
export interface TokenCacheInternals {
  /** The aligned `exp` (relative expiries only), or null when the request must bypass the cache. Pure. */
  align(claims: Readonly<StreamTokenClaims>, relative: boolean, nowSeconds: number): number | null;
  /** Counts a request signed fresh because it could not be cached. */
  bypass(): void;
  lookup(key: string, nowSeconds: number): Promise<string> | undefined;
  store(key: string, exp: number, token: Promise<string>): void;
}

interface Entry {
  exp: number;
  token: Promise<string>;
}

function durationOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      `${name} must be a positive duration like 60 or "1m".`,
    );
  }
  return seconds;
}

/**
 * Creates an opt-in token cache. Requests with identical claims in the same time
 * bucket get the same token back instead of a new RSA signature: a hit costs
 * microseconds where signing costs a third of a millisecond or more. Reuse is
 * honest: `exp` is aligned down to the bucket, so every viewer's token is exactly
 * what signing at that moment would have produced, and it is never handed out with
 * less than `minRemainingLife` left.
 *
 * @example
 * ```ts
 * import { createSigner, createTokenCache } from "streamsign";
 * const signer = await createSigner({
 *   key, keyId,
 *   cache: createTokenCache({ maxEntries: 50_000, minRemainingLife: "10m" }),
 * });
 * ```
 */
export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new StreamTokenError("ERR_OPTION_INVALID", "maxEntries must be a positive whole number.");
  }
  const minRemainingLife = durationOption(options.minRemainingLife, "minRemainingLife", 300);
  const bucket = durationOption(options.bucket, "bucket", 60);
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  const entries = new Map<string, Entry>();
  const counters = { hits: 0, misses: 0, bypassed: 0 };

  const internals: TokenCacheInternals = {
    align(claims, relative, nowSeconds) {
      const exp = relative ? Math.floor(claims.exp / bucket) * bucket : claims.exp;
      if (exp - nowSeconds < minRemainingLife || (claims.nbf !== undefined && claims.nbf >= exp)) {
        return null;
      }
      return exp;
    },
    bypass() {
      counters.bypassed++;
    },
    lookup(key, nowSeconds) {
      const entry = entries.get(key);
      if (entry === undefined) {
        counters.misses++;
        return undefined;
      }
      entries.delete(key);
      if (entry.exp - nowSeconds < minRemainingLife) {
        counters.misses++;
        return undefined;
      }
      entries.set(key, entry);
      counters.hits++;
      return entry.token;
    },
    store(key, exp, token) {
      entries.set(key, { exp, token });
      // A failed signature must not be served to the next caller.
      token.catch(() => {
        if (entries.get(key)?.token === token) entries.delete(key);
      });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
  };

  return {
    stats: () => ({ ...counters, size: entries.size }),
    clear: () => entries.clear(),
    _internal: internals,
  };
}
