import { existsSync } from "node:fs";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../../claims.js";
import { StreamTokenError } from "../../errors.js";
import { parseCidr } from "../../lib/ip.js";
import { type AccessRule, validateAccessRules } from "../../rules.js";
import { parseCommandArgs, readFlagFile, readStdin, showValue, takePositionals } from "../args.js";
import {
  CliError,
  EXIT_FAILED,
  jsonText,
  painter,
  printable,
  relativeTime,
  type Streams,
} from "../io.js";
import { describeRule, parseJsonText } from "../rules-input.js";
import { extractToken } from "../token-input.js";
import { decodeOrExplain } from "./decode.js";

/** How close to Cloudflare's 24 h cap an exp may come before `check` warns. */
export const NEAR_CAP_SECONDS = 300;

export type Level = "error" | "warning";

/** Every finding `check` can report, with its level. docs/cli.md has the same table. */
export const FINDINGS = {
  "invalid-rules": "error",
  "access-rules-ignored": "error",
  "unreachable-rule": "error",
  "allow-only": "error",
  "missing-exp": "error",
  expired: "error",
  "exp-over-cap": "error",
  "nbf-after-exp": "error",
  "download-not-allowed": "error",
  "no-final-block": "warning",
  "blocks-everyone": "warning",
  "ip-single-family": "warning",
  "single-address": "warning",
  "exp-near-cap": "warning",
} as const satisfies Record<string, Level>;

export type FindingCode = keyof typeof FINDINGS;

export interface Finding {
  level: Level;
  code: FindingCode;
  /** 1-based rule number, when the finding is about one rule. */
  rule?: number;
  message: string;
}

export const HELP = `Usage: streamsign check [<token> | <Stream URL> | <rules file> | <inline JSON> | -] [options]

Lints access rules (and, for a token or claims object, its times and downloadable
flag) for mistakes that Cloudflare accepts silently. Input is a token, a Stream URL,
a JSON file or inline JSON: a rules array, { "accessRules": [...] }, or a claims
object. The signature is not checked (use \`verify\`).

Options:
  --want-download          the token is meant for a download URL: require downloadable
  --json                   print { input, findings, errors, warnings }

Findings (error-level ones make the exit code 1):
  error    invalid-rules         the rules break Cloudflare's format (Cloudflare answers 401)
  error    access-rules-ignored  the claim is access_rules; Cloudflare only reads accessRules
  error    unreachable-rule      a rule after an \`any\` rule can never be reached
  error    allow-only            only allow rules: every viewer is allowed anyway
  error    missing-exp           no exp: Cloudflare rejects tokens that do not expire
  error    expired               exp is in the past
  error    exp-over-cap          exp is more than 24 h away: Cloudflare rejects the token
  error    nbf-after-exp         nbf is not before exp: the token is never valid
  error    download-not-allowed  --want-download, but downloadable is not true
  warning  no-final-block        allow rules without a final block:any let everyone else in
  warning  blocks-everyone       a block:any rule comes before any allow rule
  warning  ip-single-family      an ip rule lists only IPv4 or only IPv6; the other family skips it
  warning  single-address        a single address (/32, /128) breaks when a mobile viewer's IP changes
  warning  exp-near-cap          exp is within 5 minutes of the 24 h cap; clock skew may reject it

Exit codes: 0 no error-level findings (warnings allowed), 1 error-level findings,
2 usage error (unreadable input).

Examples:
  streamsign check "$TOKEN"
  streamsign check rules.json
  streamsign check '[{"type":"ip.geoip.country","action":"allow","country":["GB"]}]'
  streamsign check "$DOWNLOAD_URL" --want-download
`;

interface Subject {
  kind: "token" | "rules" | "claims";
  rules: unknown;
  claims?: Record<string, unknown>;
}

function subjectFromJson(value: unknown, name: string): Subject {
  if (Array.isArray(value)) return { kind: "rules", rules: value };
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const isClaims = ["sub", "kid", "exp", "nbf", "downloadable"].some((k) => k in record);
    if (isClaims) return { kind: "claims", rules: record.accessRules, claims: record };
    if ("accessRules" in record || "access_rules" in record)
      return { kind: "rules", rules: record.accessRules, claims: record };
  }
  throw new CliError(
    `check: ${name} is JSON but neither a rules array, { "accessRules": [...] }, nor a claims object.`,
  );
}

function subjectFromText(text: string, name: string): Subject {
  const trimmed = text.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith("{"))
    return subjectFromJson(parseJsonText(trimmed, name), name);
  const token = extractToken(trimmed, "check");
  const { payload } = decodeOrExplain(token, "check");
  return { kind: "token", rules: payload.accessRules, claims: payload };
}

function lintRules(rules: AccessRule[], findings: Finding[]): void {
  const add = (code: FindingCode, message: string, rule?: number) =>
    findings.push({
      level: FINDINGS[code],
      code,
      message,
      ...(rule === undefined ? {} : { rule }),
    });

  const anyIndex = rules.findIndex((rule) => rule.type === "any");
  if (anyIndex !== -1) {
    for (let i = anyIndex + 1; i < rules.length; i++) {
      add(
        "unreachable-rule",
        `rule #${i + 1} (${describeRule(rules[i]!)}) is never reached: rule #${anyIndex + 1} (${describeRule(rules[anyIndex]!)}) matches every viewer first.`,
        i + 1,
      );
    }
  }
  const reachable = anyIndex === -1 ? rules : rules.slice(0, anyIndex + 1);
  const hasBlock = reachable.some((rule) => rule.action === "block");
  const allows = reachable.filter((rule) => rule.action === "allow");
  if (reachable.length > 0 && !hasBlock) {
    add(
      "allow-only",
      "every rule allows and none blocks: viewers no rule matches are allowed too, so these rules restrict nobody. End with block:any.",
    );
  } else if (allows.some((rule) => rule.type !== "any") && anyIndex === -1) {
    add(
      "no-final-block",
      "there are allow rules but no final block:any: viewers no rule matches are allowed. Add block:any last to make the allow rules an allow-list.",
    );
  }
  if (anyIndex !== -1 && rules[anyIndex]!.action === "block") {
    const allowBefore = rules.slice(0, anyIndex).some((rule) => rule.action === "allow");
    if (!allowBefore)
      add(
        "blocks-everyone",
        `rule #${anyIndex + 1} (block any) blocks every viewer no earlier rule allows, and no earlier rule allows anyone.`,
        anyIndex + 1,
      );
  }
  rules.forEach((rule, index) => {
    if (rule.type !== "ip.src") return;
    const parsed = rule.ip.map((entry) => ({ entry, cidr: parseCidr(entry)! }));
    const families = new Set(parsed.map((p) => p.cidr.family));
    if (families.size === 1) {
      const [only] = families;
      add(
        "ip-single-family",
        `rule #${index + 1} (${describeRule(rule)}) lists only IPv${only} ranges: viewers on IPv${only === 4 ? 6 : 4} skip it${rule.action === "allow" ? " and fall through to the next rule" : " and are not blocked"}.`,
        index + 1,
      );
    }
    for (const { entry, cidr } of parsed) {
      if (cidr.prefix === (cidr.family === 4 ? 32 : 128)) {
        add(
          "single-address",
          `rule #${index + 1} names the single address ${entry}: a mobile viewer whose IP changes mid-playback ${rule.action === "allow" ? "loses access" : "gets through"}; prefer a range (like /24 or /64).`,
          index + 1,
        );
      }
    }
  });
}

function lintClaims(
  claims: Record<string, unknown>,
  nowSeconds: number,
  wantDownload: boolean,
  findings: Finding[],
): void {
  const add = (code: FindingCode, message: string) =>
    findings.push({ level: FINDINGS[code], code, message });
  const exp =
    typeof claims.exp === "string" && /^\d+$/.test(claims.exp) ? Number(claims.exp) : claims.exp;
  const nbf =
    typeof claims.nbf === "string" && /^\d+$/.test(claims.nbf) ? Number(claims.nbf) : claims.nbf;
  if (typeof exp !== "number") {
    add("missing-exp", "there is no numeric exp: Cloudflare rejects tokens that do not expire.");
  } else {
    const ahead = exp - nowSeconds;
    if (ahead <= 0)
      add("expired", `exp ${exp} is in the past (expired ${relativeTime(exp, nowSeconds)}).`);
    else if (ahead > MAX_TOKEN_LIFETIME_SECONDS)
      add(
        "exp-over-cap",
        `exp ${exp} is ${relativeTime(exp, nowSeconds)}, beyond Cloudflare's 24 h cap: the token is rejected.`,
      );
    else if (ahead > MAX_TOKEN_LIFETIME_SECONDS - NEAR_CAP_SECONDS)
      add(
        "exp-near-cap",
        `exp is ${ahead}s from now, within 5 minutes of Cloudflare's 24 h cap: a Cloudflare clock a little behind ours rejects it. Use 23h or less.`,
      );
    if (typeof nbf === "number" && nbf >= exp)
      add("nbf-after-exp", `nbf ${nbf} is not before exp ${exp}: the token is never valid.`);
  }
  if (wantDownload && claims.downloadable !== true) {
    add(
      "download-not-allowed",
      `downloadable is ${claims.downloadable === undefined ? "unset" : JSON.stringify(claims.downloadable)}: Cloudflare refuses the download URL. Sign with --downloadable.`,
    );
  }
}

/** All findings for one subject, errors first, in rule order. */
export function lint(subject: Subject, nowSeconds: number, wantDownload: boolean): Finding[] {
  const findings: Finding[] = [];
  if (subject.claims !== undefined && "access_rules" in subject.claims) {
    findings.push({
      level: "error",
      code: "access-rules-ignored",
      message:
        "the rules are under access_rules, which Cloudflare ignores (the token restricts nobody): the claim is accessRules.",
    });
  }
  if (subject.rules !== undefined) {
    try {
      lintRules(validateAccessRules(subject.rules, "accessRules"), findings);
    } catch (error) {
      if (!(error instanceof StreamTokenError)) throw error;
      findings.push({
        level: "error",
        code: "invalid-rules",
        message: `${error.code}: ${error.message}; Cloudflare answers such a token with 401.`,
      });
    }
  }
  if (subject.kind !== "rules" && subject.claims !== undefined) {
    lintClaims(subject.claims, nowSeconds, wantDownload, findings);
  }
  return findings.sort((a, b) => (a.level === b.level ? 0 : a.level === "error" ? -1 : 1));
}

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("check", {
    args,
    options: { "want-download": { type: "boolean" }, json: { type: "boolean" } },
  });
  const [input] = takePositionals(positionals, "check", ["input"], 1);
  let subject: Subject;
  let inputName: string;
  if (input === undefined || input === "-") {
    inputName = "stdin";
    subject = subjectFromText(
      await readStdin(io, "check needs a token, rules file or rules JSON"),
      "stdin",
    );
  } else {
    const trimmed = input.trim();
    const isInline =
      trimmed.startsWith("[") ||
      trimmed.startsWith("{") ||
      /^https?:\/\//i.test(trimmed) ||
      /^[\w-]+\.[\w-]+\.[\w-]*$/.test(trimmed);
    if (!isInline && existsSync(trimmed)) {
      inputName = `file ${showValue(trimmed, 60)}`;
      subject = subjectFromText(readFlagFile(trimmed, "check"), inputName);
    } else if (isInline) {
      inputName = "the argument";
      subject = subjectFromText(trimmed, "the argument");
    } else {
      throw new CliError(
        `check: the argument is not a token, a Stream URL, inline JSON, or an existing file (${showValue(trimmed, 60)}).`,
      );
    }
  }
  if (values["want-download"] && subject.kind === "rules") {
    throw new CliError(
      "check: --want-download needs a token or claims object (rules alone carry no downloadable flag).",
    );
  }
  const nowSeconds = Math.floor(Date.now() / 1000);
  const findings = lint(subject, nowSeconds, values["want-download"] === true);
  const errors = findings.filter((f) => f.level === "error").length;
  const warnings = findings.length - errors;

  if (values.json) {
    io.stdout.write(`${jsonText({ input: subject.kind, findings, errors, warnings }, 2)}\n`);
  } else {
    const paint = painter(io.stdout, io.env);
    const lines = findings.map((f) => {
      const level = f.level === "error" ? paint.red("error  ") : paint.yellow("warning");
      // Messages may quote the rules or the token being checked.
      return `${level}  ${f.code.padEnd(20)}  ${printable(f.message)}`;
    });
    const rulesCount = Array.isArray(subject.rules) ? subject.rules.length : 0;
    const summary =
      findings.length === 0
        ? paint.green(
            `✓ no findings (${subject.kind}, ${rulesCount} rule${rulesCount === 1 ? "" : "s"})`,
          )
        : `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} (${subject.kind} from ${inputName})`;
    io.stdout.write(`${[...lines, summary].join("\n")}\n`);
  }
  return errors > 0 ? EXIT_FAILED : 0;
}
