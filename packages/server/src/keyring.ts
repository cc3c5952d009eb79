import {
  createSigner,
  createTokenCache,
  isStreamTokenError,
  type Signer,
  type TokenCache,
} from "streamsign";
import { ConfigError } from "./config-error.js";
import type { Keyring } from "./options.js";

/** Environment (or Worker bindings) as plain values. */
export type EnvSource = Readonly<Record<string, unknown>>;

/** Reads a file named by a `*_FILE` variable; Node passes one, Workers do not. */
export type ReadFile = (path: string) => string | Promise<string>;

/** Options of {@link keyringFromEnv}. */
export interface KeyringOptions {
  /** Required for `STREAM_KEY_FILE` and `STREAMSIGN_KEYRING_FILE`. */
  readFile?: ReadFile | undefined;
  /** Most tokens the token cache keeps, or undefined for no cache. */
  tokenCacheEntries?: number | undefined;
  /** The signers' clock, in milliseconds; defaults to `Date.now`. */
  clock?: (() => number) | undefined;
}

/** The JSON document of `STREAMSIGN_KEYRING` / `STREAMSIGN_KEYRING_FILE`. */
export interface KeyringDocument {
  /** The kid that signs new tokens; must be one of `keys`. */
  active: string;
  /**
   * kid → private key in any form streamsign reads: Cloudflare's `pem` or `jwk`
   * field as returned, PEM text, or a JWK (object or JSON text).
   */
  keys: Record<string, unknown>;
}

const MAX_KEYRING_KEYS = 20;
const KID_SHOWN = /^[\w-]{1,64}$/;

function setting(env: EnvSource, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

async function readNamedFile(
  variable: string,
  path: string,
  readFile: ReadFile | undefined,
): Promise<string> {
  if (readFile === undefined) {
    throw new ConfigError(
      variable,
      `${variable} is set, but this runtime cannot read files: put the content in the variable without _FILE.`,
    );
  }
  try {
    return await readFile(path);
  } catch (cause) {
    const reason = (cause as { code?: unknown }).code;
    throw new ConfigError(
      variable,
      `${variable} names a file that cannot be read${typeof reason === "string" ? ` (${reason})` : ""}: check the path and its permissions.`,
      { cause },
    );
  }
}

interface SignerSource {
  /** The variable holding the key. */
  variable: string;
  /** Where in it, for messages: the variable, or a keyring entry. */
  where: string;
  key: unknown;
  keyId: string | undefined;
  /** The variable to blame for a bad or missing key id; defaults to `variable`. */
  keyIdVariable?: string | undefined;
}

async function signerFor(
  { variable, where, key, keyId, keyIdVariable }: SignerSource,
  cache: TokenCache | undefined,
  clock: (() => number) | undefined,
): Promise<Signer> {
  try {
    return await createSigner({ key: key as string, keyId, cache, clock });
  } catch (error) {
    if (isStreamTokenError(error)) {
      // streamsign's messages say "key"/"keyId"; prefix the variable so the fix is obvious.
      const blamed = error.code.startsWith("ERR_KEY_ID_") ? (keyIdVariable ?? variable) : variable;
      const prefix = blamed === variable ? where : blamed;
      throw new ConfigError(blamed, `${prefix}: ${error.message} [${error.code}]`, {
        cause: error,
      });
    }
    throw new ConfigError(variable, `${where}: the key could not be loaded.`, { cause: error });
  }
}

/**
 * Parses a keyring document (already read) into signers. Errors name `variable`.
 *
 * @example
 * ```ts
 * const ring = await parseKeyring(
 *   '{"active":"8f92…","keys":{"8f92…":"LS0tLS1CRUdJTi…"}}',
 *   "STREAMSIGN_KEYRING",
 * );
 * ring.active.keyId; // "8f92…"
 * ```
 */
export async function parseKeyring(
  text: string,
  variable: string,
  options: KeyringOptions = {},
): Promise<Keyring> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // No cause and no excerpt: the text is key material.
    throw new ConfigError(
      variable,
      `${variable} is not valid JSON: expected {"active":"<kid>","keys":{"<kid>":"<key>"}}.`,
    );
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError(
      variable,
      `${variable} must be a JSON object {"active":"<kid>","keys":{"<kid>":"<key>"}}.`,
    );
  }
  const { active, keys, ...rest } = document as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    const shown = extra[0]!;
    throw new ConfigError(
      variable,
      `${variable} has unknown field ${KID_SHOWN.test(shown) ? `"${shown}"` : "(unnamed)"}: only "active" and "keys" are read.`,
    );
  }
  if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
    throw new ConfigError(
      variable,
      `${variable}.keys must be an object mapping each key id to its private key.`,
    );
  }
  const entries = Object.entries(keys as Record<string, unknown>);
  if (entries.length === 0)
    throw new ConfigError(variable, `${variable}.keys is empty: add at least the active key.`);
  if (entries.length > MAX_KEYRING_KEYS) {
    throw new ConfigError(
      variable,
      `${variable}.keys has ${entries.length} keys: at most ${MAX_KEYRING_KEYS} are allowed; drop revoked ones.`,
    );
  }
  if (typeof active !== "string" || !Object.hasOwn(keys, active)) {
    throw new ConfigError(
      variable,
      `${variable}.active must be one of the key ids in ${variable}.keys${typeof active === "string" && KID_SHOWN.test(active) ? ` ("${active}" is not)` : ""}.`,
    );
  }
  const cache = cacheFor(options);
  const signers: Signer[] = [];
  for (const [kid, key] of entries) {
    const where = `${variable}.keys[${KID_SHOWN.test(kid) ? `"${kid}"` : "?"}]`;
    signers.push(await signerFor({ variable, where, key, keyId: kid }, cache, options.clock));
  }
  return { active: signers.find((signer) => signer.keyId === active)!, signers };
}

function cacheFor(options: KeyringOptions): TokenCache | undefined {
  return options.tokenCacheEntries === undefined
    ? undefined
    : createTokenCache({ maxEntries: options.tokenCacheEntries });
}

/**
 * Loads the signing keys from the environment, reading (in this order, exactly one
 * source allowed): `STREAMSIGN_KEYRING`, `STREAMSIGN_KEYRING_FILE`, or one key from
 * `STREAM_KEY` / `STREAM_KEY_FILE` with `STREAM_KEY_ID`. Fails with a
 * {@link ConfigError} naming the variable to fix.
 *
 * @example
 * ```ts
 * const keyring = await keyringFromEnv(process.env, { readFile: (p) => readFile(p, "utf8") });
 * ```
 */
export async function keyringFromEnv(
  env: EnvSource,
  options: KeyringOptions = {},
): Promise<Keyring> {
  const sources = [
    "STREAMSIGN_KEYRING",
    "STREAMSIGN_KEYRING_FILE",
    "STREAM_KEY",
    "STREAM_KEY_FILE",
  ].filter((name) => setting(env, name) !== undefined);
  if (sources.length === 0) {
    throw new ConfigError(
      "STREAM_KEY",
      "no signing key configured: set STREAM_KEY (Cloudflare's `pem` or `jwk` field) and STREAM_KEY_ID (the key's `id`), or STREAMSIGN_KEYRING with several keys. To try the service without a key, run with --insecure-dev.",
    );
  }
  if (sources.length > 1) {
    throw new ConfigError(
      sources[1]!,
      `${sources.join(" and ")} are both set: keep exactly one key source.`,
    );
  }
  const source = sources[0]!;
  const value = setting(env, source)!;
  if (source === "STREAMSIGN_KEYRING") return parseKeyring(value, source, options);
  if (source === "STREAMSIGN_KEYRING_FILE") {
    return parseKeyring(await readNamedFile(source, value, options.readFile), source, options);
  }
  const keyText =
    source === "STREAM_KEY" ? value : await readNamedFile(source, value, options.readFile);
  const signer = await signerFor(
    {
      variable: source,
      where: source,
      key: keyText,
      keyId: setting(env, "STREAM_KEY_ID")?.trim(),
      keyIdVariable: "STREAM_KEY_ID",
    },
    cacheFor(options),
    options.clock,
  );
  return { active: signer, signers: [signer] };
}

/**
 * A keyring with one freshly generated RSA key that exists only in this process:
 * for `--insecure-dev`. Its tokens are useless at Cloudflare, which is the point.
 *
 * @example
 * ```ts
 * const keyring = await throwAwayKeyring();
 * ```
 */
export async function throwAwayKeyring(options: KeyringOptions = {}): Promise<Keyring> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const kidBytes = crypto.getRandomValues(new Uint8Array(16));
  const keyId = Array.from(kidBytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const signer = await createSigner({
    key: { ...jwk, kty: "RSA", n: jwk.n!, e: jwk.e!, alg: "RS256", use: "sig" },
    keyId,
    cache: cacheFor(options),
    clock: options.clock,
  });
  return { active: signer, signers: [signer] };
}
