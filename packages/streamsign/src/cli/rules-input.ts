// Access rules from the command line: repeated `--rule action:type=list`, or a JSON file.
import { StreamTokenError } from "../errors.js";
import { type AccessRule, validateAccessRules } from "../rules.js";
import { readFlagFile, showValue } from "./args.js";
import { CliError } from "./io.js";

export const RULE_HELP = `Rules (evaluated first to last; the first match decides; none matching = allowed):
  --rule <action>:<type>[=<list>]   repeatable, kept in order; action allow or block
      allow:country=GB,US              ip.geoip.country: ISO 3166-1 alpha-2 codes
      allow:ip=93.184.216.0/24,2400:cb00::/32   ip.src: addresses or CIDRs
      block:any                        any: the fallback, put it last
  --rules-file <path>               JSON: an array of Cloudflare rules, or { "accessRules": [...] }`;

const TYPE_NAMES: Readonly<Record<string, AccessRule["type"]>> = {
  any: "any",
  country: "ip.geoip.country",
  "ip.geoip.country": "ip.geoip.country",
  ip: "ip.src",
  "ip.src": "ip.src",
};

/** One `--rule` value → a rule object (validated later, all together). */
export function parseRuleSpec(spec: string, index: number): Record<string, unknown> {
  const where = `--rule #${index + 1} ${showValue(spec, 60)}`;
  const match = /^\s*([A-Za-z]+)\s*:\s*([A-Za-z.]+)\s*(?:=(.*))?$/.exec(spec);
  if (!match) {
    throw new CliError(
      `${where} is not a rule: write action:type=list, like allow:country=GB,US, allow:ip=93.184.216.0/24 or block:any.`,
    );
  }
  const [, action, typeName, list] = match as unknown as [
    string,
    string,
    string,
    string | undefined,
  ];
  if (action !== "allow" && action !== "block") {
    throw new CliError(
      `${where}: the action must be allow or block, not ${showValue(action, 20)}.`,
    );
  }
  const type = TYPE_NAMES[typeName.toLowerCase()];
  if (type === undefined) {
    throw new CliError(
      `${where}: the type must be country, ip or any, not ${showValue(typeName, 20)}.`,
    );
  }
  if (type === "any") {
    if (list !== undefined)
      throw new CliError(`${where}: an any rule takes no list; write ${action}:any.`);
    return { type, action };
  }
  if (list === undefined || list.trim() === "") {
    throw new CliError(
      `${where}: list at least one ${type === "ip.src" ? "address or CIDR after ip=" : "country code after country="}.`,
    );
  }
  const entries = list.split(",").map((entry) => entry.trim());
  return type === "ip.src" ? { type, action, ip: entries } : { type, action, country: entries };
}

/** Renames the library's `rules[i]…` paths to `--rule #n`, so the message names the flag. */
function renameRulesError(error: unknown, rename: (path: string) => string): unknown {
  if (!(error instanceof StreamTokenError)) return error;
  return new CliError(`${error.code}: ${rename(error.message)}`, undefined, { cause: error });
}

/** Validated rules from repeated `--rule` flags. */
export function rulesFromSpecs(specs: readonly string[]): AccessRule[] {
  const raw = specs.map(parseRuleSpec);
  try {
    return validateAccessRules(raw, "rules");
  } catch (error) {
    throw renameRulesError(error, (message) =>
      message
        .replace(/^rules\[(\d+)\]\.?/, (_, i: string) => `--rule #${Number(i) + 1}: `)
        .replace(/^rules has (\d+) rules/, "--rule is given $1 times"),
    );
  }
}

/** The rules array inside parsed JSON: an array, or an object with `accessRules`. */
export function rulesFromJson(value: unknown, name: string): unknown {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record.accessRules !== undefined) return record.accessRules;
    if (record.access_rules !== undefined) {
      throw new CliError(
        `${name} uses access_rules, which Cloudflare ignores: rename it accessRules.`,
      );
    }
  }
  throw new CliError(`${name} must be a JSON array of rules, or an object with "accessRules".`);
}

/** Parses JSON text, with a message that names the source and never quotes the text. */
export function parseJsonText(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = /position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
    throw new CliError(`${name} is not valid JSON${where ? ` (at character ${where})` : ""}.`);
  }
}

/** Validated rules from `--rules-file`. */
export function rulesFromFile(path: string): AccessRule[] {
  const name = `--rules-file ${showValue(path, 60)}`;
  const value = rulesFromJson(parseJsonText(readFlagFile(path, "--rules-file"), name), name);
  try {
    return validateAccessRules(value, "rules");
  } catch (error) {
    throw renameRulesError(error, (message) => `${name}: ${message}`);
  }
}

/** One line per rule: `allow  country  GB, US`. */
export function describeRule(rule: AccessRule): string {
  switch (rule.type) {
    case "any":
      return `${rule.action} any`;
    case "ip.src":
      return `${rule.action} ip ${rule.ip.join(", ")}`;
    case "ip.geoip.country":
      return `${rule.action} country ${rule.country.join(", ")}`;
  }
}
