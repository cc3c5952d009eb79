/** What a request's log line may say beyond method, path, status and ms. Never a token or key. */
export interface LogFields {
  kid?: string;
  sub?: string;
  exp?: number;
  /** Batch size, for batch requests. */
  count?: number;
}

/** Hono's per-request variables, set by the middleware. */
export interface AppEnv {
  Variables: {
    /** Non-secret label of the caller's API key (`anonymous` under `--insecure-dev`). */
    apiKeyId: string;
    /** The parsed JSON body. */
    body: unknown;
    logFields: LogFields;
  };
}

/** What the routes share, built once by `createApp`. */
export interface RouteDeps {
  keys: import("./options.js").KeySource;
  config: import("./options.js").ServerConfig;
  metrics: import("./metrics.js").Metrics;
  rateLimiter: import("./options.js").RateLimiter | undefined;
  /** The caller's address after the trust-proxy rule. */
  clientIp: (c: import("hono").Context<AppEnv>) => string | undefined;
}
