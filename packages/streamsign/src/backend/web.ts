// The WebCrypto backend: Cloudflare Workers, Deno, Bun, browsers. Web APIs only.
import { StreamTokenError } from "../errors.js";
import type { CryptoKeyLike, KeyMaterial } from "../keys.js";
import {
  checkModulusBits,
  keyImportFailed,
  publicJwkFromNumbers,
  publicKeyCannotSign,
} from "../keys.js";
import { encodeBase64Url, encodeBase64UrlText } from "../lib/base64url.js";
import type { Backend, SigningKey, VerifyingKey } from "./types.js";

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

interface RsaKeyAlgorithm {
  name: string;
  modulusLength?: number;
  hash?: { name?: string };
}

function checkCryptoKey(key: CryptoKeyLike, usage: "sign" | "verify", field: string): CryptoKey {
  const algorithm = key.algorithm as RsaKeyAlgorithm;
  if (algorithm.name !== RS256.name || algorithm.hash?.name !== RS256.hash) {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a CryptoKey for ${algorithm.name}${algorithm.hash?.name ? `/${algorithm.hash.name}` : ""}: import it as { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }.`,
    );
  }
  if (usage === "sign" && key.type !== "private") throw publicKeyCannotSign(field);
  if (!key.usages.includes(usage)) {
    throw new StreamTokenError(
      "ERR_KEY_TYPE",
      `${field} is a CryptoKey without the "${usage}" usage: import it with ["${usage}"].`,
    );
  }
  checkModulusBits(algorithm.modulusLength ?? 0, field);
  return key as unknown as CryptoKey;
}

async function guarded<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StreamTokenError) throw error;
    throw keyImportFailed(field, error);
  }
}

export const backend: Backend = {
  name: "web",

  importSigningKey(material: KeyMaterial, field: string) {
    return guarded(field, async () => {
      switch (material.kind) {
        case "pkcs8":
          return (await crypto.subtle.importKey(
            "pkcs8",
            material.der as Uint8Array<ArrayBuffer>,
            RS256,
            false,
            ["sign"],
          )) as unknown as SigningKey;
        case "jwk":
          if (!material.private) break;
          return (await crypto.subtle.importKey("jwk", material.jwk as JsonWebKey, RS256, false, [
            "sign",
          ])) as unknown as SigningKey;
        case "crypto-key":
          return checkCryptoKey(material.key, "sign", field) as unknown as SigningKey;
        case "key-object":
          throw new StreamTokenError(
            "ERR_KEY_UNSUPPORTED_RUNTIME",
            `${field} is a Node.js KeyObject, which this runtime's WebCrypto cannot use: pass the key as PEM or JWK.`,
          );
      }
      throw publicKeyCannotSign(field);
    });
  },

  importVerifyingKey(material: KeyMaterial, field: string) {
    return guarded(field, async () => {
      switch (material.kind) {
        case "spki":
          return (await crypto.subtle.importKey(
            "spki",
            material.der as Uint8Array<ArrayBuffer>,
            RS256,
            false,
            ["verify"],
          )) as unknown as VerifyingKey;
        case "pkcs8":
        case "jwk": {
          // WebCrypto will not verify with a private key: import its public half.
          const jwk = publicJwkFromNumbers(material);
          return (await crypto.subtle.importKey("jwk", jwk as JsonWebKey, RS256, false, [
            "verify",
          ])) as unknown as VerifyingKey;
        }
        case "crypto-key": {
          const key = material.key;
          if (key.type === "public")
            return checkCryptoKey(key, "verify", field) as unknown as VerifyingKey;
          checkCryptoKey(key, "sign", field);
          if (!key.extractable) {
            throw new StreamTokenError(
              "ERR_KEY_TYPE",
              `${field} is a non-extractable private CryptoKey, so its public half cannot be read: pass the public key to verify.`,
            );
          }
          const jwk = await crypto.subtle.exportKey("jwk", key as unknown as CryptoKey);
          return (await crypto.subtle.importKey(
            "jwk",
            { kty: "RSA", n: jwk.n, e: jwk.e },
            RS256,
            false,
            ["verify"],
          )) as unknown as VerifyingKey;
        }
        case "key-object":
          throw new StreamTokenError(
            "ERR_KEY_UNSUPPORTED_RUNTIME",
            `${field} is a Node.js KeyObject, which this runtime's WebCrypto cannot use: pass the key as PEM or JWK.`,
          );
      }
    });
  },

  async publicNumbers(key) {
    const cryptoKey = key as unknown as CryptoKey;
    if (!cryptoKey.extractable) return undefined;
    const jwk = await crypto.subtle.exportKey("jwk", cryptoKey);
    return typeof jwk.n === "string" && typeof jwk.e === "string"
      ? { n: jwk.n, e: jwk.e }
      : undefined;
  },

  async sign(key, data) {
    return new Uint8Array(
      await crypto.subtle.sign(
        RS256.name,
        key as unknown as CryptoKey,
        data as Uint8Array<ArrayBuffer>,
      ),
    );
  },

  async signToBase64Url(key, data) {
    return encodeBase64Url(await this.sign(key, data));
  },

  textToBase64Url: encodeBase64UrlText,

  async verify(key, data, signature) {
    return crypto.subtle.verify(
      RS256.name,
      key as unknown as CryptoKey,
      signature as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
  },

  defaultEnv() {
    return {};
  },
};
