// The other ways to sign a Stream token on Node, each configured to emit the same
// bytes as streamsign where the library allows it: header {alg, kid} only (no typ),
// payload {sub, kid, exp} (no iat).
import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { createSigner as createFastJwtSigner } from "fast-jwt";
import { importPKCS8, SignJWT } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { KEY_ID, PKCS1_PEM, PKCS8_PEM } from "./inputs.js";

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const HEADER_SEGMENT = Buffer.from(JSON.stringify({ alg: "RS256", kid: KEY_ID })).toString(
  "base64url",
);

/** jose: `importPKCS8` once, then `SignJWT` per token. */
export async function createJoseSigner() {
  const key = await importPKCS8(PKCS8_PEM, "RS256");
  return (payload) =>
    new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: KEY_ID }).sign(key);
}

/**
 * fast-jwt: `createSigner` once. It always writes `typ: "JWT"` unless the extra
 * header overrides it; `typ: undefined` drops it, so the bytes match.
 */
export function createFastJwt() {
  return createFastJwtSigner({
    key: PKCS1_PEM,
    algorithm: "RS256",
    kid: KEY_ID,
    header: { typ: undefined },
    noTimestamp: true,
  });
}

/** jsonwebtoken, the way most code calls it: the PEM string on every call. */
export function jsonwebtokenSign(payload) {
  return jsonwebtoken.sign(payload, PKCS1_PEM, {
    algorithm: "RS256",
    keyid: KEY_ID,
    noTimestamp: true,
    header: { typ: undefined },
  });
}

function base64UrlOf(bytes) {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const textEncoder = new TextEncoder();

/**
 * The snippet people copy into a Worker: parse the PEM and `importKey` it on every
 * call, then sign with WebCrypto (as Cloudflare's own Worker example does).
 */
export async function snippetSign(payload) {
  const body = PKCS8_PEM.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (char) => char.charCodeAt(0));
  const key = await crypto.subtle.importKey("pkcs8", der, RS256, false, ["sign"]);
  return webCryptoToken(key, payload);
}

async function webCryptoToken(key, payload) {
  const header = base64UrlOf(textEncoder.encode(JSON.stringify({ alg: "RS256", kid: KEY_ID })));
  const claims = base64UrlOf(textEncoder.encode(JSON.stringify(payload)));
  const input = `${header}.${claims}`;
  const signature = await crypto.subtle.sign(RS256.name, key, textEncoder.encode(input));
  return `${input}.${base64UrlOf(new Uint8Array(signature))}`;
}

/** WebCrypto with the key imported once. */
export async function createWebCryptoSigner() {
  const body = PKCS8_PEM.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (char) => char.charCodeAt(0));
  const key = await crypto.subtle.importKey("pkcs8", der, RS256, false, ["sign"]);
  return (payload) => webCryptoToken(key, payload);
}

/** node:crypto by hand, key imported once: the floor of what Node can do per token. */
export function createNodeCryptoSigner() {
  const key = createPrivateKey(PKCS1_PEM);
  const publicKey = createPublicKey(key);
  const signingInput = (payload) =>
    `${HEADER_SEGMENT}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return {
    sync(payload) {
      const input = signingInput(payload);
      return `${input}.${nodeSign("sha256", Buffer.from(input), key).toString("base64url")}`;
    },
    /** Checks only the signature: no claims, no header. */
    verify(token) {
      const dot = token.lastIndexOf(".");
      return nodeVerify(
        "sha256",
        Buffer.from(token.slice(0, dot)),
        publicKey,
        Buffer.from(token.slice(dot + 1), "base64url"),
      );
    },
    /** The callback form, which runs on the libuv threadpool. */
    threadpool(payload) {
      const input = signingInput(payload);
      return new Promise((resolve, reject) => {
        nodeSign("sha256", Buffer.from(input), key, (error, signature) =>
          error ? reject(error) : resolve(`${input}.${signature.toString("base64url")}`),
        );
      });
    },
  };
}
