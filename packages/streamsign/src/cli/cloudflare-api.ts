// A small client for the Cloudflare API calls the CLI makes (Stream signing keys, and
// requireSignedURLs on a video). Global fetch only. The API token is sent as a Bearer
// token and never appears in any message.
import { showId, showValue } from "./args.js";
import { CliError, EXIT_FAILED, printable } from "./io.js";

export const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";
const TIMEOUT_MS = 30_000;

export const API_HELP = `Cloudflare API settings:
  --account <id>           account id (default: CLOUDFLARE_ACCOUNT_ID)
  CLOUDFLARE_API_TOKEN     an API token with Stream:Edit permission (sent as a Bearer token)
  CLOUDFLARE_API_BASE_URL  default ${DEFAULT_API_BASE_URL}`;

export interface ApiConfig {
  baseUrl: string;
  accountId: string;
  apiToken: string;
}

/** Settings from --account and the environment; exit 2 naming what is missing. */
export function apiConfig(account: string | undefined, env: NodeJS.ProcessEnv): ApiConfig {
  const accountId = (account ?? env.CLOUDFLARE_ACCOUNT_ID ?? "").trim();
  if (accountId === "") {
    throw new CliError(
      "no Cloudflare account: pass --account <id> or set CLOUDFLARE_ACCOUNT_ID (dashboard → any zone → Overview → Account ID).",
    );
  }
  if (!/^[0-9a-fA-F]{32}$/.test(accountId)) {
    const name = account !== undefined ? "--account" : "CLOUDFLARE_ACCOUNT_ID";
    throw new CliError(
      `${name} is ${showId(accountId)}: it must be the 32-hex-character account id.`,
    );
  }
  const apiToken = (env.CLOUDFLARE_API_TOKEN ?? "").trim();
  if (apiToken === "") {
    throw new CliError(
      "no API token: set CLOUDFLARE_API_TOKEN to a Cloudflare API token with the Stream:Edit permission.",
    );
  }
  if (!/^[\x21-\x7e]+$/.test(apiToken)) {
    throw new CliError(
      "CLOUDFLARE_API_TOKEN contains spaces or other characters a token never has: copy it again.",
    );
  }
  const rawBase = (env.CLOUDFLARE_API_BASE_URL ?? "").trim() || DEFAULT_API_BASE_URL;
  let base: URL;
  try {
    base = new URL(rawBase);
  } catch {
    throw new CliError(
      `CLOUDFLARE_API_BASE_URL ${showValue(rawBase, 80)} is not an absolute URL (default ${DEFAULT_API_BASE_URL}).`,
    );
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new CliError("CLOUDFLARE_API_BASE_URL must be an http(s) URL.");
  }
  if (base.username || base.password || base.search || base.hash) {
    throw new CliError(
      "CLOUDFLARE_API_BASE_URL must be a plain base URL, without credentials, query or fragment.",
    );
  }
  return { baseUrl: base.href.replace(/\/+$/, ""), accountId: accountId.toLowerCase(), apiToken };
}

interface Envelope {
  success?: unknown;
  errors?: unknown;
  result?: unknown;
}

function describeApiErrors(errors: unknown): string | undefined {
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors
    .slice(0, 3)
    .map((entry) => {
      const { code, message } = (entry ?? {}) as { code?: unknown; message?: unknown };
      // Cloudflare's words, but printed to a terminal: no control characters get through.
      const text =
        typeof message === "string" ? printable(message.replace(/\s+/g, " ").slice(0, 200)) : "";
      const shownCode =
        typeof code === "number"
          ? String(code)
          : typeof code === "string"
            ? printable(code.slice(0, 20))
            : undefined;
      return shownCode !== undefined ? `${shownCode} ${text}`.trim() : text;
    })
    .filter((text) => text !== "")
    .join("; ");
}

/**
 * Calls `{base}/accounts/{account}{path}` and returns the envelope's `result`. API failures
 * (HTTP errors, `success: false`, unreachable host) are exit 1, one line.
 */
export async function callApi(
  config: ApiConfig,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${config.baseUrl}/accounts/${config.accountId}${path}`;
  const route = `${method} /accounts/${config.accountId}${path}`;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${config.apiToken}`,
    Accept: "application/json",
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const code =
      typeof cause?.code === "string"
        ? cause.code
        : (error as { name?: unknown }).name === "TimeoutError"
          ? `no answer in ${TIMEOUT_MS / 1000}s`
          : "network error";
    throw new CliError(
      `could not reach the Cloudflare API at ${config.baseUrl} (${code}): check the network, or CLOUDFLARE_API_BASE_URL.`,
      EXIT_FAILED,
      { cause: error },
    );
  }
  const text = await response.text().catch(() => "");
  let envelope: Envelope | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") envelope = parsed as Envelope;
  } catch {
    envelope = undefined;
  }
  if (envelope === undefined) {
    throw new CliError(
      `Cloudflare API answered HTTP ${response.status} with a body that is not JSON (${route}).`,
      EXIT_FAILED,
    );
  }
  if (!response.ok || envelope.success !== true) {
    const detail = describeApiErrors(envelope.errors) ?? "no error details";
    const hint =
      response.status === 401 || response.status === 403
        ? " Check CLOUDFLARE_API_TOKEN (it needs Stream:Edit on this account) and the account id."
        : "";
    throw new CliError(
      `Cloudflare API error: ${detail} (HTTP ${response.status}, ${route}).${hint}`,
      EXIT_FAILED,
    );
  }
  return envelope.result;
}

/** A signing key as `POST /stream/keys` returns it. */
export interface CreatedKey {
  id: string;
  pem: string;
  jwk: string;
  created?: string;
}

export async function createKey(config: ApiConfig): Promise<CreatedKey> {
  const result = (await callApi(config, "POST", "/stream/keys")) as Partial<CreatedKey> | null;
  if (
    result === null ||
    typeof result !== "object" ||
    typeof result.id !== "string" ||
    typeof result.pem !== "string" ||
    typeof result.jwk !== "string"
  ) {
    throw new CliError(
      "Cloudflare API answered POST /stream/keys without { id, pem, jwk } in its result.",
      EXIT_FAILED,
    );
  }
  return result as CreatedKey;
}

export interface ListedKey {
  id: string;
  created?: string;
}

export async function listKeys(config: ApiConfig): Promise<ListedKey[]> {
  const result = await callApi(config, "GET", "/stream/keys");
  if (!Array.isArray(result)) {
    throw new CliError(
      "Cloudflare API answered GET /stream/keys without a list in its result.",
      EXIT_FAILED,
    );
  }
  return result as ListedKey[];
}

export async function revokeKey(config: ApiConfig, keyId: string): Promise<unknown> {
  return callApi(config, "DELETE", `/stream/keys/${encodeURIComponent(keyId)}`);
}

export async function setRequireSignedUrls(
  config: ApiConfig,
  videoId: string,
  required: boolean,
): Promise<unknown> {
  return callApi(config, "POST", `/stream/${encodeURIComponent(videoId)}`, {
    uid: videoId,
    requireSignedURLs: required,
  });
}
