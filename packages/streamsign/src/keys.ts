import { StreamTokenError } from "./errors.js";
import {
  decodeBase64,
  decodeBase64Text,
  decodeBase64Url,
  encodeBase64Url,
} from "./lib/base64url.js";
import {
  DerError,
  parsePkcs1Private,
  parsePkcs1Public,
  parsePkcs8,
  parseSpki,
  type RsaPublicNumbers,
  wrapPkcs1PrivateInPkcs8,
  wrapPkcs1PublicInSpki,
} from "./lib/der.js";

/**
 * An RSA JSON Web Key (RFC 7517/7518). Cloudflare's `jwk` field decodes to one of
 * these with `kid`, `alg: "RS256"` and `use: "sig"`.
 */
export interface RsaJwk {
  kty: "RSA";
  n: string;
  e: string;
  d?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
}

/**
 * A WebCrypto `CryptoKey` (RSASSA-PKCS1-v1_5 with SHA-256). Typed structurally so
 * streamsign's types need neither the DOM lib nor `@types/node`.
 */
export interface CryptoKeyLike {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

/** A Node.js `KeyObject` (from `node:crypto`), typed structurally. */
export interface KeyObjectLike {
  readonly type: "private" | "public" | "secret";
  readonly asymmetricKeyType?: string | undefined;
  export(options?: unknown): unknown;
}

/**
 * Every form of RSA private key streamsign signs with:
 *
 * - Cloudflare's `pem` field: base64 of a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`)
 * - Cloudflare's `jwk` field: base64 of a JWK JSON
 * - PEM text, PKCS#1 or PKCS#8 (`-----BEGIN PRIVATE KEY-----`)
 * - JWK JSON text, or a JWK object
 * - a WebCrypto `CryptoKey`, or a Node.js `KeyObject`
 */
export type PrivateKeyInput = string | RsaJwk | CryptoKeyLike | KeyObjectLike;

/**
 * Every form of key streamsign verifies with: any {@link PrivateKeyInput}, plus
 * public keys as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), PKCS#1 public PEM, or a
 * public JWK.
 */
export type KeyInput = PrivateKeyInput;

/** @internal What keys.ts hands to a backend: parsed, checked, one shape per source. */
export type KeyMaterial =
  | ({ kind: "pkcs8"; private: true; kid?: undefined } & RsaPublicNumbers & { der: Uint8Array })
  | ({ kind: "spki"; private: false; kid?: undefined } & RsaPublicNumbers & { der: Uint8Array })
  | ({ kind: "jwk"; private: boolean; kid?: string | undefined; jwk: RsaJwk } & RsaPublicNumbers)
  | { kind: "crypto-key"; key: CryptoKeyLike; kid?: undefined }
  | { kind: "key-object"; key: KeyObjectLike; kid?: undefined };

export const MIN_MODULUS_BITS = 2048;

const ACCEPTED_FORMS =
  "Cloudflare's `pem` or `jwk` field (base64), PEM text (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE KEY`), JWK JSON text or object, a CryptoKey, or a Node KeyObject";

/** `Object.prototype.toString` tag: exact for KeyObject and CryptoKey, which set Symbol.toStringTag. */
function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/**
 * Recognises the key's form and parses it, without any runtime crypto.
 * `purpose` decides whether a public key is acceptable.
 * @internal
 */
export function parseKeyInput(
  input: unknown,
  purpose: "sign" | "verify",
  field = "key",
): KeyMaterial {
  if (typeof input === "string") return parseKeyText(input, purpose, field, 0);
  if (input === null || typeof input !== "object") {
    throw new StreamTokenError(
      input === undefined || input === null ? "ERR_KEY_MISSING" : "ERR_KEY_FORMAT",
      `${field} is ${input === undefined || input === null ? "missing" : `a ${typeof input}`}: pass ${ACCEPTED_FORMS}.`,
    );
  }
  const tag = tagOf(input);
  if (tag === "KeyObject") return { kind: "key-object", key: input as KeyObjectLike };
  if (tag === "CryptoKey") return { kind: "crypto-key", key: input as CryptoKeyLike };
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    throw new StreamTokenError(
      "ERR_KEY_FORMAT",
      `${field} is raw bytes: DER is not accepted directly; pass it as PEM text, or pass ${ACCEPTED_FORMS}.`,
    );
  }
  if ("kty" in input) return parseJwk(input as Record<string, unknown>, purpose, field);
  if ("pem" in input || "jwk" in input || "result" in input) {
    throw new StreamTokenError(
      "ERR_KEY_FORMAT",
      `${field} looks like Cloudflare's key response object: pass its \`pem\` (or \`jwk\`) string as the key and its \`id\` as keyId.`,
    );
  }
  throw new StreamTokenError(
    "ERR_KEY_FORMAT",
    `${field} is an object of an unknown form: pass ${ACCEPTED_FORMS}.`,
  );
}

function parseKeyText(
  raw: string,
  purpose: "sign" | "verify",
  field: string,
  depth: number,
): KeyMaterial {
  const text = raw.trim();
  if (text === "")
    throw new StreamTokenError("ERR_KEY_MISSING", `${field} is empty: pass ${ACCEPTED_FORMS}.`);
  if (text.startsWith("-----BEGIN ")) return parsePem(text, purpose, field);
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No `cause`: JSON.parse quotes the input, and the input is key material.
      throw new StreamTokenError(
        "ERR_KEY_INVALID",
        `${field} starts like JWK JSON but is not valid JSON.`,
      );
    }
    if (
      parsed === null ||
      typeof parsed !== "object" ||
      Array.isArray(parsed) ||
      !("kty" in parsed)
    ) {
      throw new StreamTokenError(
        "ERR_KEY_FORMAT",
        `${field} is JSON but not a JWK (no "kty"). If it is Cloudflare's key response, pass its \`pem\` or \`jwk\` field.`,
      );
    }
    return parseJwk(parsed as Record<string, unknown>, purpose, field);
  }
  // Cloudflare's `pem` and `jwk` fields are base64 of the real thing: unwrap exactly one layer.
  if (depth === 0 && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = decodeBase64Text(text);
    const inner = decoded?.trim();
    if (inner?.startsWith("-----BEGIN ") || inner?.startsWith("{")) {
      return parseKeyText(inner, purpose, field, 1);
    }
    throw new StreamTokenError(
      "ERR_KEY_FORMAT",
      `${field} looks like base64 but does not decode to a PEM or JWK JSON. Cloudflare's \`pem\` and \`jwk\` fields are accepted as they are; raw DER is not — pass ${ACCEPTED_FORMS}.`,
    );
  }
  throw new StreamTokenError(
    "ERR_KEY_FORMAT",
    `${field} is not a key streamsign recognises: pass ${ACCEPTED_FORMS}.`,
  );
}

const PEM_RE = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----\s*$/;

function parsePem(pemText: string, purpose: "sign" | "verify", field: string): KeyMaterial {
  // A PEM pasted into an env var or JSON often arrives with literal "\n" sequences.
  const text = pemText.includes("\\n") ? pemText.replace(/(\\r)?\\n/g, "\n") : pemText;
  const match = PEM_RE.exec(text.trim());
  if (!match) {
    throw new StreamTokenError(
      "ERR_KEY_INVALID",
      `${field} is PEM with a broken armour: it needs one matching "-----BEGIN …-----" / "-----END …-----" pair and nothing after it.`,
    );
  }
  const label = match[1]!;
  let body = match[2]!;
  if (/Proc-Type:\s*4,ENCRYPTED/.test(body) || label === "ENCRYPTED PRIVATE KEY") {
    throw new StreamTokenError(
      "ERR_KEY_FORMAT",
      `${field} is an encrypted (passphrase-protected) key: decrypt it first, e.g. \`openssl pkey -in key.pem -out plain.pem\`.`,
    );
  }
  body = body.replace(/^[A-Za-z-]+:.*$/gm, "");
  const der = decodeBase64(body);
  if (der === null || der.length === 0) {
    throw new StreamTokenError(
      "ERR_KEY_INVALID",
      `${field} is PEM whose body is not valid base64: the key was damaged in copying.`,
    );
  }
  const damaged = (cause: unknown) =>
    new StreamTokenError(
      "ERR_KEY_INVALID",
      `${field} is a ${label} PEM whose contents are damaged (${cause instanceof Error ? cause.message : "invalid DER"}): copy the key again from its source.`,
      { cause },
    );
  const notRsa = (algorithm: string) =>
    new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a${/^[AEIOU]/.test(algorithm) ? "n" : ""} ${algorithm} key: Cloudflare Stream signs with RS256, which needs an RSA key (create one with \`POST /stream/keys\`).`,
    );
  try {
    switch (label) {
      case "RSA PRIVATE KEY": {
        const numbers = parsePkcs1Private(der);
        return checkSize(
          {
            kind: "pkcs8" as const,
            private: true as const,
            ...numbers,
            der: wrapPkcs1PrivateInPkcs8(der),
          },
          field,
        );
      }
      case "PRIVATE KEY": {
        const parsed = parsePkcs8(der);
        if (!("key" in parsed)) throw notRsa(parsed.algorithm);
        const { pkcs8, ...numbers } = parsed.key;
        return checkSize(
          { kind: "pkcs8" as const, private: true as const, ...numbers, der: pkcs8 },
          field,
        );
      }
      case "PUBLIC KEY": {
        requireVerifyPurpose(purpose, field);
        const parsed = parseSpki(der);
        if (!("key" in parsed)) throw notRsa(parsed.algorithm);
        const { spki, ...numbers } = parsed.key;
        return checkSize(
          { kind: "spki" as const, private: false as const, ...numbers, der: spki },
          field,
        );
      }
      case "RSA PUBLIC KEY": {
        requireVerifyPurpose(purpose, field);
        const numbers = parsePkcs1Public(der);
        return checkSize(
          {
            kind: "spki" as const,
            private: false as const,
            ...numbers,
            der: wrapPkcs1PublicInSpki(der),
          },
          field,
        );
      }
      case "EC PRIVATE KEY":
        throw notRsa("EC");
      case "OPENSSH PRIVATE KEY":
        throw new StreamTokenError(
          "ERR_KEY_FORMAT",
          `${field} is an OpenSSH key: convert it with \`ssh-keygen -p -m PKCS8 -f key\`, or use the key Cloudflare issued.`,
        );
      case "CERTIFICATE":
        throw new StreamTokenError(
          "ERR_KEY_FORMAT",
          `${field} is a certificate, not a key: pass ${ACCEPTED_FORMS}.`,
        );
      default:
        throw new StreamTokenError(
          "ERR_KEY_FORMAT",
          `${field} is a "${label}" PEM, which is not a key streamsign reads: pass ${ACCEPTED_FORMS}.`,
        );
    }
  } catch (error) {
    if (error instanceof StreamTokenError) throw error;
    if (error instanceof DerError) throw damaged(error);
    throw error;
  }
}

/** @internal The error for a public key where signing needs the private one; shared with the backends. */
export function publicKeyCannotSign(field: string): StreamTokenError {
  return new StreamTokenError(
    "ERR_KEY_TYPE",
    `${field} is a public key: signing needs the private key (Cloudflare's \`pem\` or \`jwk\` field from \`POST /stream/keys\`).`,
  );
}

/** @internal Refuses RSA keys under 2048 bits; the backends call it for runtime key objects. */
export function checkModulusBits(bits: number, field: string): void {
  if (bits < MIN_MODULUS_BITS) {
    throw new StreamTokenError(
      "ERR_KEY_SIZE",
      `${field} is a ${bits}-bit RSA key: at least ${MIN_MODULUS_BITS} bits are required (Cloudflare issues 2048-bit keys).`,
    );
  }
}

/**
 * @internal The error for a key the runtime's crypto refused. OpenSSL's own message
 * ("error:1E08010C:DECODER routines::unsupported") helps nobody; it stays the cause.
 */
export function keyImportFailed(field: string, cause: unknown): StreamTokenError {
  return new StreamTokenError(
    "ERR_KEY_INVALID",
    `${field} could not be imported: the key is damaged or incomplete. Copy it again from its source (Cloudflare shows it only once; create a new one if it is lost).`,
    { cause },
  );
}

function requireVerifyPurpose(purpose: "sign" | "verify", field: string): void {
  if (purpose === "sign") throw publicKeyCannotSign(field);
}

function checkSize<T extends { modulusBits: number }>(material: T, field: string): T {
  checkModulusBits(material.modulusBits, field);
  return material;
}

const JWK_PRIVATE_PARAMS = ["d", "p", "q", "dp", "dq", "qi"] as const;

function parseJwk(
  jwk: Record<string, unknown>,
  purpose: "sign" | "verify",
  field: string,
): KeyMaterial {
  if (jwk.kty !== "RSA") {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a JWK with kty ${JSON.stringify(String(jwk.kty)).slice(0, 20)}: Cloudflare Stream signs with RS256, which needs kty "RSA".`,
    );
  }
  if (jwk.alg !== undefined && jwk.alg !== "RS256") {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a JWK for alg ${JSON.stringify(String(jwk.alg)).slice(0, 20)}: Stream tokens use "RS256".`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== "sig") {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a JWK with use ${JSON.stringify(String(jwk.use)).slice(0, 20)}: a signing key has use "sig".`,
    );
  }
  if (jwk.kid !== undefined && typeof jwk.kid !== "string") {
    throw new StreamTokenError("ERR_KEY_ID_INVALID", `${field}.kid must be a string.`);
  }
  const n = base64UrlField(jwk, "n", field);
  const e = base64UrlField(jwk, "e", field);
  const present = JWK_PRIVATE_PARAMS.filter((name) => jwk[name] !== undefined);
  const isPrivate = present.length > 0;
  if (isPrivate) {
    const missing = JWK_PRIVATE_PARAMS.filter((name) => jwk[name] === undefined);
    if (missing.length > 0) {
      throw new StreamTokenError(
        "ERR_KEY_INVALID",
        `${field} is a private JWK missing ${missing.join(", ")}: all of d, p, q, dp, dq and qi are needed (Cloudflare's \`jwk\` field has them).`,
      );
    }
    for (const name of JWK_PRIVATE_PARAMS) base64UrlField(jwk, name, field);
  } else {
    requireVerifyPurpose(purpose, field);
  }
  const modulus = stripLeadingZeros(n);
  const exponent = stripLeadingZeros(e);
  const modulusBits =
    modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!));
  const clean: RsaJwk = { kty: "RSA", n: encodeBase64Url(modulus), e: encodeBase64Url(exponent) };
  if (isPrivate) for (const name of JWK_PRIVATE_PARAMS) clean[name] = jwk[name] as string;
  return checkSize(
    {
      kind: "jwk" as const,
      private: isPrivate,
      kid: jwk.kid as string | undefined,
      jwk: clean,
      n: modulus,
      e: exponent,
      modulusBits,
    },
    field,
  );
}

function base64UrlField(jwk: Record<string, unknown>, name: string, field: string): Uint8Array {
  const value = jwk[name];
  const bytes = typeof value === "string" ? decodeBase64Url(value) : null;
  if (bytes === null || bytes.length === 0) {
    throw new StreamTokenError(
      "ERR_KEY_INVALID",
      `${field}.${name} is ${value === undefined ? "missing" : "not valid base64url"}: the JWK was damaged in copying.`,
    );
  }
  return bytes;
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/** The public half as a JWK, from parsed numbers. @internal */
export function publicJwkFromNumbers(numbers: { n: Uint8Array; e: Uint8Array }): RsaJwk {
  return { kty: "RSA", n: encodeBase64Url(numbers.n), e: encodeBase64Url(numbers.e) };
}

/**
 * A public RSA JWK as published in a JWKS document (`/.well-known/jwks.json`).
 */
export interface PublicJwk {
  kty: "RSA";
  n: string;
  e: string;
  kid: string;
  alg: "RS256";
  use: "sig";
}

/** Cloudflare key ids are 32 lowercase hex characters; we also accept upper case. */
export const KEY_ID_PATTERN = /^[0-9a-fA-F]{32}$/;

/** @internal Checks a key id given by the caller or carried by a JWK. */
export function checkKeyId(keyId: unknown, field: string): string {
  if (typeof keyId !== "string" || !KEY_ID_PATTERN.test(keyId)) {
    // Echo only what cannot be key material: a short, single-token id.
    const shown =
      typeof keyId !== "string"
        ? `a ${typeof keyId}`
        : /^[\w.-]{1,34}$/.test(keyId)
          ? `"${keyId}"`
          : `a ${keyId.length}-character string`;
    throw new StreamTokenError(
      "ERR_KEY_ID_INVALID",
      `${field} is ${shown}: it must be the 32-hex-character key id Cloudflare returned with the key (\`result.id\` of \`POST /stream/keys\`).`,
    );
  }
  return keyId;
}
