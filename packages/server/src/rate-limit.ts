import type { RateLimitDecision, RateLimiter } from "./options.js";

/** Options of {@link createTokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Sustained requests (tokens asked for) per second, per key. */
  ratePerSecond: number;
  /** Bucket size: how many may come at once after a quiet spell. */
  burst: number;
  /** Milliseconds; defaults to `Date.now`. */
  clock?: (() => number) | undefined;
}

/** A {@link RateLimiter} that decides synchronously. */
export interface TokenBucketLimiter extends RateLimiter {
  take(key: string, cost: number): RateLimitDecision;
}

interface Bucket {
  level: number;
  updatedAt: number;
}

/**
 * An in-memory token bucket per key, for one Node process. A request costing more
 * than the whole bucket (a large batch against a small burst) is let through only
 * when the bucket is full, and is still charged its whole cost: the level goes
 * negative, and the key waits until the debt is paid back at the sustained rate.
 * So over time a key never gets more than `ratePerSecond` tokens, whatever its
 * batch sizes.
 *
 * @example
 * ```ts
 * const limiter = createTokenBucketLimiter({ ratePerSecond: 100, burst: 200 });
 * const decision = limiter.take(apiKeyId, 1); // { allowed: true }
 * ```
 */
export function createTokenBucketLimiter(options: TokenBucketOptions): TokenBucketLimiter {
  const { ratePerSecond, burst } = options;
  const clock = options.clock ?? Date.now;
  const buckets = new Map<string, Bucket>();

  return {
    take(key, cost): RateLimitDecision {
      const now = clock();
      const bucket = buckets.get(key) ?? { level: burst, updatedAt: now };
      bucket.level = Math.min(
        burst,
        bucket.level + ((now - bucket.updatedAt) / 1000) * ratePerSecond,
      );
      bucket.updatedAt = now;
      buckets.set(key, bucket);
      // The level this request needs: its cost, or a full bucket when it costs more.
      const needed = Math.min(cost, burst);
      if (bucket.level >= needed) {
        bucket.level -= cost;
        return { allowed: true };
      }
      const deficit = needed - bucket.level;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(deficit / ratePerSecond)) };
    },
  };
}
