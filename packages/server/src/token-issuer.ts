import {
  type AccessRule,
  isStreamTokenError,
  MAX_ACCESS_RULES,
  parseDuration,
  type Signer,
  type StreamTokenClaims,
  StreamTokenError,
  type StreamUrlBase,
  streamUrls,
  validateAccessRules,
  viewerNetworkRules,
} from "streamsign";
import { HttpError } from "./errors.js";
import type { Metrics } from "./metrics.js";
import type { Policy } from "./options.js";

/** The body of `POST /v1/tokens`, and of each item of a batch. */
export interface TokenRequest {
  videoId: string;
  /** Seconds, or `"30s"`/`"15m"`/`"2h"`/`"1d"`; default and maximum set by the policy. */
  expiresIn?: number | string;
  /** Unix seconds. */
  notBefore?: number;
  downloadable?: boolean;
  accessRules?: AccessRule[];
  /**
   * Bind the token to the caller's network; defaults to the policy's choice. `false`
   * is refused (403) when the policy binds and enforces its rules.
   */
  bindViewerIp?: boolean;
}

/** The answer to one token request. */
export interface TokenResponse {
  token: string;
  /** ISO 8601. */
  expiresAt: string;
  urls: { iframe: string; hls: string; dash: string; thumbnail: string; download?: string };
}

/** What issuing needs from the request and the service. */
export interface IssueContext {
  /** The active signer, read once for the whole request. */
  signer: Signer;
  policy: Policy;
  urlBase: StreamUrlBase;
  metrics: Metrics;
  /** The caller's address; called only when the token is bound to it. */
  clientIp: () => string | undefined;
}

const FIELDS = new Set([
  "videoId",
  "expiresIn",
  "notBefore",
  "downloadable",
  "accessRules",
  "bindViewerIp",
]);
const FIELD_HINTS: Readonly<Record<string, string>> = {
  expiresAt: "expiresIn (this service takes lifetimes, not instants)",
  access_rules: "accessRules",
  ttl: "expiresIn",
  exp: "expiresIn",
  nbf: "notBefore",
  sub: "videoId",
  video_id: "videoId",
  uid: "videoId",
};
const VIDEO_ID = /^[0-9a-fA-F]{32}$/;

function asRequest(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new StreamTokenError(
      "ERR_OPTION_INVALID",
      'a token request must be a JSON object like {"videoId":"<uid>"}.',
    );
  }
  const request = body as Record<string, unknown>;
  for (const name of Object.keys(request)) {
    if (FIELDS.has(name)) continue;
    const shown = /^[\w$-]{1,40}$/.test(name) ? `"${name}"` : "a field";
    const hint = Object.hasOwn(FIELD_HINTS, name) ? `: did you mean ${FIELD_HINTS[name]}?` : "";
    throw new StreamTokenError(
      "ERR_OPTION_UNKNOWN",
      `unknown field ${shown}${hint} Known fields: ${[...FIELDS].join(", ")}.`,
    );
  }
  return request;
}

function lifetime(expiresIn: unknown, policy: Policy): number {
  if (expiresIn === undefined) return policy.defaultTtlSeconds;
  const seconds = parseDuration(expiresIn);
  if (seconds === null) {
    throw new StreamTokenError(
      "ERR_EXPIRY_INVALID",
      'expiresIn must be a positive whole number of seconds or one unit like "30s", "15m", "2h", "1d".',
    );
  }
  if (seconds > policy.maxTtlSeconds) {
    throw new StreamTokenError(
      "ERR_EXPIRY_TOO_LONG",
      `expiresIn is ${seconds}s: this service issues tokens for at most ${policy.maxTtlSeconds}s.`,
    );
  }
  return seconds;
}

function bindingRules(ctx: IssueContext): AccessRule[] {
  const address = ctx.clientIp();
  const unknown = () =>
    new HttpError(
      400,
      "ERR_VIEWER_IP_UNKNOWN",
      "bindViewerIp: the caller's address is unknown or not an IP address, so the token cannot be bound to it.",
    );
  if (address === undefined) throw unknown();
  try {
    return viewerNetworkRules(address, {
      ipv4Prefix: ctx.policy.ipv4Prefix,
      ipv6Prefix: ctx.policy.ipv6Prefix,
    });
  } catch (error) {
    if (isStreamTokenError(error, "ERR_RULE_IP")) throw unknown();
    throw error;
  }
}

/**
 * The rules a token carries: the policy's, then the caller's (unless the policy
 * enforces its own), then, when bound, "allow the viewer's network, block the
 * rest". Cloudflare applies the first rule that matches, so with binding on every
 * rule before the pair may only block; an allow would let other networks in.
 */
function composeRules(
  request: Record<string, unknown>,
  bind: boolean,
  ctx: IssueContext,
): AccessRule[] {
  const { policy } = ctx;
  let own: AccessRule[] = [];
  if (request.accessRules !== undefined) {
    if (policy.accessRulesMode === "enforce") {
      throw new HttpError(
        403,
        "ERR_RULES_ENFORCED",
        "accessRules: this service enforces its own access rules; send the request without accessRules.",
      );
    }
    own = validateAccessRules(request.accessRules, "accessRules");
  }
  const before = [...policy.accessRules, ...own];
  if (!bind) return before;
  const opening = before.findIndex((rule) => rule.action === "allow" || rule.type === "any");
  if (opening !== -1) {
    const fromPolicy = opening < policy.accessRules.length;
    throw new StreamTokenError(
      "ERR_RULES_INVALID",
      `${fromPolicy ? "the service's access rules" : `accessRules[${opening - policy.accessRules.length}]`} would decide before the viewer-IP binding (an allow, or an "any" rule): with bindViewerIp, earlier rules may only block specific IPs or countries.`,
    );
  }
  const total = before.length + 2;
  if (total > MAX_ACCESS_RULES) {
    throw new StreamTokenError(
      "ERR_RULES_TOO_MANY",
      `accessRules: the token would carry ${total} rules (${policy.accessRules.length} from the service, ${own.length} of yours, 2 for bindViewerIp); Cloudflare accepts at most ${MAX_ACCESS_RULES}.`,
    );
  }
  return [...before, ...bindingRules(ctx)];
}

/**
 * Checks one token request against the policy, signs it, and builds its URLs.
 * Everything is checked before anything is signed; failures throw
 * {@link StreamTokenError} (a 400) or {@link HttpError}.
 *
 * @example
 * ```ts
 * const { response } = await issueToken({ videoId, expiresIn: "2h" }, ctx);
 * response.urls.hls; // https://customer-<CODE>.cloudflarestream.com/<token>/manifest/video.m3u8
 * ```
 */
export async function issueToken(
  body: unknown,
  ctx: IssueContext,
): Promise<{ response: TokenResponse; claims: StreamTokenClaims }> {
  const request = asRequest(body);
  const { videoId, notBefore, downloadable, bindViewerIp } = request;
  const allowList = ctx.policy.videoAllowList;
  // A malformed id is left to the core's precise ERR_VIDEO_ID message.
  if (
    allowList &&
    typeof videoId === "string" &&
    VIDEO_ID.test(videoId) &&
    !allowList.has(videoId.toLowerCase())
  ) {
    throw new HttpError(
      403,
      "ERR_VIDEO_NOT_ALLOWED",
      "videoId is not on this service's list of videos it signs for.",
    );
  }
  if (bindViewerIp !== undefined && typeof bindViewerIp !== "boolean") {
    throw new StreamTokenError("ERR_OPTION_INVALID", "bindViewerIp must be true or false.");
  }
  // An enforcing policy decides the rules alone, the binding included: a caller
  // may not switch it off. Under `prepend` the policy's binding is only a default.
  if (
    bindViewerIp === false &&
    ctx.policy.bindViewerIp &&
    ctx.policy.accessRulesMode === "enforce"
  ) {
    throw new HttpError(
      403,
      "ERR_RULES_ENFORCED",
      "bindViewerIp: this service enforces viewer-IP binding; send the request without bindViewerIp: false.",
    );
  }
  const expiresIn = lifetime(request.expiresIn, ctx.policy);
  const rules = composeRules(request, bindViewerIp ?? ctx.policy.bindViewerIp, ctx);

  const started = performance.now();
  const signed = await ctx.signer.signWithClaims(videoId as string, {
    expiresIn,
    notBefore: notBefore as number | undefined,
    downloadable: downloadable as boolean | undefined,
    accessRules: rules.length > 0 ? rules : undefined,
  });
  ctx.metrics.signDuration((performance.now() - started) / 1000);
  ctx.metrics.tokenIssued(signed.claims.kid);

  const urls = streamUrls(signed.token, ctx.urlBase);
  return {
    claims: signed.claims,
    response: {
      token: signed.token,
      expiresAt: signed.expiresAt.toISOString(),
      urls: {
        iframe: urls.iframe,
        hls: urls.hls,
        dash: urls.dash,
        thumbnail: urls.thumbnail(),
        ...(signed.claims.downloadable === true ? { download: urls.download() } : {}),
      },
    },
  };
}
