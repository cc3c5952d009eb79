import { backend as runtimeBackend } from "#backend";
import type { Backend, VerifyingKey } from "./backend/types.js";
import { checkVideoId, type StreamTokenClaims } from "./claims.js";
import { decodeSegments, splitToken } from "./decode.js";
import { StreamTokenError } from "./errors.js";
import { type KeyInput, parseKeyInput } from "./keys.js";
import { decodeBase64Url, utf8Encoder } from "./lib/base64url.js";
import { validateAccessRules } from "./rules.js";

/** One key, or a keyring chosen by the token header's `kid`. */
export type VerifyKeySource =
  | { key: KeyInput; keys?: undefined }
  | { keys: Readonly<Record<string, KeyInput>>; key?: undefined };

/** Checks beyond the signature. */
export interface VerifyOptions {
  /** Require this video uid in `sub`. */
  videoId?: string | undefined;
  /** The time to check `exp` and `nbf` against; defaults to now. */
  now?: Date | undefined;
  /** Seconds of leeway for `exp` and `nbf` (clock skew); default 0. */
  clockTolerance?: number | undefined;
}

/** A verifier with its keys imported once; see {@link createVerifier}. */
export interface Verifier {
  /**
   * Verifies a token: RS256 only, signature, `exp`, `nbf`, and `sub` when asked.
   * Resolves to the claims; rejects with {@link StreamTokenError}.
   */
  verify(token: string, options?: VerifyOptions): Promise<StreamTokenClaims>;
}

/**
 * Imports the key (or every key of a keyring) once and returns a fast verifier.
 * Keys may be private or public, in every form {@link createSigner} accepts plus
 * SPKI PEM and public JWKs.
 *
 * @example
 * ```ts
 * import { createVerifier } from "streamsign";
 * const verifier = await createVerifier({ keys: { [oldKid]: oldPublicPem, [newKid]: newPublicPem } });
 * const claims = await verifier.verify(token, { videoId });
 * ```
 */
export function createVerifier(source: VerifyKeySource): Promise<Verifier> {
  return createVerifierWithBackend(runtimeBackend, source);
}

/** @internal */
export async function createVerifierWithBackend(
  backend: Backend,
  source: VerifyKeySource,
): Promise<Verifier> {
  const single = await importSource(backend, source);
  return {
    async verify(token, options = {}) {
      const [headerSegment, payloadSegment, signatureSegment] = splitToken(token);
      const { header, payload } = decodeSegments(headerSegment, payloadSegment);
      if (header.alg !== "RS256") {
        throw new StreamTokenError(
          "ERR_TOKEN_ALGORITHM",
          `token uses alg ${JSON.stringify(String(header.alg).slice(0, 16))}: Stream tokens are RS256 and nothing else is accepted${header.alg === "none" ? " (unsigned tokens are never valid)" : ""}.`,
        );
      }
      const key = single.pick(header.kid);
      const signature = decodeBase64Url(signatureSegment);
      if (signature === null || signature.length === 0)
        throw new StreamTokenError(
          "ERR_TOKEN_MALFORMED",
          "token is malformed: its signature is not base64url.",
        );
      const data = utf8Encoder.encode(`${headerSegment}.${payloadSegment}`);
      if (!(await backend.verify(key, data, signature))) {
        throw new StreamTokenError(
          "ERR_TOKEN_SIGNATURE",
          "token signature does not verify with the given key: it was altered, or signed by another key.",
        );
      }
      return checkClaims(header.kid, payload, options);
    },
  };
}

interface KeyPicker {
  pick(kid: string | undefined): VerifyingKey;
}

async function importSource(backend: Backend, source: VerifyKeySource): Promise<KeyPicker> {
  if (source === null || typeof source !== "object") {
    throw new StreamTokenError(
      "ERR_KEY_MISSING",
      "verification needs { key } or { keys: { [kid]: key } }.",
    );
  }
  if (source.keys !== undefined) {
    if (source.key !== undefined)
      throw new StreamTokenError("ERR_OPTION_INVALID", "give { key } or { keys }, not both.");
    const ring = new Map<string, VerifyingKey>();
    for (const [kid, input] of Object.entries(source.keys)) {
      const field = `keys["${kid.slice(0, 40)}"]`;
      ring.set(kid, await backend.importVerifyingKey(parseKeyInput(input, "verify", field), field));
    }
    if (ring.size === 0)
      throw new StreamTokenError(
        "ERR_KEY_MISSING",
        "keys is an empty keyring: add at least one { [kid]: key }.",
      );
    return {
      pick(kid) {
        const key = kid === undefined ? undefined : ring.get(kid);
        if (key === undefined) {
          throw new StreamTokenError(
            "ERR_TOKEN_KEY_UNKNOWN",
            kid === undefined
              ? "token header has no kid, so no key of the keyring can be chosen."
              : `token was signed by key ${quote(kid)}, which is not in the keyring.`,
          );
        }
        return key;
      },
    };
  }
  const material = parseKeyInput(source.key, "verify", "key");
  const key = await backend.importVerifyingKey(material, "key");
  return {
    pick(kid) {
      // A JWK that names its kid must match the token's; other forms carry no kid.
      if (material.kid !== undefined && kid !== undefined && material.kid !== kid) {
        throw new StreamTokenError(
          "ERR_TOKEN_KEY_UNKNOWN",
          `token was signed by key ${quote(kid)}, but the given key is ${quote(material.kid)}.`,
        );
      }
      return key;
    },
  };
}

/** Shows an untrusted value from a token: JSON-quoted (no raw newlines in logs) and short. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function checkClaims(
  headerKid: string | undefined,
  payload: Record<string, unknown>,
  options: VerifyOptions,
): StreamTokenClaims {
  const tolerance = options.clockTolerance ?? 0;
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      "clockTolerance must be a non-negative number of seconds.",
    );
  }
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new StreamTokenError("ERR_OPTION_INVALID", "now must be a valid Date.");
  const nowSeconds = now.getTime() / 1000;
  // A malformed expectation is the caller's bug: report it even when the token is also expired.
  if (options.videoId !== undefined) checkVideoId(options.videoId, "videoId");

  const { sub, kid, exp, nbf, downloadable, accessRules } = payload;
  if (typeof sub !== "string")
    throw new StreamTokenError("ERR_TOKEN_CLAIMS", "token has no sub claim (the video uid).");
  if (typeof kid !== "string")
    throw new StreamTokenError("ERR_TOKEN_CLAIMS", "token has no kid claim.");
  if (headerKid !== undefined && headerKid !== kid)
    throw new StreamTokenError(
      "ERR_TOKEN_CLAIMS",
      "token's kid claim differs from its header's kid.",
    );
  if (typeof exp !== "number")
    throw new StreamTokenError(
      "ERR_TOKEN_CLAIMS",
      "token has no exp claim; Stream tokens must expire.",
    );
  if (downloadable !== undefined && typeof downloadable !== "boolean")
    throw new StreamTokenError("ERR_TOKEN_CLAIMS", "token's downloadable claim is not a boolean.");
  let rules: StreamTokenClaims["accessRules"];
  if (accessRules !== undefined) {
    try {
      rules = validateAccessRules(accessRules, "accessRules");
    } catch (cause) {
      throw new StreamTokenError(
        "ERR_TOKEN_CLAIMS",
        `token's accessRules are invalid: ${cause instanceof Error ? cause.message : ""}`,
        { cause },
      );
    }
  }
  if (nowSeconds >= exp + tolerance) {
    throw new StreamTokenError(
      "ERR_TOKEN_EXPIRED",
      `token expired at ${new Date(exp * 1000).toISOString()} (exp ${exp}).`,
    );
  }
  if (typeof nbf === "number" && nowSeconds < nbf - tolerance) {
    throw new StreamTokenError(
      "ERR_TOKEN_NOT_YET_VALID",
      `token is not valid before ${new Date(nbf * 1000).toISOString()} (nbf ${nbf}).`,
    );
  }
  if (options.videoId !== undefined) {
    if (sub.toLowerCase() !== options.videoId.toLowerCase()) {
      throw new StreamTokenError(
        "ERR_TOKEN_VIDEO_MISMATCH",
        `token is for video ${quote(sub)}, not ${options.videoId}.`,
      );
    }
  }
  const claims: StreamTokenClaims = { sub, kid, exp };
  if (typeof nbf === "number") claims.nbf = nbf;
  if (downloadable !== undefined) claims.downloadable = downloadable;
  if (rules !== undefined) claims.accessRules = rules;
  return claims;
}

/**
 * Verifies a token with one key or a keyring: RS256 only (never `alg: none`), the
 * signature, `exp` and `nbf` (with optional `clockTolerance`), and `sub` when
 * `videoId` is given. Imports the key on every call; for many tokens, use
 * {@link createVerifier}.
 *
 * @example
 * ```ts
 * import { verifyToken } from "streamsign";
 * const claims = await verifyToken(token, { key: publicPem }, { videoId });
 * ```
 */
export async function verifyToken(
  token: string,
  source: VerifyKeySource,
  options?: VerifyOptions,
): Promise<StreamTokenClaims> {
  const verifier = await createVerifier(source);
  return verifier.verify(token, options);
}
