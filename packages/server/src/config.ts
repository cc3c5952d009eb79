import {
  type AccessRule,
  MAX_ACCESS_RULES,
  MAX_TOKEN_LIFETIME_SECONDS,
  parseDuration,
  type StreamUrlBase,
  streamUrls,
  validateAccessRules,
} from "streamsign";
import { ConfigError } from "./config-error.js";
import { type EnvSource, keyringFromEnv, type ReadFile, throwAwayKeyring } from "./keyring.js";
import { sha256, toHex } from "./lib/constant-time.js";
import type {
  AccessRulesMode,
  ApiKey,
  AuthConfig,
  Keyring,
  Policy,
  ServerConfig,
  TrustProxy,
} from "./options.js";

/** Cloudflare warns that exact-IP rules break mobile playback: bind to the network. */
export const DEFAULT_IPV4_PREFIX = 24;
export const DEFAULT_IPV6_PREFIX = 64;
/** 64 KB: a full batch of 100 requests with rules fits with room to spare. */
export const BODY_LIMIT_BYTES = 64 * 1024;
export const DEFAULT_TTL_SECONDS = 3600;
export const DEFAULT_RATE_PER_SECOND = 100;
export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;
/** Plain API keys shorter than this are guessable; `openssl rand -hex 32` makes a good one. */
export const MIN_API_KEY_LENGTH = 16;

/** Used for URLs under `--insecure-dev` when `STREAM_CUSTOMER_CODE` is unset. */
const INSECURE_DEV_BASE_URL = "https://videodelivery.net";

/** Everything read from the environment except the keys. */
export interface ServiceSettings {
  config: ServerConfig;
  /** Token bucket per API key, or undefined when `STREAMSIGN_RATE_LIMIT=off`. */
  rateLimit: { ratePerSecond: number; burst: number } | undefined;
  /** Size of the token cache, or undefined when it is off. */
  tokenCacheEntries: number | undefined;
}

/** Options of {@link settingsFromEnv} and {@link loadService}. */
export interface ConfigOptions {
  /** `--insecure-dev`: no auth, a throw-away key. Only ever set from an explicit flag. */
  insecureDev?: boolean | undefined;
  readFile?: ReadFile | undefined;
  clock?: (() => number) | undefined;
}

function text(env: EnvSource, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new ConfigError(
      name,
      `${name} must be a string (a [vars] entry or a secret), not a ${typeof value}.`,
    );
  }
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function flag(env: EnvSource, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(name, `${name} must be true or false (1/0, yes/no, on/off).`);
}

function integer(env: EnvSource, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(name, `${name} must be a whole number from ${min} to ${max}.`);
  }
  return number;
}

function duration(env: EnvSource, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new ConfigError(
      name,
      `${name} must be a duration: seconds, or one unit like "15m", "2h", "1d".`,
    );
  }
  if (seconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new ConfigError(
      name,
      `${name} is ${seconds}s: Cloudflare accepts tokens that live at most 24 hours (86400s).`,
    );
  }
  return seconds;
}

async function apiKeys(env: EnvSource): Promise<ApiKey[]> {
  const name = "STREAMSIGN_API_KEYS";
  const value = text(env, name);
  if (value === undefined) {
    throw new ConfigError(
      name,
      `${name} is not set: give one or more API keys, comma-separated, plain or as sha256:<hex> (e.g. \`openssl rand -hex 32\`). To try the service without auth, run with --insecure-dev.`,
    );
  }
  const entries = value.split(",").map((entry) => entry.trim());
  const keys: ApiKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = `${name} entry ${index + 1}`;
    let digest: Uint8Array;
    if (entry === "") throw new ConfigError(name, `${where} is empty: remove the extra comma.`);
    if (entry.toLowerCase().startsWith("sha256:")) {
      const hex = entry.slice("sha256:".length);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new ConfigError(
          name,
          `${where} starts with sha256: but is not 64 hex characters (\`printf %s "$KEY" | sha256sum\`).`,
        );
      }
      digest = Uint8Array.from(hex.match(/../g)!, (byte) => Number.parseInt(byte, 16));
    } else {
      if (entry.length < MIN_API_KEY_LENGTH || /\s/.test(entry)) {
        throw new ConfigError(
          name,
          `${where} is too short or has spaces: plain API keys need at least ${MIN_API_KEY_LENGTH} characters and no whitespace.`,
        );
      }
      digest = await sha256(entry);
    }
    keys.push({ digest, id: toHex(digest).slice(0, 12) });
  }
  return keys;
}

function accessRules(env: EnvSource): AccessRule[] {
  const name = "STREAMSIGN_ACCESS_RULES";
  const value = text(env, name);
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(
      name,
      `${name} is not valid JSON: give an array like [{"type":"ip.geoip.country","action":"block","country":["KP"]}].`,
    );
  }
  try {
    return validateAccessRules(parsed, name);
  } catch (error) {
    throw new ConfigError(name, error instanceof Error ? error.message : `${name} is invalid.`, {
      cause: error,
    });
  }
}

function accessRulesMode(env: EnvSource): AccessRulesMode {
  const name = "STREAMSIGN_ACCESS_RULES_MODE";
  const value = text(env, name)?.toLowerCase() ?? "prepend";
  if (value !== "prepend" && value !== "enforce") {
    throw new ConfigError(
      name,
      `${name} must be "prepend" (policy rules first, then the caller's) or "enforce" (policy rules only).`,
    );
  }
  return value;
}

function videoAllowList(env: EnvSource): Set<string> | undefined {
  const name = "STREAMSIGN_VIDEO_ALLOWLIST";
  const value = text(env, name);
  if (value === undefined) return undefined;
  const ids = value
    .split(",")
    .map((id) => id.trim().toLowerCase())
    .filter((id) => id !== "");
  for (const [index, id] of ids.entries()) {
    if (!/^[0-9a-f]{32}$/.test(id)) {
      throw new ConfigError(
        name,
        `${name} entry ${index + 1} is not a video uid (32 hex characters).`,
      );
    }
  }
  if (ids.length === 0) throw new ConfigError(name, `${name} is set but lists no video uids.`);
  return new Set(ids);
}

/** Most proxies `STREAMSIGN_TRUST_PROXY` may count; more is surely a typo. */
const MAX_TRUSTED_PROXIES = 10;

function trustProxy(env: EnvSource): TrustProxy {
  const name = "STREAMSIGN_TRUST_PROXY";
  const value = text(env, name)?.toLowerCase();
  if (value === undefined || ["0", "false", "no", "off"].includes(value)) return { mode: "off" };
  if (value === "cloudflare") return { mode: "cloudflare" };
  if (["true", "yes", "on"].includes(value)) return { mode: "x-forwarded-for", hops: 1 };
  const hops = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (hops >= 1 && hops <= MAX_TRUSTED_PROXIES) {
    return { mode: "x-forwarded-for", hops };
  }
  throw new ConfigError(
    name,
    `${name} must be false (the socket's address only), "cloudflare" (CF-Connecting-IP, when only Cloudflare can reach the service), or true or a number N from 1 to ${MAX_TRUSTED_PROXIES} (the Nth X-Forwarded-For entry from the right, for N proxies in front; true means 1).`,
  );
}

function urlBase(env: EnvSource, insecureDev: boolean): StreamUrlBase {
  const name = "STREAM_CUSTOMER_CODE";
  const customerCode = text(env, name);
  if (customerCode === undefined) {
    if (insecureDev) return { baseUrl: INSECURE_DEV_BASE_URL };
    throw new ConfigError(
      name,
      `${name} is not set: give the code from your Stream URLs, https://customer-<CODE>.cloudflarestream.com.`,
    );
  }
  const base = { customerCode };
  try {
    streamUrls("probe", base);
  } catch (error) {
    throw new ConfigError(name, `${name}: ${error instanceof Error ? error.message : "invalid"}`, {
      cause: error,
    });
  }
  return base;
}

function rateLimit(env: EnvSource): ServiceSettings["rateLimit"] {
  const value = text(env, "STREAMSIGN_RATE_LIMIT")?.toLowerCase();
  if (value === "off" || value === "0") return undefined;
  const ratePerSecond = integer(
    env,
    "STREAMSIGN_RATE_LIMIT",
    DEFAULT_RATE_PER_SECOND,
    1,
    1_000_000,
  );
  const burst = integer(env, "STREAMSIGN_RATE_BURST", ratePerSecond * 2, 1, 10_000_000);
  return { ratePerSecond, burst };
}

function tokenCacheEntries(env: EnvSource): number | undefined {
  const name = "STREAMSIGN_TOKEN_CACHE";
  const value = text(env, name)?.toLowerCase();
  if (value === undefined || ["0", "false", "no", "off"].includes(value)) return undefined;
  if (["1", "true", "yes", "on"].includes(value)) return DEFAULT_TOKEN_CACHE_ENTRIES;
  return integer(env, name, DEFAULT_TOKEN_CACHE_ENTRIES, 1, 10_000_000);
}

/** Rules that come before the binding pair must not let anyone in, or the binding means nothing. */
function checkRulesBeforeBinding(policy: Policy): void {
  if (!policy.bindViewerIp) return;
  const name = "STREAMSIGN_ACCESS_RULES";
  if (policy.accessRules.some((rule) => rule.action === "allow")) {
    throw new ConfigError(
      name,
      `${name} has allow rules while STREAMSIGN_BIND_VIEWER_IP is on: viewer-IP binding appends "allow the viewer's network, block everyone else", so rules before it may only block.`,
    );
  }
  if (policy.accessRules.some((rule) => rule.type === "any")) {
    throw new ConfigError(
      name,
      `${name} has an "any" rule while STREAMSIGN_BIND_VIEWER_IP is on: nothing after it would ever apply.`,
    );
  }
  if (policy.accessRules.length + 2 > MAX_ACCESS_RULES) {
    throw new ConfigError(
      name,
      `${name} has ${policy.accessRules.length} rules: with viewer-IP binding (2 more) a token would exceed Cloudflare's limit of ${MAX_ACCESS_RULES}.`,
    );
  }
}

/**
 * Reads every setting except the keys from the environment (or Worker bindings),
 * with defaults, and fails with a {@link ConfigError} that names the variable.
 *
 * @example
 * ```ts
 * const { config, rateLimit } = await settingsFromEnv(process.env);
 * ```
 */
export async function settingsFromEnv(
  env: EnvSource,
  options: ConfigOptions = {},
): Promise<ServiceSettings> {
  const insecureDev = options.insecureDev === true;
  const auth: AuthConfig = insecureDev
    ? { mode: "disabled" }
    : { mode: "api-keys", keys: await apiKeys(env) };
  const maxTtlSeconds = duration(env, "STREAMSIGN_MAX_TTL", MAX_TOKEN_LIFETIME_SECONDS);
  const defaultTtlSeconds = duration(
    env,
    "STREAMSIGN_DEFAULT_TTL",
    Math.min(DEFAULT_TTL_SECONDS, maxTtlSeconds),
  );
  if (defaultTtlSeconds > maxTtlSeconds) {
    throw new ConfigError(
      "STREAMSIGN_DEFAULT_TTL",
      `STREAMSIGN_DEFAULT_TTL (${defaultTtlSeconds}s) is longer than STREAMSIGN_MAX_TTL (${maxTtlSeconds}s).`,
    );
  }
  const policy: Policy = {
    maxTtlSeconds,
    defaultTtlSeconds,
    accessRules: accessRules(env),
    accessRulesMode: accessRulesMode(env),
    videoAllowList: videoAllowList(env),
    bindViewerIp: flag(env, "STREAMSIGN_BIND_VIEWER_IP", false),
    ipv4Prefix: integer(env, "STREAMSIGN_IPV4_PREFIX", DEFAULT_IPV4_PREFIX, 1, 32),
    ipv6Prefix: integer(env, "STREAMSIGN_IPV6_PREFIX", DEFAULT_IPV6_PREFIX, 1, 128),
  };
  if (policy.accessRulesMode === "enforce" && policy.accessRules.length === 0) {
    throw new ConfigError(
      "STREAMSIGN_ACCESS_RULES",
      "STREAMSIGN_ACCESS_RULES_MODE is enforce, but STREAMSIGN_ACCESS_RULES is not set: give the rules to enforce.",
    );
  }
  checkRulesBeforeBinding(policy);
  return {
    config: {
      auth,
      policy,
      urlBase: urlBase(env, insecureDev),
      trustProxy: trustProxy(env),
      bodyLimitBytes: BODY_LIMIT_BYTES,
    },
    rateLimit: rateLimit(env),
    tokenCacheEntries: tokenCacheEntries(env),
  };
}

/** A configured service, ready for `createApp`: settings, keys, and how to reload the keys. */
export interface LoadedService extends ServiceSettings {
  keyring: Keyring;
  /** Reads the key source again (files are re-read); rejects with a {@link ConfigError}. */
  reloadKeys(): Promise<Keyring>;
}

/**
 * Reads all configuration, keys included. Under `insecureDev` the keys come from
 * {@link throwAwayKeyring} and key variables are ignored.
 *
 * @example
 * ```ts
 * const service = await loadService(process.env, { readFile: (p) => readFile(p, "utf8") });
 * const app = createApp({ config: service.config, keys: () => service.keyring });
 * ```
 */
export async function loadService(
  env: EnvSource,
  options: ConfigOptions = {},
): Promise<LoadedService> {
  const settings = await settingsFromEnv(env, options);
  const keyringOptions = {
    readFile: options.readFile,
    clock: options.clock,
    tokenCacheEntries: settings.tokenCacheEntries,
  };
  const reloadKeys = () =>
    options.insecureDev === true
      ? throwAwayKeyring(keyringOptions)
      : keyringFromEnv(env, keyringOptions);
  return { ...settings, keyring: await reloadKeys(), reloadKeys };
}
