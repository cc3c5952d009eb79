/**
 * Access rules: the `accessRules` claim of a Cloudflare Stream token.
 *
 * Cloudflare evaluates the rules first to last and applies the action of the first rule that
 * matches; when none matches, the token is valid. A malformed rule makes Cloudflare answer
 * `401 malformed token` at playback time, long after signing, so we validate strictly up front.
 */

import { StreamTokenError } from "./errors.js";
import { countryHint, isAssignedCountry } from "./lib/countries.js";
import type { ParsedCidr, ParsedIp } from "./lib/ip.js";
import { cidrContains, networkOf, parseCidr, viewerIp } from "./lib/ip.js";

/**
 * What a matching rule does to the viewer.
 *
 * @example
 * ```ts
 * const action: AccessAction = "block";
 * ```
 */
export type AccessAction = "allow" | "block";

/**
 * Matches every viewer. Put it last as the default: `block` for an allow-list, `allow` for a
 * block-list.
 *
 * @example
 * ```ts
 * const fallback: AnyRule = { type: "any", action: "block" };
 * ```
 */
export interface AnyRule {
  type: "any";
  action: AccessAction;
}

/**
 * Matches viewers whose address is inside any listed IPv4/IPv6 address or CIDR range.
 * An IPv4 range never matches an IPv6 viewer (and the reverse), so list both families.
 *
 * @example
 * ```ts
 * const office: IpRule = { type: "ip.src", action: "block", ip: ["93.184.216.0/24", "2400:cb00::/32"] };
 * ```
 */
export interface IpRule {
  type: "ip.src";
  action: AccessAction;
  ip: string[];
}

/**
 * Matches viewers whose GeoIP country is listed (ISO 3166-1 alpha-2, upper case).
 *
 * @example
 * ```ts
 * const ukOnly: CountryRule = { type: "ip.geoip.country", action: "allow", country: ["GB"] };
 * ```
 */
export interface CountryRule {
  type: "ip.geoip.country";
  action: AccessAction;
  country: string[];
}

/**
 * One entry of the `accessRules` claim, discriminated on `type`.
 *
 * @example
 * ```ts
 * const rules: AccessRule[] = [
 *   { type: "ip.geoip.country", action: "allow", country: ["US", "GB"] },
 *   { type: "any", action: "block" },
 * ];
 * ```
 */
export type AccessRule = AnyRule | IpRule | CountryRule;

/**
 * What is known about a viewer, for {@link evaluateAccess}. A missing field never matches a rule
 * that needs it.
 *
 * @example
 * ```ts
 * // In a Worker: the client address and Cloudflare's GeoIP country.
 * const viewer: Viewer = {
 *   ip: request.headers.get("cf-connecting-ip") ?? undefined,
 *   country: request.cf?.country as string | undefined,
 * };
 * ```
 */
export interface Viewer {
  ip?: string;
  country?: string;
}

/**
 * The outcome of {@link evaluateAccess}. `ruleIndex` and `rule` are present only when a rule
 * matched; without them, no rule matched and the token is valid by Cloudflare's default.
 *
 * @example
 * ```ts
 * const decision: AccessDecision = { allowed: false, ruleIndex: 1, rule: { type: "any", action: "block" } };
 * ```
 */
export interface AccessDecision {
  allowed: boolean;
  ruleIndex?: number;
  rule?: AccessRule;
}

/**
 * Cloudflare accepts at most five rules per token.
 *
 * @example
 * ```ts
 * if (rules.length > MAX_ACCESS_RULES) rules = mergeRules(rules);
 * ```
 */
export const MAX_ACCESS_RULES = 5;

/** The rule types Cloudflare documents, in the order messages list them. */
const RULE_TYPES = ["any", "ip.src", "ip.geoip.country"] as const;
type RuleType = (typeof RULE_TYPES)[number];

/** The list field each type carries; `any` carries none. */
const LIST_FIELD = { any: undefined, "ip.src": "ip", "ip.geoip.country": "country" } as const;

const TYPE_HINTS: Readonly<Record<string, RuleType>> = {
  ip: "ip.src",
  ips: "ip.src",
  "ip.source": "ip.src",
  ip_src: "ip.src",
  ipsrc: "ip.src",
  src: "ip.src",
  cidr: "ip.src",
  country: "ip.geoip.country",
  countries: "ip.geoip.country",
  geo: "ip.geoip.country",
  geoip: "ip.geoip.country",
  "ip.geoip": "ip.geoip.country",
  "ip.country": "ip.geoip.country",
  "geoip.country": "ip.geoip.country",
  "ip.geo.country": "ip.geoip.country",
  all: "any",
  "*": "any",
  everyone: "any",
  default: "any",
};

const ACTION_HINTS: Readonly<Record<string, AccessAction>> = {
  deny: "block",
  reject: "block",
  drop: "block",
  forbid: "block",
  disallow: "block",
  permit: "allow",
  accept: "allow",
  grant: "allow",
  pass: "allow",
};

const SHOW_LIMIT = 40;

/** A short, safe rendering of an offending value: never more than ~40 characters of it. */
function show(value: unknown): string {
  if (typeof value === "string") {
    const cut = value.length > SHOW_LIMIT ? `${value.slice(0, SHOW_LIMIT)}…` : value;
    return JSON.stringify(cut);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

function keyPath(base: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${show(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hintFor(table: Readonly<Record<string, string>>, value: unknown): string {
  if (typeof value !== "string") return "";
  const key = value.trim().toLowerCase();
  if (Object.hasOwn(table, key)) return `; did you mean "${table[key]}"?`;
  return "";
}

function checkType(value: unknown, path: string): RuleType {
  if ((RULE_TYPES as readonly unknown[]).includes(value)) return value as RuleType;
  const lowered = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  const hint =
    lowered !== undefined && (RULE_TYPES as readonly string[]).includes(lowered)
      ? `; did you mean "${lowered}"?`
      : hintFor(TYPE_HINTS, value);
  const got = value === undefined ? "is missing" : `is ${show(value)}`;
  throw new StreamTokenError(
    "ERR_RULE_TYPE",
    `${path}.type ${got}; use "any", "ip.src" or "ip.geoip.country"${hint}`,
  );
}

function checkAction(value: unknown, path: string): AccessAction {
  if (value === "allow" || value === "block") return value;
  const lowered = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  const hint =
    lowered === "allow" || lowered === "block"
      ? `; did you mean "${lowered}"?`
      : hintFor(ACTION_HINTS, value);
  const got = value === undefined ? "is missing" : `is ${show(value)}`;
  throw new StreamTokenError(
    "ERR_RULE_ACTION",
    `${path}.action ${got}; use "allow" or "block"${hint}`,
  );
}

function checkKeys(rule: Record<string, unknown>, type: RuleType, path: string): void {
  const listField = LIST_FIELD[type];
  for (const key of Object.keys(rule)) {
    if (key === "type" || key === "action" || key === listField) continue;
    const where = keyPath(path, key);
    const owner = RULE_TYPES.find((t) => LIST_FIELD[t] === key);
    const allowed = listField === undefined ? "type and action" : `type, action and ${listField}`;
    const why =
      owner !== undefined
        ? `belongs to "${owner}" rules, not "${type}"; use one rule per type`
        : `is not a known field`;
    throw new StreamTokenError(
      "ERR_RULE_SHAPE",
      `${where} ${why} (a rule of type "${type}" has only ${allowed})`,
    );
  }
}

function checkList(value: unknown, path: string, example: string): string[] {
  if (value === undefined) {
    throw new StreamTokenError(
      "ERR_RULE_SHAPE",
      `${path} is missing; give a non-empty array of strings like ${example}`,
    );
  }
  if (!Array.isArray(value)) {
    throw new StreamTokenError(
      "ERR_RULE_SHAPE",
      `${path} must be an array of strings like ${example}, got ${show(value)}`,
    );
  }
  if (value.length === 0) {
    // An empty list can never match, which silently disables the rule.
    throw new StreamTokenError(
      "ERR_RULE_SHAPE",
      `${path} is empty; list at least one entry like ${example}, or remove the rule`,
    );
  }
  const copy: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (typeof entry !== "string") {
      throw new StreamTokenError(
        "ERR_RULE_SHAPE",
        `${path}[${i}] must be a string like ${example}, got ${show(entry)}`,
      );
    }
    copy.push(entry);
  }
  return copy;
}

function checkCountries(list: string[], path: string): void {
  list.forEach((code, i) => {
    if (isAssignedCountry(code)) return;
    const hint = countryHint(code);
    throw new StreamTokenError(
      "ERR_RULE_COUNTRY",
      `${path}[${i}] ${show(code)} is not an ISO 3166-1 alpha-2 country code (like "US" or "GB")` +
        (hint === undefined ? "" : `; ${hint}`),
    );
  });
}

function checkIps(list: string[], path: string): void {
  list.forEach((entry, i) => {
    if (parseCidr(entry) !== null) return;
    throw new StreamTokenError(
      "ERR_RULE_IP",
      `${path}[${i}] ${show(entry)} is not an IPv4 or IPv6 address or CIDR (like "93.184.216.0/24" or "2400:cb00::/32")`,
    );
  });
}

/**
 * Checks access rules from untyped input (JSON, plain JavaScript, a config file) and returns a
 * fresh copy with keys in Cloudflare's order: `type`, `action`, then `ip` or `country`.
 *
 * The token payload is `JSON.stringify` of these objects, so a stable key order keeps tokens
 * identical to Cloudflare's documented examples whatever order the caller wrote. Values are
 * never rewritten: a lower-case country code is an error, not silently upper-cased.
 *
 * @param rules - the value to check; an empty array is valid.
 * @param field - the name used in error messages, `"accessRules"` by default.
 * @throws {StreamTokenError} `ERR_RULES_INVALID`, `ERR_RULES_TOO_MANY`, `ERR_RULE_SHAPE`,
 *   `ERR_RULE_TYPE`, `ERR_RULE_ACTION`, `ERR_RULE_COUNTRY` or `ERR_RULE_IP`, naming the field.
 *
 * @example
 * ```ts
 * const rules = validateAccessRules(JSON.parse('[{"country":["GB"],"action":"allow","type":"ip.geoip.country"}]'));
 * JSON.stringify(rules); // '[{"type":"ip.geoip.country","action":"allow","country":["GB"]}]'
 * ```
 */
export function validateAccessRules(rules: unknown, field = "accessRules"): AccessRule[] {
  if (!Array.isArray(rules)) {
    throw new StreamTokenError(
      "ERR_RULES_INVALID",
      `${field} must be an array of rules like [{ type: "any", action: "block" }], got ${show(rules)}`,
    );
  }
  if (rules.length > MAX_ACCESS_RULES) {
    throw new StreamTokenError(
      "ERR_RULES_TOO_MANY",
      `${field} has ${rules.length} rules; Cloudflare accepts at most ${MAX_ACCESS_RULES}. ` +
        "Merge rules with the same type and action into one list",
    );
  }
  const out: AccessRule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const path = `${field}[${i}]`;
    const rule: unknown = rules[i];
    if (!isPlainObject(rule)) {
      throw new StreamTokenError(
        "ERR_RULE_SHAPE",
        `${path} must be an object like { type: "any", action: "block" }, got ${show(rule)}`,
      );
    }
    const type = checkType(rule.type, path);
    const action = checkAction(rule.action, path);
    checkKeys(rule, type, path);
    if (type === "any") {
      out.push({ type, action });
    } else if (type === "ip.src") {
      const ip = checkList(rule.ip, `${path}.ip`, '["93.184.216.0/24", "2400:cb00::/32"]');
      checkIps(ip, `${path}.ip`);
      out.push({ type, action, ip });
    } else {
      const country = checkList(rule.country, `${path}.country`, '["US", "GB"]');
      checkCountries(country, `${path}.country`);
      out.push({ type, action, country });
    }
  }
  return out;
}

function parseViewerIp(value: unknown): ParsedIp | undefined {
  // null as well as undefined: `headers.get()` answers null for an absent header.
  if (value === undefined || value === null) return undefined;
  const ip = typeof value === "string" ? viewerIp(value) : null;
  if (ip === null) {
    throw new StreamTokenError(
      "ERR_RULE_IP",
      `viewer.ip ${show(value)} is not an IPv4 or IPv6 address (like "203.0.113.7" or "2001:db8::1")`,
    );
  }
  return ip;
}

function parseViewerCountry(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new StreamTokenError(
      "ERR_RULE_COUNTRY",
      `viewer.country must be a country code string like "US", got ${show(value)}`,
    );
  }
  return value.toUpperCase();
}

/**
 * Decides, as Cloudflare would, whether a viewer may play a token carrying `rules`: the first
 * matching rule decides; when none matches, the viewer is allowed.
 *
 * Use it to preview a rule set, or in a token server to refuse early instead of handing out a
 * token that Cloudflare will answer with 401. Cloudflare's own GeoIP may differ from yours.
 *
 * @throws {StreamTokenError} whatever {@link validateAccessRules} throws for invalid rules, and
 *   `ERR_RULE_IP` when `viewer.ip` is present but not an IP address.
 *
 * @example
 * ```ts
 * const rules: AccessRule[] = [
 *   { type: "ip.geoip.country", action: "allow", country: ["US", "GB"] },
 *   { type: "any", action: "block" },
 * ];
 * evaluateAccess(rules, { country: "GB" }); // { allowed: true, ruleIndex: 0, rule: rules[0] }
 * evaluateAccess(rules, { country: "FR" }); // { allowed: false, ruleIndex: 1, rule: rules[1] }
 * evaluateAccess([], { country: "FR" });    // { allowed: true }
 * ```
 */
export function evaluateAccess(rules: readonly AccessRule[], viewer: Viewer): AccessDecision {
  const checked = validateAccessRules(rules);
  if (typeof viewer !== "object" || viewer === null) {
    throw new StreamTokenError(
      "ERR_RULE_SHAPE",
      `viewer must be an object like { ip: "203.0.113.7", country: "US" }, got ${show(viewer)}`,
    );
  }
  const ip = parseViewerIp(viewer.ip);
  const country = parseViewerCountry(viewer.country);

  for (let i = 0; i < checked.length; i++) {
    const rule = checked[i]!;
    if (!ruleMatches(rule, ip, country)) continue;
    // Hand back the caller's own rule object so identity checks work.
    return { allowed: rule.action === "allow", ruleIndex: i, rule: rules[i] ?? rule };
  }
  return { allowed: true };
}

function ruleMatches(
  rule: AccessRule,
  ip: ParsedIp | undefined,
  country: string | undefined,
): boolean {
  switch (rule.type) {
    case "any":
      return true;
    case "ip.src":
      if (ip === undefined) return false;
      return rule.ip.some((entry) => cidrContains(parseCidr(entry) as ParsedCidr, ip));
    case "ip.geoip.country":
      return country !== undefined && rule.country.includes(country);
  }
}

/** Prefix lengths for {@link viewerNetworkRules}. */
export interface ViewerNetworkOptions {
  /** Bits of an IPv4 viewer's address to keep; default 24 (a /24). */
  ipv4Prefix?: number | undefined;
  /** Bits of an IPv6 viewer's address to keep; default 64 (a /64). */
  ipv6Prefix?: number | undefined;
}

/**
 * Rules that bind a token to the viewer's network: allow the viewer's /24 (IPv4) or
 * /64 (IPv6), then block everyone else. Not the exact address: Cloudflare re-checks
 * rules during playback, and mobile viewers change addresses within their network.
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as IPv4.
 *
 * @example
 * ```ts
 * viewerNetworkRules("203.0.113.77");
 * // [{ type: "ip.src", action: "allow", ip: ["203.0.113.0/24"] }, { type: "any", action: "block" }]
 * ```
 */
export function viewerNetworkRules(
  ip: string,
  options: ViewerNetworkOptions = {},
): [IpRule, AnyRule] {
  const parsed = typeof ip === "string" ? viewerIp(ip.trim()) : null;
  if (parsed === null) {
    throw new StreamTokenError(
      "ERR_RULE_IP",
      `viewer ip ${show(ip)} is not an IPv4 or IPv6 address.`,
    );
  }
  const prefix = parsed.family === 4 ? (options.ipv4Prefix ?? 24) : (options.ipv6Prefix ?? 64);
  return [
    { type: "ip.src", action: "allow", ip: [networkOf(parsed, prefix)] },
    { type: "any", action: "block" },
  ];
}
