// Key input shared by every command that needs a key: --key, --key-file, --key-id, else
// the environment as signerFromEnv reads it (STREAM_KEY / CSTREAM_PEM, STREAM_KEY_ID /
// CSTREAM_ID). A --key-file may hold any key form the library reads, or Cloudflare's key
// JSON (the `result` object or the whole API response), whose `id` becomes the key id.
import { StreamTokenError } from "../errors.js";
import { KEY_ID_PATTERN } from "../keys.js";
import { createSigner, ENV_VARIABLE_PAIRS, type Signer } from "../sign.js";
import { createVerifier, type Verifier } from "../verify.js";
import { readFlagFile, showId, showValue } from "./args.js";
import { CliError, EXIT_USAGE } from "./io.js";

/** The key flags every key-using command declares. */
export const KEY_OPTIONS = {
  key: { type: "string" },
  "key-file": { type: "string" },
  "key-id": { type: "string" },
} as const;

export const KEY_HELP = `Key (first match wins):
  --key-file <path>        Cloudflare's key JSON (from \`keys create\` or \`keygen\`; the key id
                           is read from it), or a PEM / JWK file
  --key <value>            the key itself: Cloudflare's \`pem\` or \`jwk\` field, PEM or JWK text
                           (a PEM starts with dashes: write --key="$(cat key.pem)")
  --key-id <id>            the 32-hex key id, when the key does not carry it
  environment              STREAM_KEY and STREAM_KEY_ID (or CSTREAM_PEM and CSTREAM_ID)`;

export interface KeyFlags {
  key?: string | undefined;
  "key-file"?: string | undefined;
  "key-id"?: string | undefined;
}

/** A key found somewhere, with names for messages. Never printed. */
export interface KeySelection {
  key: string;
  keyId: string | undefined;
  /** Where the key came from, for messages: "--key-file key.json", "--key", "STREAM_KEY". */
  keyName: string;
  keyIdName: string;
}

interface CloudflareKeyJson {
  id?: unknown;
  pem?: unknown;
  jwk?: unknown;
}

/** Cloudflare's key JSON (result object or whole response) → its pem/jwk and id; undefined for other text. */
function unwrapCloudflareJson(
  text: string,
  name: string,
): { key: string; id?: string } | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // No cause: the parser's message quotes the input.
    throw new CliError(`${name} starts like JSON but is not valid JSON.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  let record = parsed as Record<string, unknown>;
  if ("kty" in record) return undefined; // a JWK: the library reads it
  if ("result" in record) {
    if (record.success === false) {
      throw new CliError(
        `${name} is a failed Cloudflare API response (success: false): it holds no key.`,
      );
    }
    const result = record.result;
    if (result === null || typeof result !== "object" || Array.isArray(result)) {
      throw new CliError(
        `${name} is a Cloudflare API response whose result is not a key (a \`keys list\` answer holds ids only; the private key is shown once, by \`keys create\`).`,
      );
    }
    record = result as Record<string, unknown>;
  }
  const { id, pem, jwk } = record as CloudflareKeyJson;
  const key = typeof pem === "string" && pem.trim() !== "" ? pem : jwk;
  if (typeof key !== "string" || key.trim() === "") {
    throw new CliError(
      `${name} is JSON with neither a \`pem\` nor a \`jwk\` field: pass Cloudflare's key JSON ({ id, pem, jwk }), a PEM, or a JWK.`,
    );
  }
  if (id !== undefined && typeof id !== "string") {
    throw new CliError(`${name}: its \`id\` is not a string.`);
  }
  return id === undefined ? { key } : { key, id };
}

function isSet(value: string | undefined): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/**
 * Finds the key and key id from the flags, else the environment. Returns undefined when
 * there is no key at all (the caller decides whether that is an error).
 */
export function selectKey(flags: KeyFlags, env: NodeJS.ProcessEnv): KeySelection | undefined {
  if (flags.key !== undefined && flags["key-file"] !== undefined) {
    throw new CliError("give --key or --key-file, not both.");
  }
  const flagKeyId = flags["key-id"];
  if (flagKeyId !== undefined && !KEY_ID_PATTERN.test(flagKeyId)) {
    throw new CliError(
      `--key-id is ${showId(flagKeyId)}: it must be the 32-hex-character id Cloudflare returned with the key.`,
    );
  }
  let key: string;
  let fileId: string | undefined;
  let keyName: string;
  let envId: { name: string; value: string } | undefined;
  if (flags["key-file"] !== undefined) {
    const path = flags["key-file"];
    keyName = `--key-file ${showValue(path, 60)}`;
    const text = readFlagFile(path, "--key-file");
    const unwrapped = unwrapCloudflareJson(text, keyName);
    key = unwrapped?.key ?? text;
    fileId = unwrapped?.id;
  } else if (flags.key !== undefined) {
    keyName = "--key";
    const unwrapped = unwrapCloudflareJson(flags.key, keyName);
    key = unwrapped?.key ?? flags.key;
    fileId = unwrapped?.id;
  } else {
    // As signerFromEnv reads it: the id comes from the same pair as the key.
    const pair = ENV_VARIABLE_PAIRS.find((names) => isSet(env[names.key]));
    if (pair === undefined) return undefined;
    key = env[pair.key] as string;
    keyName = pair.key;
    const id = env[pair.keyId];
    if (isSet(id)) envId = { name: pair.keyId, value: id.trim() };
  }
  if (flagKeyId !== undefined && fileId !== undefined && flagKeyId !== fileId) {
    throw new CliError(
      `--key-id ${flagKeyId} differs from the id ${showId(fileId)} in ${keyName}: drop --key-id, or pass the matching key.`,
    );
  }
  const keyId = flagKeyId ?? fileId ?? envId?.value;
  const keyIdName =
    flagKeyId !== undefined
      ? "--key-id"
      : fileId !== undefined
        ? `the id in ${keyName}`
        : (envId?.name ?? "--key-id");
  return { key, keyId, keyName, keyIdName };
}

/** Rewrites a library key error so it names the flag or variable instead of "key"/"keyId". */
function renameKeyError(error: unknown, selection: KeySelection): unknown {
  if (!(error instanceof StreamTokenError)) return error;
  const message =
    error.code === "ERR_KEY_ID_MISSING"
      ? `the key id is missing: ${selection.keyName} does not carry one, so ${selection.keyName.startsWith("--") ? "pass --key-id <id>" : "set STREAM_KEY_ID"} (the key's 32-hex id), or use Cloudflare's key JSON from \`keys create\` as --key-file, which holds it.`
      : error.message.replace(/^keyId\b/, selection.keyIdName).replace(/^key\b/, selection.keyName);
  return new CliError(`${error.code}: ${message}`, EXIT_USAGE, { cause: error });
}

const NO_KEY =
  "no key: pass --key-file <file> (Cloudflare's key JSON from `streamsign keys create`, or a PEM), or set STREAM_KEY and STREAM_KEY_ID.";

/** A signer from the key flags or environment; exit 2 with a named source on any key problem. */
export async function signerFromFlags(flags: KeyFlags, env: NodeJS.ProcessEnv): Promise<Signer> {
  const selection = selectKey(flags, env);
  if (selection === undefined) throw new CliError(NO_KEY);
  try {
    return await createSigner({ key: selection.key, keyId: selection.keyId });
  } catch (error) {
    throw renameKeyError(error, selection);
  }
}

/** A verifier (private or public key) and the key id when known. */
export async function verifierFromFlags(
  flags: KeyFlags,
  env: NodeJS.ProcessEnv,
): Promise<{ verifier: Verifier; keyId: string | undefined; keyName: string }> {
  const selection = selectKey(flags, env);
  if (selection === undefined)
    throw new CliError(
      "no key to verify with: pass --key-file <file> (the private key JSON, a PEM, or the public key), or set STREAM_KEY.",
    );
  try {
    const verifier = await createVerifier({ key: selection.key });
    return { verifier, keyId: selection.keyId, keyName: selection.keyName };
  } catch (error) {
    throw renameKeyError(error, selection);
  }
}
