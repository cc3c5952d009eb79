// The Cloudflare Workers entry: bindings → options. No logic, no Node APIs
// (`nodejs_compat` is not needed: streamsign signs with WebCrypto here).
import { createApp, type StreamsignApp } from "./app.js";
import { loadService } from "./config.js";
import { ConfigError } from "./config-error.js";
import type { RateLimiter } from "./options.js";
import { createTokenBucketLimiter } from "./rate-limit.js";

/** The Workers Rate Limiting binding (`[[unsafe.bindings]] type = "ratelimit"`), typed structurally. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The Worker's bindings: `[vars]`, secrets, and the optional rate limiter. */
export interface WorkerEnv {
  RATE_LIMITER?: RateLimitBinding;
  [name: string]: unknown;
}

/** The slice of the Workers `ExecutionContext` this entry touches. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The binding's periods are 10 or 60 seconds; 60 is the safe hint when it says no. */
const BINDING_RETRY_AFTER_SECONDS = 60;

/**
 * The binding counts calls, not units: a request costing N (a batch of N tokens)
 * makes N calls, one at a time, and stops at the first refusal. The units taken
 * before a refusal stay taken, as they would on a bucket.
 */
function bindingLimiter(binding: RateLimitBinding): RateLimiter {
  return {
    async take(key, cost) {
      for (let unit = 0; unit < cost; unit++) {
        const { success } = await binding.limit({ key });
        if (!success) return { allowed: false, retryAfterSeconds: BINDING_RETRY_AFTER_SECONDS };
      }
      return { allowed: true };
    },
  };
}

// One app per isolate, built on the first request (bindings arrive with it) and
// reused after: keys are imported once, not per request. Bindings cannot change
// within an isolate; a new deployment starts new isolates.
let built: Promise<StreamsignApp> | undefined;

async function buildApp(env: WorkerEnv): Promise<StreamsignApp> {
  const service = await loadService(env);
  const rateLimiter =
    env.RATE_LIMITER !== undefined
      ? bindingLimiter(env.RATE_LIMITER)
      : service.rateLimit && createTokenBucketLimiter(service.rateLimit);
  if (service.config.trustProxy.mode !== "off") {
    console.warn(
      "streamsign-server: STREAMSIGN_TRUST_PROXY is ignored on Workers: the caller's address is always CF-Connecting-IP.",
    );
  }
  return createApp({
    // The address below is Cloudflare's own; no proxy header may replace it.
    config: { ...service.config, trustProxy: { mode: "off" } },
    keys: () => service.keyring,
    log: (line) => console.log(line),
    rateLimiter,
    // Cloudflare sets this header itself at the edge; a client cannot forge it.
    clientAddress: (c) => c.req.header("cf-connecting-ip") ?? undefined,
  });
}

function misconfigured(): Response {
  return Response.json(
    {
      error: {
        code: "ERR_INTERNAL",
        message: "the service is misconfigured; its operator can see why in the Worker's logs.",
      },
    },
    { status: 500 },
  );
}

export default {
  async fetch(request: Request, env: WorkerEnv, _ctx: WorkerContext): Promise<Response> {
    built ??= buildApp(env);
    let app: StreamsignApp;
    try {
      app = await built;
    } catch (error) {
      built = undefined;
      // The variable to fix goes to the operator's log (`wrangler tail`), not to callers.
      console.error(
        error instanceof ConfigError
          ? `streamsign-server: configuration error in ${error.variable}: ${error.message}`
          : `streamsign-server: could not start: ${error instanceof Error ? error.name : "error"}`,
      );
      return misconfigured();
    }
    return app.fetch(request, env);
  },
};
