// base64url (RFC 4648 §5, no padding) and plain base64, on Web APIs only: the core
// must not touch Buffer, which Workers do not have.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ENCODE: string[] = Array.from(ALPHABET);
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes bytes as unpadded base64url. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ENCODE[v >> 18]! + ENCODE[(v >> 12) & 63]! + ENCODE[(v >> 6) & 63]! + ENCODE[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += ENCODE[v >> 18]! + ENCODE[(v >> 12) & 63]!;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ENCODE[v >> 18]! + ENCODE[(v >> 12) & 63]! + ENCODE[(v >> 6) & 63]!;
  }
  return out;
}

/** Encodes a string's UTF-8 bytes as unpadded base64url. */
export function encodeBase64UrlText(text: string): string {
  return encodeBase64Url(utf8Encoder.encode(text));
}

/**
 * Decodes strict unpadded base64url. Returns null for any character outside the
 * alphabet, for padding, and for a length no encoder produces (4n+1), so that a
 * token with a changed byte cannot decode to the same bytes.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const rest = n - i;
  if (rest === 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    // Non-zero trailing bits would let two different strings decode to the same bytes.
    if ((a | b) < 0 || (b & 15) !== 0) return null;
    out[o++] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    if ((a | b | c) < 0 || (c & 3) !== 0) return null;
    const v = (a << 10) | (b << 4) | (c >> 2);
    out[o++] = v >> 8;
    out[o++] = v & 255;
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? DECODE[code]! : -1;
}

/** Decodes base64url to UTF-8 text; null when either layer is invalid. */
export function decodeBase64UrlText(text: string): string | null {
  const bytes = decodeBase64Url(text);
  if (bytes === null) return null;
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Decodes standard base64 (padding and whitespace allowed); null when invalid. */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return null;
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Decodes standard base64 to UTF-8 text; null when either layer is invalid. */
export function decodeBase64Text(text: string): string | null {
  const bytes = decodeBase64(text);
  if (bytes === null) return null;
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

export { utf8Encoder };
