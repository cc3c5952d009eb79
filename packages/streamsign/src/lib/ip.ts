/**
 * Internal IP helpers for `ip.src` access rules and viewer-IP binding.
 *
 * Written against Web APIs only (no `node:net`), so the same code runs in Workers, Deno and Bun.
 * Parsing is deliberately strict: a rule that Cloudflare might read differently from us is worse
 * than a rule we reject with a clear message.
 */

import { StreamTokenError } from "../errors.js";

/** An IP address as raw network-order bytes (4 for IPv4, 16 for IPv6). */
export interface ParsedIp {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** A CIDR range. `bytes` may have host bits set; they are ignored when matching. */
export interface ParsedCidr extends ParsedIp {
  prefix: number;
}

// No leading zeros: "010" is octal to inet_aton but decimal to others, so it is ambiguous.
const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;
// Digits only, no sign, no leading zeros: "/08" or "/+8" are typos, not prefixes.
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_OCTET.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

/** Parses one side of a `::` (or a whole uncompressed address) into 16-bit words. */
function parseIpv6Words(text: string, allowIpv4Tail: boolean): number[] | null {
  if (text === "") return [];
  const groups = text.split(":");
  const words: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    // RFC 4291 §2.2: dotted IPv4 may only replace the last 32 bits of the address.
    if (allowIpv4Tail && i === groups.length - 1 && group.includes(".")) {
      const v4 = parseIpv4(group);
      if (v4 === null) return null;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!IPV6_GROUP.test(group)) return null;
    words.push(Number.parseInt(group, 16));
  }
  return words;
}

function parseIpv6(text: string): Uint8Array | null {
  // Zone ids ("%eth0"), brackets and whitespace all fail this character check.
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const gap = text.indexOf("::");
  let words: number[];
  if (gap === -1) {
    const all = parseIpv6Words(text, true);
    if (all === null || all.length !== 8) return null;
    words = all;
  } else {
    if (text.indexOf("::", gap + 1) !== -1) return null;
    const head = parseIpv6Words(text.slice(0, gap), false);
    const tail = parseIpv6Words(text.slice(gap + 2), true);
    if (head === null || tail === null) return null;
    // "::" stands for at least one zero group, so at most 7 explicit groups remain.
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const word = words[i]!;
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  }
  return bytes;
}

/**
 * Parses an IPv4 dotted quad or an IPv6 address in any RFC 4291 text form.
 * Returns null for anything else, including zone ids, brackets and surrounding whitespace.
 */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== "string") return null;
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes === null ? null : { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === null ? null : { family: 4, bytes };
}

/**
 * Parses "addr" (a single host: /32 or /128) or "addr/prefix".
 * Host bits below the prefix are accepted and ignored when matching, as most CIDR tools do.
 */
export function parseCidr(text: string): ParsedCidr | null {
  if (typeof text !== "string") return null;
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const bits = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { ...ip, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bits) return null;
  return { ...ip, prefix };
}

/** True when `ip` lies inside `cidr`. Families never cross: IPv4 ranges never match IPv6 viewers. */
export function cidrContains(cidr: ParsedCidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const whole = cidr.prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (cidr.bytes[i] !== ip.bytes[i]) return false;
  }
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((cidr.bytes[whole]! ^ ip.bytes[whole]!) & mask) === 0;
}

/**
 * Parses the viewer's address. A dual-stack socket reports an IPv4 client as `::ffff:a.b.c.d`;
 * that is still an IPv4 viewer, so it is normalised to IPv4 before matching IPv4 ranges.
 */
export function viewerIp(text: string): ParsedIp | null {
  const ip = parseIp(text);
  if (ip === null || ip.family === 4) return ip;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) {
    if (b[i] !== 0) return ip;
  }
  if (b[10] !== 0xff || b[11] !== 0xff) return ip;
  return { family: 4, bytes: b.slice(12, 16) };
}

/**
 * Formats an address canonically: IPv4 dotted decimal; IPv6 per RFC 5952 (lowercase, no leading
 * zeros, the longest run of two or more zero groups — the first on a tie — as `::`).
 * IPv6 is always written in hex, as the WHATWG URL serializer does, never in mixed dotted form.
 */
export function formatIp(ip: ParsedIp): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);

  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(":");
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/**
 * The network that contains `ip` at `prefix` bits, as canonical CIDR text.
 *
 * @example
 * ```ts
 * networkOf(parseIp("203.0.113.77")!, 24); // "203.0.113.0/24"
 * ```
 */
export function networkOf(ip: ParsedIp, prefix: number): string {
  const bits = ip.family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new StreamTokenError(
      "ERR_RULE_IP",
      `prefix ${String(prefix).slice(0, 40)} is out of range for IPv${ip.family}; use an integer from 0 to ${bits}`,
    );
  }
  const bytes = new Uint8Array(ip.bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    bytes[i] = ip.bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return `${formatIp({ family: ip.family, bytes })}/${prefix}`;
}
