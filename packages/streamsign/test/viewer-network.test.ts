import { describe, expect, it } from "vitest";
import { evaluateAccess, StreamTokenError, viewerNetworkRules } from "../src/index.js";

describe("viewerNetworkRules", () => {
  it.each([
    ["203.0.113.77", {}, "203.0.113.0/24"],
    ["::ffff:203.0.113.77", {}, "203.0.113.0/24"],
    ["2001:db8:abcd:12:9f::1", {}, "2001:db8:abcd:12::/64"],
    ["203.0.113.77", { ipv4Prefix: 16 }, "203.0.0.0/16"],
    ["203.0.113.77", { ipv4Prefix: 32 }, "203.0.113.77/32"],
    ["2001:db8:abcd:12:9f::1", { ipv6Prefix: 48 }, "2001:db8:abcd::/48"],
  ])("%s with %j allows %s, then blocks everyone else", (ip, options, network) => {
    expect(viewerNetworkRules(ip, options)).toEqual([
      { type: "ip.src", action: "allow", ip: [network] },
      { type: "any", action: "block" },
    ]);
  });

  it("lets the viewer's neighbours in and the rest of the world out", () => {
    const rules = viewerNetworkRules("203.0.113.77");
    expect(evaluateAccess(rules, { ip: "203.0.113.200" })).toMatchObject({
      allowed: true,
      ruleIndex: 0,
    });
    expect(evaluateAccess(rules, { ip: "203.0.114.1" })).toMatchObject({
      allowed: false,
      ruleIndex: 1,
    });
    expect(evaluateAccess(rules, { ip: "2001:db8::1" })).toMatchObject({
      allowed: false,
      ruleIndex: 1,
    });
  });

  it.each([["not an ip"], ["203.0.113.0/24"], [""], [undefined]])(
    "rejects %j with ERR_RULE_IP",
    (ip) => {
      expect(() => viewerNetworkRules(ip as string)).toThrow(StreamTokenError);
      try {
        viewerNetworkRules(ip as string);
      } catch (error) {
        expect((error as StreamTokenError).code).toBe("ERR_RULE_IP");
      }
    },
  );

  it("rejects a prefix out of range", () => {
    expect(() => viewerNetworkRules("203.0.113.77", { ipv4Prefix: 33 })).toThrow(/prefix/);
  });
});
