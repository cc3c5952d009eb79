// streamsign: Cloudflare Stream signed URLs. This file only re-exports.
export type { TokenCache, TokenCacheOptions, TokenCacheStats } from "./cache.js";
export { createTokenCache } from "./cache.js";
export type { Duration, SignOptions, StreamTokenClaims, Timestamp } from "./claims.js";
export { DEFAULT_EXPIRES_IN_SECONDS, MAX_TOKEN_LIFETIME_SECONDS } from "./claims.js";
export type { DecodedToken, TokenHeader, TokenPayload } from "./decode.js";
export { decodeToken } from "./decode.js";
export type { StreamTokenErrorCode } from "./errors.js";
export { isStreamTokenError, StreamTokenError } from "./errors.js";
export type {
  CryptoKeyLike,
  KeyInput,
  KeyObjectLike,
  PrivateKeyInput,
  PublicJwk,
  RsaJwk,
} from "./keys.js";
export { parseDuration } from "./lib/duration.js";
export type {
  AccessAction,
  AccessDecision,
  AccessRule,
  AnyRule,
  CountryRule,
  IpRule,
  Viewer,
  ViewerNetworkOptions,
} from "./rules.js";
export {
  evaluateAccess,
  MAX_ACCESS_RULES,
  validateAccessRules,
  viewerNetworkRules,
} from "./rules.js";
export type { SignedToken, Signer, SignerOptions, SignRequest } from "./sign.js";
export { createSigner, signerFromEnv } from "./sign.js";
export type {
  DownloadOptions,
  GifOptions,
  StreamUrlBase,
  StreamUrls,
  ThumbnailFit,
  ThumbnailOptions,
  TimeOffset,
} from "./urls.js";
export { streamUrls } from "./urls.js";
export type { Verifier, VerifyKeySource, VerifyOptions } from "./verify.js";
export { createVerifier, verifyToken } from "./verify.js";
