import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ParsedIp } from "../src/lib/ip.js";
import { cidrContains, formatIp, networkOf, parseCidr, parseIp, viewerIp } from "../src/lib/ip.js";

const must = <T>(value: T | null): T => {
  if (value === null) throw new Error("expected a parse result");
  return value;
};

const v4 = (...bytes: number[]): ParsedIp => ({ family: 4, bytes: Uint8Array.from(bytes) });
const v6 = (...bytes: number[]): ParsedIp => ({ family: 6, bytes: Uint8Array.from(bytes) });

describe("parseIp: IPv4", () => {
  it.each([
    ["0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["93.184.216.34", [93, 184, 216, 34]],
    ["10.0.0.1", [10, 0, 0, 1]],
    ["1.20.100.200", [1, 20, 100, 200]],
  ])("%s", (text, bytes) => {
    expect(parseIp(text)).toEqual(v4(...bytes));
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "10.0.0.300",
    "010.0.0.1",
    "1.02.3.4",
    "00.0.0.0",
    "1..2.3",
    "1.2.3.",
    ".1.2.3",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "+1.2.3.4",
    "-1.2.3.4",
    "1.2.3.0x4",
    "1.2.3.4e0",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4/32",
    "a.b.c.d",
    "1.2.3.٣", // Arabic-Indic digit
  ])("rejects %j", (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe("parseIp: IPv6", () => {
  const z = (n: number) => new Array<number>(n).fill(0);
  it.each<[string, number[]]>([
    ["::", z(16)],
    ["::1", [...z(15), 1]],
    ["1::", [0, 1, ...z(14)]],
    ["2001:db8::1", [0x20, 0x01, 0x0d, 0xb8, ...z(11), 1]],
    ["2001:DB8::A", [0x20, 0x01, 0x0d, 0xb8, ...z(11), 0x0a]],
    [
      "2001:0db8:0000:0000:0000:ff00:0042:8329",
      [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29],
    ],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["1:2:3:4:5:6:7::", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
    ["::2:3:4:5:6:7:8", [0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["2400:cb00::", [0x24, 0x00, 0xcb, 0x00, ...z(12)]],
    ["::ffff:1.2.3.4", [...z(10), 0xff, 0xff, 1, 2, 3, 4]],
    ["::ffff:c000:0201", [...z(10), 0xff, 0xff, 0xc0, 0x00, 0x02, 0x01]],
    ["64:ff9b::1.2.3.4", [0, 0x64, 0xff, 0x9b, ...z(8), 1, 2, 3, 4]],
    ["::1.2.3.4", [...z(12), 1, 2, 3, 4]],
    ["1:2:3:4:5:6:1.2.3.4", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]],
    ["fe80::1:2.3.4.5", [0xfe, 0x80, ...z(8), 0, 1, 2, 3, 4, 5]],
  ])("%s", (text, bytes) => {
    expect(parseIp(text)).toEqual(v6(...bytes));
  });

  it.each([
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    ":1::",
    "::1:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4::5:6:7:8",
    "12345::",
    "g::1",
    "fe80::1%eth0",
    "fe80::1%25eth0",
    "[::1]",
    "[2001:db8::1]:443",
    " ::1",
    "::1 ",
    "::ffff:1.2.3",
    "::ffff:256.1.2.3",
    "::ffff:01.2.3.4",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::/0",
    "0x1::",
  ])("rejects %j", (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe("parseCidr", () => {
  it.each<[string, 4 | 6, number]>([
    ["93.184.216.0/24", 4, 24],
    ["93.184.216.34/24", 4, 24], // host bits set: accepted
    ["0.0.0.0/0", 4, 0],
    ["10.1.2.3", 4, 32],
    ["10.1.2.3/32", 4, 32],
    ["2400:cb00::/32", 6, 32],
    ["::/0", 6, 0],
    ["::1", 6, 128],
    ["2001:db8::1/128", 6, 128],
    ["::ffff:1.2.3.4/120", 6, 120],
  ])("%s", (text, family, prefix) => {
    const cidr = parseCidr(text);
    expect(cidr?.family).toBe(family);
    expect(cidr?.prefix).toBe(prefix);
  });

  it("keeps the address bytes as written", () => {
    expect(parseCidr("93.184.216.34/24")).toEqual({ ...v4(93, 184, 216, 34), prefix: 24 });
  });

  it.each([
    "",
    "/24",
    "1.2.3.4/",
    "1.2.3.4/33",
    "1.2.3.4/024",
    "1.2.3.4/00",
    "1.2.3.4/+8",
    "1.2.3.4/-1",
    "1.2.3.4/8.0",
    "1.2.3.4/ 8",
    "1.2.3.4/8 ",
    "1.2.3.4/255.255.255.0",
    "1.2.3.4/8/8",
    "::/129",
    "::/1000",
    "2400:cb00::/032",
    "1.2.3/24",
    "10.0.0.300/24",
    "fe80::1%eth0/64",
  ])("rejects %j", (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe("cidrContains", () => {
  it.each<[string, string, boolean]>([
    ["93.184.216.0/24", "93.184.216.0", true],
    ["93.184.216.0/24", "93.184.216.255", true],
    ["93.184.216.0/24", "93.184.217.0", false],
    ["93.184.216.0/24", "93.184.215.255", false],
    ["93.184.216.34/24", "93.184.216.1", true], // host bits masked
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["192.168.1.128/25", "192.168.1.127", false],
    ["192.168.1.128/25", "192.168.1.200", true],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["10.1.2.3", "10.1.2.3", true],
    ["10.1.2.3", "10.1.2.4", false],
    ["2400:cb00::/32", "2400:cb00:1234::1", true],
    ["2400:cb00::/32", "2400:cb01::1", false],
    ["2001:db8::/33", "2001:db8:7fff::1", true],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["::/0", "2001:db8::1", true],
    ["2001:db8::1", "2001:db8::1", true],
    ["2001:db8::1", "2001:db8::2", false],
    // families never cross
    ["0.0.0.0/0", "::1", false],
    ["::/0", "1.2.3.4", false],
    ["::ffff:0:0/96", "1.2.3.4", false],
  ])("%s contains %s: %s", (cidr, ip, expected) => {
    expect(cidrContains(must(parseCidr(cidr)), must(parseIp(ip)))).toBe(expected);
  });
});

describe("viewerIp", () => {
  it.each<[string, ParsedIp]>([
    ["::ffff:192.0.2.1", v4(192, 0, 2, 1)],
    ["::ffff:c000:0201", v4(192, 0, 2, 1)],
    ["::FFFF:C000:201", v4(192, 0, 2, 1)],
    ["0:0:0:0:0:ffff:192.0.2.1", v4(192, 0, 2, 1)],
    ["192.0.2.1", v4(192, 0, 2, 1)],
  ])("normalises %s to IPv4", (text, expected) => {
    expect(viewerIp(text)).toEqual(expected);
  });

  it.each<[string, number[]]>([
    // IPv4-compatible (deprecated) and NAT64 addresses are genuinely IPv6 clients.
    ["::192.0.2.1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]],
    ["64:ff9b::192.0.2.1", [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]],
    ["::fffe:192.0.2.1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 192, 0, 2, 1]],
    ["1::ffff:192.0.2.1", [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]],
  ])("keeps %s as IPv6", (text, bytes) => {
    expect(viewerIp(text)).toEqual(v6(...bytes));
  });

  it("rejects what parseIp rejects", () => {
    expect(viewerIp("::ffff:1.2.3.4%eth0")).toBeNull();
    expect(viewerIp("not an ip")).toBeNull();
  });

  it("parseIp itself does not normalise mapped addresses", () => {
    expect(parseIp("::ffff:192.0.2.1")?.family).toBe(6);
  });
});

describe("formatIp", () => {
  it.each([
    ["93.184.216.34", "93.184.216.34"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // longest run wins
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group is not compressed
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["::ffff:1.2.3.4", "::ffff:102:304"],
    ["fe80::1:2.3.4.5", "fe80::1:203:405"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["0:0:0:0:0:0:0:1", "::1"],
  ])("%s → %s", (text, expected) => {
    expect(formatIp(must(parseIp(text)))).toBe(expected);
  });
});

describe("networkOf", () => {
  it.each<[string, number, string]>([
    ["203.0.113.77", 24, "203.0.113.0/24"],
    ["203.0.113.77", 32, "203.0.113.77/32"],
    ["203.0.113.77", 0, "0.0.0.0/0"],
    ["203.0.113.77", 16, "203.0.0.0/16"],
    ["203.0.113.77", 25, "203.0.113.0/25"],
    ["203.0.113.200", 25, "203.0.113.128/25"],
    ["203.0.113.77", 20, "203.0.112.0/20"],
    ["2001:db8:abcd:1234:5678::1", 64, "2001:db8:abcd:1234::/64"],
    ["2001:db8:abcd:1234:5678::1", 48, "2001:db8:abcd::/48"],
    ["2001:db8:abcd:1234:5678::1", 56, "2001:db8:abcd:1200::/56"],
    ["2001:db8:abcd:1234:5678::1", 128, "2001:db8:abcd:1234:5678::1/128"],
    ["2001:db8::1", 0, "::/0"],
    ["2400:cb00:ffff::1", 31, "2400:cb00::/31"],
  ])("networkOf(%s, %d) = %s", (text, prefix, expected) => {
    expect(networkOf(must(parseIp(text)), prefix)).toBe(expected);
  });

  it.each<[string, number]>([
    ["1.2.3.4", 33],
    ["1.2.3.4", -1],
    ["1.2.3.4", 8.5],
    ["1.2.3.4", Number.NaN],
    ["::1", 129],
  ])("rejects networkOf(%s, %d)", (text, prefix) => {
    expect(() => networkOf(must(parseIp(text)), prefix)).toThrow(
      expect.objectContaining({ code: "ERR_RULE_IP" }),
    );
  });
});

describe("properties", () => {
  const anyIp = fc.oneof(
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes): ParsedIp => ({ family: 4, bytes })),
    // Bias IPv6 towards zero groups so the :: compression paths are exercised.
    fc
      .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
        minLength: 8,
        maxLength: 8,
      })
      .map((words): ParsedIp => {
        const bytes = new Uint8Array(16);
        words.forEach((w, i) => {
          bytes[i * 2] = w >> 8;
          bytes[i * 2 + 1] = w & 0xff;
        });
        return { family: 6, bytes };
      }),
  );

  it("formatIp → parseIp round-trips", () => {
    fc.assert(
      fc.property(anyIp, (ip) => {
        expect(parseIp(formatIp(ip))).toEqual(ip);
      }),
      { numRuns: 2000 },
    );
  });

  it("networkOf(ip, p) is a canonical CIDR that contains ip", () => {
    fc.assert(
      fc.property(anyIp, fc.integer({ min: 0, max: 128 }), (ip, raw) => {
        const prefix = ip.family === 4 ? raw % 33 : raw;
        const text = networkOf(ip, prefix);
        const cidr = must(parseCidr(text));
        expect(cidr.prefix).toBe(prefix);
        expect(cidrContains(cidr, ip)).toBe(true);
        // canonical: formatting the parsed network gives the same text back
        expect(`${formatIp(cidr)}/${cidr.prefix}`).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("an address is inside its own /32 or /128 and nothing else is", () => {
    fc.assert(
      fc.property(anyIp, anyIp, (a, b) => {
        const host = must(parseCidr(formatIp(a)));
        const same = a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);
        expect(cidrContains(host, b)).toBe(same);
      }),
    );
  });
});
