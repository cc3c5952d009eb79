import type { KeyMaterial } from "../keys.js";

/** An imported private key, opaque outside its backend. */
export interface SigningKey {
  readonly __signingKey: unique symbol;
}

/** An imported public key, opaque outside its backend. */
export interface VerifyingKey {
  readonly __verifyingKey: unique symbol;
}

/** The public numbers of a key, base64url, when the backend can read them. */
export interface PublicNumbers {
  n: string;
  e: string;
}

/**
 * The only runtime-specific surface of streamsign. `backend/node.ts` implements it
 * with node:crypto, `backend/web.ts` with WebCrypto; package.json `imports`
 * conditions pick one, so no code outside `backend/` ever checks the runtime.
 */
export interface Backend {
  readonly name: "node" | "web";
  /** Imports a private key for RS256 signing. Validates type and size for runtime key objects. */
  importSigningKey(material: KeyMaterial, field: string): Promise<SigningKey>;
  /** Imports a public key (or the public half of a private one) for RS256 verification. */
  importVerifyingKey(material: KeyMaterial, field: string): Promise<VerifyingKey>;
  /** The public half of a signing key, when the runtime lets us read it. */
  publicNumbers(key: SigningKey): Promise<PublicNumbers | undefined>;
  /** RSASSA-PKCS1-v1_5 with SHA-256. */
  sign(key: SigningKey, data: Uint8Array): Promise<Uint8Array>;
  /** The same signature, as unpadded base64url: the hot path, where Node's native encoder pays. */
  signToBase64Url(key: SigningKey, data: Uint8Array): Promise<string>;
  /** Unpadded base64url of a string's UTF-8 bytes. */
  textToBase64Url(text: string): string;
  verify(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** The process environment where the runtime has one, else an empty object. */
  defaultEnv(): Readonly<Record<string, string | undefined>>;
}
