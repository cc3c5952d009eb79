// Builds the real app (real config parsing, real signers from the fixture keys) for
// tests that drive it through `app.request()`.
import { createLocalJWKSet, importSPKI, type JWTPayload, jwtVerify } from "jose";
import { readFixture, TEST_KID, TEST_KID_B } from "../../../streamsign/test/fixtures.js";
import { createApp, type StreamsignApp } from "../../src/app.js";
import { loadService } from "../../src/config.js";
import type { AppOptions, Keyring } from "../../src/options.js";
import { createTokenBucketLimiter } from "../../src/rate-limit.js";

export { readFixture, TEST_KID, TEST_KID_B };

export const API_KEY = "test-api-key-0123456789abcdef";
export const OTHER_API_KEY = "another-api-key-fedcba9876543210";
export const VIDEO_ID = "5d5bc37ffcf54c9b82e996823bffbb81";
export const OTHER_VIDEO_ID = "0123456789abcdef0123456789abcdef";
export const CUSTOMER_CODE = "f33zs165nr7gyfy4";
export const KEY_PEM = readFixture("keys/test-rsa2048.pkcs1.pem");
export const KEY_B_PEM = readFixture("keys/test-rsa2048-b.pkcs1.pem");
export const PUBLIC_PEM = readFixture("keys/test-rsa2048.spki.pem");
export const PUBLIC_B_PEM = readFixture("keys/test-rsa2048-b.spki.pem");

/** The env every test starts from: one fixture key, one API key, no rate limit. */
export function baseEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = {
    STREAMSIGN_API_KEYS: API_KEY,
    STREAM_KEY: KEY_PEM,
    STREAM_KEY_ID: TEST_KID,
    STREAM_CUSTOMER_CODE: CUSTOMER_CODE,
    STREAMSIGN_RATE_LIMIT: "off",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined),
  ) as Record<string, string>;
}

export interface TestService {
  app: StreamsignApp;
  /** Every line the app logged. */
  lines: string[];
  /** Swaps the keyring, as SIGHUP does on Node. */
  setKeyring(keyring: Keyring): void;
  keyring(): Keyring;
  /** The socket address the next requests come from. */
  setSocketAddress(address: string | undefined): void;
}

/** Loads config from `env` exactly as the entries do and builds the app around it. */
export async function startService(
  env: Record<string, string> = baseEnv(),
  options: { insecureDev?: boolean; clock?: () => number; extra?: Partial<AppOptions> } = {},
): Promise<TestService> {
  const service = await loadService(env, {
    insecureDev: options.insecureDev,
    clock: options.clock,
  });
  const lines: string[] = [];
  let keyring = service.keyring;
  let socketAddress: string | undefined = "198.51.100.23";
  const app = createApp({
    config: service.config,
    keys: () => keyring,
    log: (line) => lines.push(line),
    clock: options.clock,
    rateLimiter:
      service.rateLimit && createTokenBucketLimiter({ ...service.rateLimit, clock: options.clock }),
    clientAddress: () => socketAddress,
    ...options.extra,
  });
  return {
    app,
    lines,
    setKeyring: (next) => {
      keyring = next;
    },
    keyring: () => keyring,
    setSocketAddress: (address) => {
      socketAddress = address;
    },
  };
}

/** POSTs JSON with the test API key (override or drop headers through `headers`). */
export function postJson(
  app: StreamsignApp,
  path: string,
  body: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const all: Record<string, string | undefined> = {
    authorization: `Bearer ${API_KEY}`,
    "content-type": "application/json",
    ...headers,
  };
  return Promise.resolve(
    app.request(path, {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** Verifies with jose against the fixture public key (an independent RS256 implementation). */
export async function verifyWithPublicKey(
  token: string,
  publicPem = PUBLIC_PEM,
): Promise<JWTPayload> {
  const key = await importSPKI(publicPem, "RS256");
  const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ["RS256"] });
  if (protectedHeader.kid !== payload.kid) throw new Error("header kid differs from claim kid");
  return payload;
}

/** Verifies with jose against a JWKS document the service served. */
export async function verifyWithJwks(
  token: string,
  jwks: { keys: unknown[] },
): Promise<JWTPayload> {
  const keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
  const { payload } = await jwtVerify(token, keySet, { algorithms: ["RS256"] });
  return payload;
}

/** Reads an error response's `{ error: { code, message } }`. */
export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error;
}
