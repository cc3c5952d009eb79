// What the conformance Worker and the tests that drive it exchange, plus the one
// mapping from a known-answer vector to sign options. Shared by the Worker (bundled
// for workerd) and by Node-side tests, so both sides sign from the same options.
// Runtime-neutral on purpose: no node: imports, only types from the fixtures.
import type { Duration, SignOptions } from "streamsign";
import type { VectorInput } from "../fixtures.js";

/** How a vector's lifetime is passed: its integer seconds, or its text form ("15m"). */
export type DurationForm = "seconds" | "text";

/**
 * The sign options a vector describes. With `durationAs: "text"` the vector's
 * `expiresInText` replaces `expiresIn`; callers use it only on vectors that have one.
 *
 * @example
 * ```ts
 * const token = await signer.sign(vector.input.videoId, signOptionsOf(vector.input, "seconds"));
 * ```
 */
export function signOptionsOf(input: VectorInput, durationAs: DurationForm): SignOptions {
  const common = {
    notBefore: input.notBefore,
    downloadable: input.downloadable,
    accessRules: input.accessRules,
  };
  if (input.expiresIn !== undefined) {
    const expiresIn =
      durationAs === "text" && input.expiresInText !== undefined
        ? (input.expiresInText as Duration)
        : input.expiresIn;
    return { ...common, expiresIn };
  }
  if (input.expiresAt !== undefined) return { ...common, expiresAt: input.expiresAt };
  return common;
}

/** An error as seen across the process boundary: enough to compare, no stack. */
export interface ErrorReport {
  name: string;
  /** `StreamTokenError.code`, or undefined for any other error. */
  code: string | undefined;
  message: string;
  /** `isStreamTokenError(error)` in the runtime that threw. */
  isStreamTokenError: boolean;
}

/** Either a value or the error that replaced it. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorReport };

/** `POST /sign`: sign every input with the key of every named text binding. */
export interface SignRequestBody {
  /** Names of text bindings holding a private key (each a different key form). */
  keyBindings: string[];
  inputs: VectorInput[];
}

/**
 * `POST /sign` answer. `tokens[binding][i]` signs `inputs[i]` with integer
 * `expiresIn`; `textTokens[binding][i]` with its text form, or null when the input
 * has none. `fromEnv[i]` is signed by `signerFromEnv(env)` from the Worker's own
 * `STREAM_KEY`/`STREAM_KEY_ID` bindings.
 */
export interface SignResponseBody {
  tokens: Record<string, Outcome<string>[]>;
  textTokens: Record<string, (Outcome<string> | null)[]>;
  fromEnv: Outcome<string>[];
}

/** `POST /verify`: verify each named token with the key in text binding `keyBinding`. */
export interface VerifyRequestBody {
  keyBinding: string;
  tokens: Record<string, string>;
  nowSeconds: number;
  videoId?: string;
}

/** `POST /verify` answer: one outcome per named token, the claims when valid. */
export type VerifyResponseBody = Record<string, Outcome<Record<string, unknown>>>;

/** `POST /create-signer`: try `createSigner` with each named key binding. */
export interface CreateSignerRequestBody {
  keyBindings: string[];
  keyId: string;
}

/** `POST /create-signer` answer: the signer's `keyId` on success. */
export type CreateSignerResponseBody = Record<string, Outcome<string>>;

/** `POST /decode`: `decodeToken` of `token`. */
export interface DecodeRequestBody {
  token: string;
}

/** `GET /runtime`: facts that prove the code ran in workerd, not in Node. */
export interface RuntimeResponseBody {
  userAgent: string;
  hasProcess: boolean;
  hasBuffer: boolean;
}
