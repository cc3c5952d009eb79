import { describe, expect, it } from "vitest";
import { StreamTokenError } from "../src/errors.js";
import { countryHint, ISO_3166_ALPHA2, isAssignedCountry } from "../src/lib/countries.js";
import type { AccessRule } from "../src/rules.js";
import { evaluateAccess, MAX_ACCESS_RULES, validateAccessRules } from "../src/rules.js";

/** Runs fn, expects a StreamTokenError, and returns it for message assertions. */
function thrown(fn: () => unknown): StreamTokenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StreamTokenError);
    return err as StreamTokenError;
  }
  throw new Error("expected a StreamTokenError, nothing was thrown");
}

const any = (action: "allow" | "block") => ({ type: "any", action });

describe("validateAccessRules: accepted input", () => {
  it("returns [] for an empty array", () => {
    expect(validateAccessRules([])).toEqual([]);
  });

  it("puts keys in Cloudflare's order whatever the caller wrote", () => {
    const out = validateAccessRules([
      { country: ["GB"], action: "allow", type: "ip.geoip.country" },
      { ip: ["93.184.216.0/24"], type: "ip.src", action: "block" },
      { action: "block", type: "any" },
    ]);
    expect(JSON.stringify(out[0])).toBe(
      '{"type":"ip.geoip.country","action":"allow","country":["GB"]}',
    );
    expect(JSON.stringify(out[1])).toBe(
      '{"type":"ip.src","action":"block","ip":["93.184.216.0/24"]}',
    );
    expect(JSON.stringify(out[2])).toBe('{"type":"any","action":"block"}');
  });

  it("returns new objects and arrays and leaves the input untouched", () => {
    const countries = ["GB", "US"];
    const ips = ["2400:cb00::/32"];
    const input = [
      { country: countries, action: "allow", type: "ip.geoip.country" },
      { type: "ip.src", action: "block", ip: ips },
    ];
    const before = JSON.stringify(input);
    const out = validateAccessRules(input) as unknown as Array<Record<string, unknown>>;
    expect(JSON.stringify(input)).toBe(before);
    expect(Object.keys(input[0] ?? {})).toEqual(["country", "action", "type"]);
    expect(out).not.toBe(input);
    expect(out[0]).not.toBe(input[0]);
    expect(out[0]?.country).not.toBe(countries);
    expect(out[1]?.ip).not.toBe(ips);
    // Later changes to the input do not leak into the validated copy.
    countries.push("FR");
    expect(out[0]?.country).toEqual(["GB", "US"]);
  });

  it("keeps values exactly as written", () => {
    const out = validateAccessRules([
      { type: "ip.src", action: "allow", ip: ["2001:DB8::/32", "93.184.216.34/24", "10.0.0.1"] },
    ]);
    expect(out).toEqual([
      { type: "ip.src", action: "allow", ip: ["2001:DB8::/32", "93.184.216.34/24", "10.0.0.1"] },
    ]);
  });

  it("accepts exactly five rules", () => {
    expect(MAX_ACCESS_RULES).toBe(5);
    expect(validateAccessRules(new Array(5).fill(any("allow")))).toHaveLength(5);
  });

  it("accepts objects with a null prototype (e.g. from some JSON parsers)", () => {
    const rule = Object.assign(Object.create(null) as object, { type: "any", action: "allow" });
    expect(validateAccessRules([rule])).toEqual([{ type: "any", action: "allow" }]);
  });
});

describe("validateAccessRules: rejections", () => {
  it.each<[string, unknown, string, string[]]>([
    // [name, rules, code, fragments the message must contain]
    ["not an array", { type: "any", action: "allow" }, "ERR_RULES_INVALID", ["accessRules"]],
    ["a string", '[{"type":"any"}]', "ERR_RULES_INVALID", ["accessRules"]],
    ["null", null, "ERR_RULES_INVALID", ["accessRules"]],
    ["six rules", new Array(6).fill(any("allow")), "ERR_RULES_TOO_MANY", ["accessRules", "5"]],
    ["rule is null", [null], "ERR_RULE_SHAPE", ["accessRules[0]"]],
    ["rule is a string", [any("allow"), "any"], "ERR_RULE_SHAPE", ["accessRules[1]"]],
    ["rule is an array", [["any", "allow"]], "ERR_RULE_SHAPE", ["accessRules[0]"]],
    ["rule is a Date", [new Date(0)], "ERR_RULE_SHAPE", ["accessRules[0]"]],
    [
      "unknown type",
      [{ type: "ip.dst", action: "allow", ip: ["1.2.3.4"] }],
      "ERR_RULE_TYPE",
      ["accessRules[0].type", '"any"', '"ip.src"', '"ip.geoip.country"'],
    ],
    ["missing type", [{ action: "allow" }], "ERR_RULE_TYPE", ["accessRules[0].type", "missing"]],
    [
      "type 'ip'",
      [{ type: "ip", action: "block", ip: ["1.2.3.4"] }],
      "ERR_RULE_TYPE",
      ['did you mean "ip.src"'],
    ],
    [
      "type 'country'",
      [{ type: "country", action: "block", country: ["US"] }],
      "ERR_RULE_TYPE",
      ['did you mean "ip.geoip.country"'],
    ],
    [
      "type 'geo'",
      [{ type: "geo", action: "block", country: ["US"] }],
      "ERR_RULE_TYPE",
      ['did you mean "ip.geoip.country"'],
    ],
    ["type 'ANY'", [{ type: "ANY", action: "block" }], "ERR_RULE_TYPE", ['did you mean "any"']],
    [
      "action 'deny'",
      [any("allow"), { type: "any", action: "deny" }],
      "ERR_RULE_ACTION",
      ["accessRules[1].action", '"allow"', '"block"', 'did you mean "block"'],
    ],
    [
      "action 'permit'",
      [{ type: "any", action: "permit" }],
      "ERR_RULE_ACTION",
      ["accessRules[0].action", 'did you mean "allow"'],
    ],
    ["action missing", [{ type: "any" }], "ERR_RULE_ACTION", ["accessRules[0].action", "missing"]],
    [
      "action boolean",
      [{ type: "any", action: true }],
      "ERR_RULE_ACTION",
      ["accessRules[0].action"],
    ],
    [
      "ip list missing",
      [{ type: "ip.src", action: "block" }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip", "missing"],
    ],
    [
      "ip list not an array",
      [{ type: "ip.src", action: "block", ip: "1.2.3.4" }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip", "array"],
    ],
    [
      "ip list empty",
      [{ type: "ip.src", action: "block", ip: [] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip", "empty"],
    ],
    [
      "ip entry not a string",
      [{ type: "ip.src", action: "block", ip: ["1.2.3.4", 16909060] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip[1]"],
    ],
    [
      "country list missing",
      [{ type: "ip.geoip.country", action: "allow" }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].country", "missing"],
    ],
    [
      "country list not an array",
      [{ type: "ip.geoip.country", action: "allow", country: "US" }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].country"],
    ],
    [
      "country list empty",
      [{ type: "ip.geoip.country", action: "allow", country: [] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].country", "empty"],
    ],
    [
      "country entry not a string",
      [{ type: "ip.geoip.country", action: "allow", country: [null] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].country[0]"],
    ],
    [
      "'any' with ip",
      [{ type: "any", action: "block", ip: ["1.2.3.4"] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip", '"ip.src"'],
    ],
    [
      "'ip.src' with country",
      [{ type: "ip.src", action: "block", ip: ["1.2.3.4"], country: ["US"] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].country", '"ip.geoip.country"'],
    ],
    [
      "'ip.geoip.country' with ip",
      [{ type: "ip.geoip.country", action: "block", country: ["US"], ip: ["1.2.3.4"] }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].ip"],
    ],
    [
      "unknown extra key",
      [{ type: "any", action: "block", note: "fallback" }],
      "ERR_RULE_SHAPE",
      ["accessRules[0].note"],
    ],
    [
      "unknown key that is not an identifier",
      [{ type: "any", action: "block", "ip-list": [] }],
      "ERR_RULE_SHAPE",
      ['accessRules[0]["ip-list"]'],
    ],
    [
      "country not assigned",
      [{ type: "ip.geoip.country", action: "allow", country: ["US", "ZZ"] }],
      "ERR_RULE_COUNTRY",
      ["accessRules[0].country[1]", '"ZZ"'],
    ],
    [
      "country user-assigned (XK)",
      [{ type: "ip.geoip.country", action: "allow", country: ["XK"] }],
      "ERR_RULE_COUNTRY",
      ["accessRules[0].country[0]", '"XK"'],
    ],
    [
      "country three-letter",
      [{ type: "ip.geoip.country", action: "allow", country: ["USA"] }],
      "ERR_RULE_COUNTRY",
      ["accessRules[0].country[0]", "two-letter"],
    ],
    [
      "ip invalid",
      [{ type: "ip.src", action: "block", ip: ["10.0.0.1", "10.0.0.300"] }],
      "ERR_RULE_IP",
      [
        'accessRules[0].ip[1] "10.0.0.300" is not an IPv4 or IPv6 address or CIDR',
        '"93.184.216.0/24"',
        '"2400:cb00::/32"',
      ],
    ],
    [
      "ip with leading zeros",
      [{ type: "ip.src", action: "block", ip: ["010.0.0.1"] }],
      "ERR_RULE_IP",
      ["accessRules[0].ip[0]"],
    ],
    [
      "ip prefix too long",
      [{ type: "ip.src", action: "block", ip: ["93.184.216.0/33"] }],
      "ERR_RULE_IP",
      ["accessRules[0].ip[0]"],
    ],
    [
      "ipv6 with zone id",
      [{ type: "ip.src", action: "block", ip: ["fe80::1%eth0"] }],
      "ERR_RULE_IP",
      ["accessRules[0].ip[0]"],
    ],
  ])("%s", (_name, rules, code, fragments) => {
    const err = thrown(() => validateAccessRules(rules));
    expect(err.code).toBe(code);
    for (const fragment of fragments) expect(err.message).toContain(fragment);
  });

  it("uses the given field name in messages", () => {
    const err = thrown(() =>
      validateAccessRules(
        [{ type: "ip.geoip.country", action: "allow", country: ["gb"] }],
        "rules",
      ),
    );
    expect(err.code).toBe("ERR_RULE_COUNTRY");
    expect(err.message).toContain("rules[0].country[0]");
    expect(err.message).not.toContain("accessRules");
  });

  it('hints "GB" for "UK"', () => {
    const err = thrown(() =>
      validateAccessRules([{ type: "ip.geoip.country", action: "allow", country: ["UK"] }]),
    );
    expect(err.code).toBe("ERR_RULE_COUNTRY");
    expect(err.message).toContain("accessRules[0].country[0]");
    expect(err.message).toContain('did you mean "GB"');
  });

  it('hints upper case for "gb" rather than folding it', () => {
    const err = thrown(() =>
      validateAccessRules([{ type: "ip.geoip.country", action: "allow", country: ["US", "gb"] }]),
    );
    expect(err.code).toBe("ERR_RULE_COUNTRY");
    expect(err.message).toContain("accessRules[0].country[1]");
    expect(err.message).toContain('"GB"');
  });

  it("trims long offending values in messages", () => {
    const long = "x".repeat(5000);
    const err = thrown(() =>
      validateAccessRules([{ type: "ip.src", action: "block", ip: [long] }]),
    );
    expect(err.code).toBe("ERR_RULE_IP");
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).not.toContain("x".repeat(41));
  });

  it("does not echo a non-string value", () => {
    const secret = { token: "eyJhbGciOiJSUzI1NiJ9.secret" };
    const err = thrown(() => validateAccessRules(secret));
    expect(err.code).toBe("ERR_RULES_INVALID");
    expect(err.message).not.toContain("eyJ");
  });
});

describe("countries", () => {
  it("holds the 249 assigned codes", () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    for (const code of ["GB", "US", "DE", "AX", "BQ", "CW", "SS", "SX", "AQ", "BV", "UM", "ZW"]) {
      expect(isAssignedCountry(code)).toBe(true);
    }
  });

  it.each(["UK", "EU", "XK", "XX", "T1", "EL", "AN", "YU", "gb", "Gb", "", "USA", "G"])(
    "excludes %j",
    (code) => {
      expect(isAssignedCountry(code)).toBe(false);
    },
  );

  it.each<[string, string]>([
    ["gb", 'use upper case: "GB"'],
    ["Us", 'use upper case: "US"'],
    ["UK", 'did you mean "GB"?'],
    ["uk", 'did you mean "GB"?'],
  ])("countryHint(%j) = %j", (code, hint) => {
    expect(countryHint(code)).toBe(hint);
  });

  it("hints GR for EL", () => {
    expect(countryHint("EL")).toContain('"GR"');
  });

  it("has no hint for an unknown two-letter code", () => {
    expect(countryHint("ZZ")).toBeUndefined();
  });
});

describe("evaluateAccess: Cloudflare's worked examples", () => {
  // "Allow only viewers in the US and GB", from Cloudflare's "Secure your Stream" page.
  const usAndGbOnly: AccessRule[] = [
    { type: "ip.geoip.country", action: "allow", country: ["US", "GB"] },
    { type: "any", action: "block" },
  ];

  it.each<[string, { ip?: string; country?: string }, boolean, number | undefined]>([
    ["US viewer", { country: "US" }, true, 0],
    ["GB viewer", { country: "GB" }, true, 0],
    ["lower-case gb from a header", { country: "gb" }, true, 0],
    ["FR viewer", { country: "FR" }, false, 1],
    ["Tor viewer (T1)", { country: "T1" }, false, 1],
    ["unknown country (XX)", { country: "XX" }, false, 1],
    ["no country", {}, false, 1],
    ["only an ip", { ip: "93.184.216.34" }, false, 1],
    ["US viewer with an ip", { ip: "2001:db8::1", country: "US" }, true, 0],
  ])("(a) %s", (_name, viewer, allowed, ruleIndex) => {
    const decision = evaluateAccess(usAndGbOnly, viewer);
    expect(decision.allowed).toBe(allowed);
    expect(decision.ruleIndex).toBe(ruleIndex);
    expect(decision.rule).toBe(usAndGbOnly[ruleIndex ?? -1]);
  });

  // "Block viewers from a specific IP range" (both families), then allow everyone else.
  const blockRange: AccessRule[] = [
    { type: "ip.src", ip: ["93.184.216.0/24", "2400:cb00::/32"], action: "block" },
    { type: "any", action: "allow" },
  ];

  it.each<[string, { ip?: string; country?: string }, boolean, number]>([
    ["IPv4 inside", { ip: "93.184.216.34" }, false, 0],
    ["IPv4 first address", { ip: "93.184.216.0" }, false, 0],
    ["IPv4 last address", { ip: "93.184.216.255" }, false, 0],
    ["IPv4 just outside", { ip: "93.184.217.0" }, true, 1],
    ["IPv4 elsewhere", { ip: "203.0.113.7" }, true, 1],
    ["IPv6 inside", { ip: "2400:cb00:2049:1::a29f:1804" }, false, 0],
    ["IPv6 inside, upper case", { ip: "2400:CB00::1" }, false, 0],
    ["IPv6 just outside", { ip: "2400:cb01::1" }, true, 1],
    ["IPv6 elsewhere", { ip: "2001:db8::1" }, true, 1],
    ["IPv4-mapped IPv6 inside the IPv4 range", { ip: "::ffff:93.184.216.34" }, false, 0],
    ["IPv4-mapped IPv6 in hex", { ip: "::ffff:5db8:d822" }, false, 0],
    ["IPv4-mapped IPv6 outside", { ip: "::ffff:203.0.113.7" }, true, 1],
    ["NAT64 address is IPv6, not the IPv4 range", { ip: "64:ff9b::93.184.216.34" }, true, 1],
    ["no ip", {}, true, 1],
    ["no ip, with country", { country: "US" }, true, 1],
  ])("(b) %s", (_name, viewer, allowed, ruleIndex) => {
    const decision = evaluateAccess(blockRange, viewer);
    expect(decision).toEqual({ allowed, ruleIndex, rule: blockRange[ruleIndex] });
  });

  it("an IPv4-only range never matches an IPv6 viewer", () => {
    const rules: AccessRule[] = [{ type: "ip.src", action: "block", ip: ["0.0.0.0/0"] }];
    expect(evaluateAccess(rules, { ip: "2001:db8::1" })).toEqual({ allowed: true });
    expect(evaluateAccess(rules, { ip: "192.0.2.1" })).toEqual({
      allowed: false,
      ruleIndex: 0,
      rule: rules[0],
    });
  });

  it("an IPv6 mapped range does not match a viewer normalised to IPv4", () => {
    const rules: AccessRule[] = [{ type: "ip.src", action: "block", ip: ["::ffff:0:0/96"] }];
    expect(evaluateAccess(rules, { ip: "::ffff:192.0.2.1" })).toEqual({ allowed: true });
  });
});

describe("evaluateAccess: ordering and defaults", () => {
  it("allows everyone when there are no rules, without ruleIndex or rule keys", () => {
    const decision = evaluateAccess([], { ip: "192.0.2.1", country: "FR" });
    expect(decision).toEqual({ allowed: true });
    expect(Object.keys(decision)).toEqual(["allowed"]);
  });

  it("allows when no rule matches", () => {
    const rules: AccessRule[] = [{ type: "ip.geoip.country", action: "block", country: ["RU"] }];
    const decision = evaluateAccess(rules, { country: "FR" });
    expect(Object.keys(decision)).toEqual(["allowed"]);
    expect(decision.allowed).toBe(true);
  });

  it("never reaches a rule after 'any'", () => {
    const rules: AccessRule[] = [
      { type: "any", action: "block" },
      { type: "ip.geoip.country", action: "allow", country: ["US"] },
    ];
    expect(evaluateAccess(rules, { country: "US" })).toEqual({
      allowed: false,
      ruleIndex: 0,
      rule: rules[0],
    });
  });

  it("the first matching rule wins over later ones", () => {
    const rules: AccessRule[] = [
      { type: "ip.src", action: "allow", ip: ["10.0.0.0/8"] },
      { type: "ip.geoip.country", action: "block", country: ["US"] },
      { type: "any", action: "allow" },
    ];
    expect(evaluateAccess(rules, { ip: "10.1.2.3", country: "US" }).ruleIndex).toBe(0);
    expect(evaluateAccess(rules, { ip: "11.1.2.3", country: "US" })).toEqual({
      allowed: false,
      ruleIndex: 1,
      rule: rules[1],
    });
    expect(evaluateAccess(rules, { ip: "11.1.2.3", country: "CA" }).ruleIndex).toBe(2);
  });
});

describe("evaluateAccess: invalid input", () => {
  it("rejects an invalid viewer.ip, naming viewer.ip", () => {
    const err = thrown(() => evaluateAccess([any("allow")] as AccessRule[], { ip: "10.0.0.300" }));
    expect(err.code).toBe("ERR_RULE_IP");
    expect(err.message).toContain("viewer.ip");
  });

  it("rejects a viewer.ip with a zone id", () => {
    const err = thrown(() => evaluateAccess([], { ip: "fe80::1%eth0" }));
    expect(err.code).toBe("ERR_RULE_IP");
    expect(err.message).toContain("viewer.ip");
  });

  it("validates rules from plain JavaScript", () => {
    const rules = [{ type: "ip.src", action: "block", ip: ["nope"] }] as unknown as AccessRule[];
    const err = thrown(() => evaluateAccess(rules, { ip: "192.0.2.1" }));
    expect(err.code).toBe("ERR_RULE_IP");
    expect(err.message).toContain("accessRules[0].ip[0]");
  });

  it("rejects more than five rules", () => {
    const rules = new Array(6).fill({ type: "any", action: "allow" }) as AccessRule[];
    expect(thrown(() => evaluateAccess(rules, {})).code).toBe("ERR_RULES_TOO_MANY");
  });
});
