// @streamsign/server: the runtime-agnostic service. This file only re-exports;
// the runtime entries are node.ts (bin `streamsign-server`) and worker.ts.

export type { StreamsignApp } from "./app.js";
export { createApp } from "./app.js";
export type { LogFields } from "./app-env.js";
export type { ConfigOptions, LoadedService, ServiceSettings } from "./config.js";
export { loadService, settingsFromEnv } from "./config.js";
export { ConfigError } from "./config-error.js";
export type { ErrorBody, ErrorCode, ErrorStatus, ServiceErrorCode } from "./errors.js";
export { HttpError } from "./errors.js";
export type { EnvSource, KeyringDocument, KeyringOptions, ReadFile } from "./keyring.js";
export { keyringFromEnv, parseKeyring, throwAwayKeyring } from "./keyring.js";
export type { Metrics } from "./metrics.js";
export { openApiDocument } from "./openapi.js";
export type {
  AccessRulesMode,
  ApiKey,
  AppOptions,
  AuthConfig,
  Keyring,
  KeySource,
  LogSink,
  Policy,
  RateLimitDecision,
  RateLimiter,
  ServerConfig,
  TrustProxy,
} from "./options.js";
export type { TokenBucketLimiter, TokenBucketOptions } from "./rate-limit.js";
export { createTokenBucketLimiter } from "./rate-limit.js";
export type { TokenRequest, TokenResponse } from "./token-issuer.js";
