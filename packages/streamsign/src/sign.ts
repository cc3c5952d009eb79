import { backend as runtimeBackend } from "#backend";
import type { Backend, SigningKey } from "./backend/types.js";
import type { TokenCache } from "./cache.js";
import { buildClaims, type SignOptions, type StreamTokenClaims } from "./claims.js";
import { MAX_TOKEN_LENGTH } from "./decode.js";
import { StreamTokenError } from "./errors.js";
import {
  checkKeyId,
  type KeyMaterial,
  type PrivateKeyInput,
  type PublicJwk,
  parseKeyInput,
  publicJwkFromNumbers,
} from "./keys.js";
import { decodeBase64Url, encodeBase64UrlText, utf8Encoder } from "./lib/base64url.js";

/** Options for {@link createSigner}. */
export interface SignerOptions {
  /** The RSA private key, in any form Cloudflare or you hold: see {@link PrivateKeyInput}. */
  key: PrivateKeyInput;
  /**
   * Cloudflare's key id (`result.id` of `POST /stream/keys`). May be omitted when the
   * key is a JWK that carries `kid` (Cloudflare's `jwk` field does).
   */
  keyId?: string | undefined;
  /** Milliseconds since the epoch; defaults to `Date.now`. Inject it in tests. */
  clock?: (() => number) | undefined;
  /** An opt-in {@link createTokenCache} cache: identical requests in one time bucket share a token. */
  cache?: TokenCache | undefined;
}

/** One request of {@link Signer.signMany}. */
export interface SignRequest {
  videoId: string;
  options?: SignOptions | undefined;
}

/** A token together with the claims it carries. */
export interface SignedToken {
  token: string;
  claims: StreamTokenClaims;
  /** `claims.exp` as a Date. */
  expiresAt: Date;
}

/** A key imported once, ready to sign any number of tokens. */
export interface Signer {
  /** The key id written to every token's header and `kid` claim. */
  readonly keyId: string;
  /**
   * The public half as a JWK, for a JWKS document, or undefined when the runtime
   * cannot read it (a non-extractable CryptoKey outside Node).
   */
  readonly publicJwk: PublicJwk | undefined;
  /**
   * Signs a token for one video. Validates everything first; on bad input it
   * throws {@link StreamTokenError} and signs nothing.
   *
   * @example
   * ```ts
   * const token = await signer.sign("5d5bc37ffcf54c9b82e996823bffbb81", {
   *   expiresIn: "2h",
   *   accessRules: [
   *     { type: "ip.geoip.country", action: "allow", country: ["GB", "US"] },
   *     { type: "any", action: "block" },
   *   ],
   * });
   * ```
   */
  sign(videoId: string, options?: SignOptions): Promise<string>;
  /**
   * Like {@link Signer.sign}, and also returns the claims and expiry.
   *
   * @example
   * ```ts
   * const { token, expiresAt } = await signer.signWithClaims(videoId, { expiresIn: "15m" });
   * ```
   */
  signWithClaims(videoId: string, options?: SignOptions): Promise<SignedToken>;
  /**
   * Signs many tokens, spreading the RSA work across cores, and resolves to the
   * tokens in input order. Every request is validated before any is signed: one bad
   * request rejects the whole call with an error naming its index.
   *
   * @example
   * ```ts
   * const tokens = await signer.signMany(videoIds.map((videoId) => ({ videoId, options: { expiresIn: "6h" } })));
   * ```
   */
  signMany(requests: readonly SignRequest[]): Promise<string[]>;
}

const SIGNER_OPTIONS = new Set(["key", "keyId", "clock", "cache"]);
/** base64url length of an RSA-4096 signature: the assumption when the modulus can't be read. */
const MAX_SIGNATURE_CHARACTERS = 683;
let signerCount = 0;

interface Prepared {
  claims: StreamTokenClaims;
  /** The payload JSON, in Cloudflare's claim order. */
  payload: string;
  /** Set when the token may come from, and go to, the cache. */
  cacheKey: string | undefined;
  nowSeconds: number;
}
/** Enough overlapping signatures to keep every core and the threadpool busy. */
const SIGN_MANY_CONCURRENCY = 32;

/**
 * Imports the key once, checks it (RSA, private, ≥ 2048 bits, and that it really
 * signs), and returns a {@link Signer} whose `sign` does only claims, bytes and one
 * RSA operation.
 *
 * @example
 * ```ts
 * import { createSigner } from "streamsign";
 *
 * // `pem` and `id` exactly as `POST /accounts/{account}/stream/keys` returned them
 * const signer = await createSigner({ key: process.env.STREAM_KEY!, keyId: process.env.STREAM_KEY_ID });
 * const token = await signer.sign("5d5bc37ffcf54c9b82e996823bffbb81", { expiresIn: "1h" });
 * // https://customer-<CODE>.cloudflarestream.com/${token}/manifest/video.m3u8
 * ```
 */
export function createSigner(options: SignerOptions): Promise<Signer> {
  return createSignerWithBackend(runtimeBackend, options);
}

/** @internal The signer factory with an explicit backend, so tests can run both on Node. */
export async function createSignerWithBackend(
  backend: Backend,
  options: SignerOptions,
): Promise<Signer> {
  if (options === null || typeof options !== "object") {
    throw new StreamTokenError("ERR_KEY_MISSING", "createSigner needs { key, keyId }.");
  }
  for (const name of Object.keys(options)) {
    if (!SIGNER_OPTIONS.has(name)) {
      const hint =
        name === "kid" || name === "keyID" || name === "id"
          ? " did you mean keyId?"
          : name === "pem" || name === "jwk" || name === "privateKey"
            ? " did you mean key?"
            : "";
      throw new StreamTokenError(
        "ERR_OPTION_UNKNOWN",
        `createSigner has unknown option ${/^[\w$-]{1,40}$/.test(name) ? `"${name}"` : "key"}:${hint} known options are key, keyId, clock, cache.`,
      );
    }
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== "function")
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      "clock must be a function returning milliseconds, like Date.now.",
    );
  const cache = options.cache?._internal;
  if (options.cache !== undefined && cache === undefined) {
    throw new StreamTokenError("ERR_OPTION_INVALID", "cache must come from createTokenCache().");
  }

  const material = parseKeyInput(options.key, "sign", "key");
  const keyId = resolveKeyId(options.keyId, material);
  const key = await backend.importSigningKey(material, "key");
  const numbers =
    "n" in material ? publicJwkFromNumbers(material) : await backend.publicNumbers(key);
  const publicJwk: PublicJwk | undefined = numbers && {
    kty: "RSA",
    n: numbers.n,
    e: numbers.e,
    kid: keyId,
    alg: "RS256",
    use: "sig",
  };
  if (publicJwk) await selfTest(backend, key, publicJwk);

  const signerIdentity = `${++signerCount}\n`;
  // A signature is as long as the modulus: 342 base64url characters for RSA-2048.
  const signatureLength = (publicJwk?.n.length ?? MAX_SIGNATURE_CHARACTERS) + 1;
  // The header never changes for this key: encode it once.
  const headerPrefix = `${encodeBase64UrlText(JSON.stringify({ alg: "RS256", kid: keyId }))}.`;

  const signPayload = async (payload: string): Promise<string> => {
    const signingInput = headerPrefix + backend.textToBase64Url(payload);
    // The signing input is ASCII: its UTF-8 bytes are its char codes.
    const signature = await backend.signToBase64Url(key, utf8Encoder.encode(signingInput));
    return `${signingInput}.${signature}`;
  };

  /**
   * Everything but the RSA operation, synchronously: validation, cache alignment and
   * the signing input. Throws StreamTokenError on bad input, before anything is signed.
   */
  const prepare = (videoId: unknown, signOptions: unknown, nowSeconds: number): Prepared => {
    const claims = buildClaims(videoId, keyId, signOptions, nowSeconds);
    let cacheable = false;
    if (cache !== undefined) {
      const relative =
        (signOptions as { expiresAt?: unknown } | undefined)?.expiresAt === undefined;
      const exp = cache.align(claims, relative, nowSeconds);
      if (exp !== null) {
        claims.exp = exp;
        cacheable = true;
      }
    }
    const payload = JSON.stringify(claims);
    // Validated claims are ASCII, so the encoded length is known without encoding
    // (which waits for a cache miss).
    const length = headerPrefix.length + Math.ceil((payload.length * 4) / 3) + signatureLength;
    if (length > MAX_TOKEN_LENGTH) {
      throw new StreamTokenError(
        "ERR_RULES_INVALID",
        `accessRules make the token ${length} characters, over the ${MAX_TOKEN_LENGTH} that URLs (and verifyToken) accept: list fewer or broader ranges.`,
      );
    }
    // The cache key carries this signer's identity: two signers sharing a cache (say,
    // an old and a new key under one kid during a reload) must not serve each other's tokens.
    const cacheKey = cacheable ? signerIdentity + payload : undefined;
    return { claims, payload, cacheKey, nowSeconds };
  };

  const issue = (prepared: Prepared): Promise<string> => {
    const { cacheKey, payload, claims, nowSeconds } = prepared;
    if (cache === undefined) return signPayload(payload);
    if (cacheKey === undefined) {
      cache.bypass();
      return signPayload(payload);
    }
    const cached = cache.lookup(cacheKey, nowSeconds);
    if (cached !== undefined) return cached;
    const token = signPayload(payload);
    cache.store(cacheKey, claims.exp, token);
    return token;
  };

  const nowSeconds = () => Math.floor(clock() / 1000);

  const signer: Signer = {
    keyId,
    publicJwk,
    sign(videoId, signOptions) {
      try {
        return issue(prepare(videoId, signOptions, nowSeconds()));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async signWithClaims(videoId, signOptions) {
      const prepared = prepare(videoId, signOptions, nowSeconds());
      const token = await issue(prepared);
      return { token, claims: prepared.claims, expiresAt: new Date(prepared.claims.exp * 1000) };
    },
    async signMany(requests) {
      if (!Array.isArray(requests)) {
        throw new StreamTokenError(
          "ERR_OPTION_INVALID",
          "signMany takes an array of { videoId, options }.",
        );
      }
      // Validate everything at one instant before signing anything: all or nothing.
      const now = nowSeconds();
      const prepared: Prepared[] = [];
      for (let index = 0; index < requests.length; index++) {
        const request: unknown = requests[index];
        try {
          if (request === null || typeof request !== "object") {
            throw new StreamTokenError("ERR_OPTION_INVALID", "expected { videoId, options }.");
          }
          const { videoId, options: signOptions } = request as SignRequest;
          prepared.push(prepare(videoId, signOptions, now));
        } catch (error) {
          if (!(error instanceof StreamTokenError)) throw error;
          throw new StreamTokenError(error.code, `requests[${index}]: ${error.message}`, {
            cause: error,
          });
        }
      }
      const tokens = new Array<string>(prepared.length);
      let next = 0;
      const lane = async () => {
        while (next < prepared.length) {
          const index = next++;
          tokens[index] = await issue(prepared[index]!);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(SIGN_MANY_CONCURRENCY, prepared.length) }, lane),
      );
      return tokens;
    },
  };
  return Object.freeze(signer);
}

function resolveKeyId(given: unknown, material: KeyMaterial): string {
  const fromKey = material.kid;
  if (given === undefined || given === null || given === "") {
    if (fromKey === undefined) {
      throw new StreamTokenError(
        "ERR_KEY_ID_MISSING",
        "keyId is missing: pass Cloudflare's key id (`result.id` of `POST /stream/keys`), or use the `jwk` field, which carries it.",
      );
    }
    return checkKeyId(fromKey, "the JWK's kid");
  }
  const keyId = checkKeyId(given, "keyId");
  if (fromKey !== undefined && fromKey !== keyId) {
    throw new StreamTokenError(
      "ERR_KEY_ID_MISMATCH",
      `keyId "${keyId}" differs from the JWK's kid "${fromKey.slice(0, 64)}": tokens would name the wrong key. Drop keyId, or pass the matching key.`,
    );
  }
  return keyId;
}

const PROBE = utf8Encoder.encode("streamsign key self-test");

/**
 * Signs and verifies one probe. A key can parse cleanly and still be damaged (a
 * corrupted private exponent, say); better to fail here than ship tokens that
 * Cloudflare rejects.
 */
async function selfTest(backend: Backend, key: SigningKey, publicJwk: PublicJwk): Promise<void> {
  const verifyingKey = await backend.importVerifyingKey(
    {
      kind: "jwk",
      private: false,
      jwk: { kty: "RSA", n: publicJwk.n, e: publicJwk.e },
      ...numbersOf(publicJwk),
    },
    "key",
  );
  let ok = false;
  try {
    ok = await backend.verify(verifyingKey, PROBE, await backend.sign(key, PROBE));
  } catch (cause) {
    throw new StreamTokenError(
      "ERR_KEY_INVALID",
      "key failed its self-test: it could not sign. Copy the key again from its source.",
      { cause },
    );
  }
  if (!ok) {
    throw new StreamTokenError(
      "ERR_KEY_INVALID",
      "key failed its self-test: its signatures do not verify with its own public half, so the key is damaged. Copy it again from its source.",
    );
  }
}

function numbersOf(jwk: { n: string; e: string }) {
  const n = decodeBase64Url(jwk.n) ?? new Uint8Array();
  return { n, e: decodeBase64Url(jwk.e) ?? new Uint8Array(), modulusBits: n.length * 8 };
}

/** The variable pairs {@link signerFromEnv} reads, first set key wins; the id comes from the same pair. */
export const ENV_VARIABLE_PAIRS = [
  { key: "STREAM_KEY", keyId: "STREAM_KEY_ID" },
  // The names of the Go article this project started from.
  { key: "CSTREAM_PEM", keyId: "CSTREAM_ID" },
] as const;

/**
 * Creates a signer from environment variables: `STREAM_KEY` (Cloudflare's `pem` or
 * `jwk` field, or any other key form) and `STREAM_KEY_ID`. For people coming from
 * the Go article, `CSTREAM_PEM` and `CSTREAM_ID` work too.
 *
 * @param env defaults to `process.env` on Node; pass the Worker's `env` on Workers.
 * @example
 * ```ts
 * import { signerFromEnv } from "streamsign";
 * const signer = await signerFromEnv(); // reads STREAM_KEY and STREAM_KEY_ID
 * ```
 */
export function signerFromEnv(
  env: Readonly<Record<string, unknown>> = runtimeBackend.defaultEnv(),
  options: Pick<SignerOptions, "clock"> = {},
): Promise<Signer> {
  return Promise.resolve().then(() => {
    const pair = ENV_VARIABLE_PAIRS.find((names) => isSet(env[names.key]));
    if (pair === undefined) {
      const idOnly = ENV_VARIABLE_PAIRS.find((names) => isSet(env[names.keyId]));
      throw new StreamTokenError(
        "ERR_KEY_MISSING",
        `no signing key in the environment: set STREAM_KEY (Cloudflare's \`pem\` or \`jwk\` field) and STREAM_KEY_ID (the key's \`id\`)${idOnly ? `; ${idOnly.keyId} is set but ${idOnly.key} is not` : ""}.`,
      );
    }
    const key = env[pair.key] as string;
    const keyId = isSet(env[pair.keyId]) ? (env[pair.keyId] as string).trim() : undefined;
    return createSigner({ key, keyId, ...options }).catch((error: unknown) => {
      if (error instanceof StreamTokenError) {
        // Name the variable, not "key", so the fix is obvious.
        const renamed = error.message.replace(/^keyId\b/, pair.keyId).replace(/^key\b/, pair.key);
        throw new StreamTokenError(error.code, renamed, { cause: error.cause });
      }
      throw error;
    });
  });
}

function isSet(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}
