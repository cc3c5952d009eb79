// Just enough DER to (1) check an RSA key's structure and size before any crypto
// library sees it, so every runtime reports the same clean error, and (2) wrap
// Cloudflare's PKCS#1 key into the PKCS#8 envelope that WebCrypto insists on.
// Specs: RFC 8017 appendix A.1 (RSAPrivateKey, RSAPublicKey), RFC 5208 (PKCS#8),
// RFC 5280 §4.1 (SubjectPublicKeyInfo).

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;

/** 1.2.840.113549.1.1.1 rsaEncryption */
const OID_RSA_ENCRYPTION = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
/** 1.2.840.113549.1.1.10 RSASSA-PSS: an RSA key, but one that may not sign PKCS#1 v1.5. */
const OID_RSA_PSS = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a);
const KNOWN_OIDS: ReadonlyArray<readonly [Uint8Array, string]> = [
  [Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01), "EC"],
  [Uint8Array.of(0x2b, 0x65, 0x70), "Ed25519"],
  [Uint8Array.of(0x2b, 0x65, 0x71), "Ed448"],
  [Uint8Array.of(0x2b, 0x65, 0x6e), "X25519"],
  [Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01), "DSA"],
  [OID_RSA_PSS, "RSA-PSS"],
];

export class DerError extends Error {}

interface Node {
  tag: number;
  /** first content byte */
  start: number;
  /** one past the last content byte */
  end: number;
}

function readNode(der: Uint8Array, offset: number, limit: number): Node {
  if (offset + 2 > limit) throw new DerError("truncated");
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError("unsupported length");
    if (start + count > limit) throw new DerError("truncated");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
    if (length < 0x80) throw new DerError("non-minimal length");
  }
  const end = start + length;
  if (end > limit) throw new DerError("truncated");
  return { tag, start, end };
}

function children(der: Uint8Array, parent: Node): Node[] {
  const out: Node[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const node = readNode(der, offset, parent.end);
    out.push(node);
    offset = node.end;
  }
  return out;
}

function expect(node: Node | undefined, tag: number, what: string): Node {
  if (node === undefined || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

function readTop(der: Uint8Array): Node {
  const top = readNode(der, 0, der.length);
  if (top.tag !== TAG_SEQUENCE) throw new DerError("expected SEQUENCE");
  if (top.end !== der.length) throw new DerError("trailing bytes");
  return top;
}

/** The unsigned big-endian value of an INTEGER, without DER's sign byte. */
function unsignedInteger(der: Uint8Array, node: Node): Uint8Array {
  if (node.end === node.start) throw new DerError("empty INTEGER");
  if (der[node.start]! & 0x80) throw new DerError("negative INTEGER");
  let start = node.start;
  while (start < node.end - 1 && der[start] === 0) start++;
  return der.subarray(start, node.end);
}

function bitLength(magnitude: Uint8Array): number {
  const first = magnitude[0] ?? 0;
  if (first === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(first));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface RsaPublicNumbers {
  /** modulus, unsigned big-endian */
  n: Uint8Array;
  /** public exponent, unsigned big-endian */
  e: Uint8Array;
  modulusBits: number;
}

export interface RsaPrivateDer extends RsaPublicNumbers {
  /** PKCS#8 PrivateKeyInfo DER, wrapping the key if it came as PKCS#1 */
  pkcs8: Uint8Array;
}

export interface RsaPublicDer extends RsaPublicNumbers {
  /** SubjectPublicKeyInfo DER, wrapping the key if it came as PKCS#1 */
  spki: Uint8Array;
}

/** What algorithm an AlgorithmIdentifier names: "RSA", another family's name, or "unknown". */
function algorithmName(der: Uint8Array, algId: Node): string {
  const oid = expect(children(der, algId)[0], TAG_OID, "OID");
  const bytes = der.subarray(oid.start, oid.end);
  if (equalBytes(bytes, OID_RSA_ENCRYPTION)) return "RSA";
  for (const [known, name] of KNOWN_OIDS) if (equalBytes(bytes, known)) return name;
  return "unknown";
}

/** Parses PKCS#1 RSAPrivateKey (two-prime). Throws DerError. */
export function parsePkcs1Private(der: Uint8Array): RsaPublicNumbers {
  const top = readTop(der);
  const fields = children(der, top);
  // version, n, e, d, p, q, dp, dq, qi; version 1 (multi-prime) adds otherPrimeInfos.
  if (fields.length !== 9) throw new DerError("expected 9 INTEGERs in RSAPrivateKey");
  for (const field of fields) expect(field, TAG_INTEGER, "INTEGER");
  const version = unsignedInteger(der, fields[0]!);
  if (version.length !== 1 || version[0] !== 0)
    throw new DerError("unsupported RSAPrivateKey version");
  for (const field of fields.slice(1)) {
    if (bitLength(unsignedInteger(der, field)) === 0) throw new DerError("zero RSA parameter");
  }
  const n = unsignedInteger(der, fields[1]!);
  const e = unsignedInteger(der, fields[2]!);
  return { n, e, modulusBits: bitLength(n) };
}

/** Parses PKCS#1 RSAPublicKey. Throws DerError. */
export function parsePkcs1Public(der: Uint8Array): RsaPublicNumbers {
  const top = readTop(der);
  const fields = children(der, top);
  if (fields.length !== 2) throw new DerError("expected 2 INTEGERs in RSAPublicKey");
  const n = unsignedInteger(der, expect(fields[0], TAG_INTEGER, "INTEGER"));
  const e = unsignedInteger(der, expect(fields[1], TAG_INTEGER, "INTEGER"));
  if (bitLength(e) === 0) throw new DerError("zero exponent");
  return { n, e, modulusBits: bitLength(n) };
}

export type KeyAlgorithmResult<T> = { algorithm: "RSA"; key: T } | { algorithm: string };

/** Parses PKCS#8 PrivateKeyInfo; for RSA also checks the inner PKCS#1 key. Throws DerError. */
export function parsePkcs8(der: Uint8Array): KeyAlgorithmResult<RsaPrivateDer> {
  const top = readTop(der);
  const [version, algId, privateKey] = children(der, top);
  expect(version, TAG_INTEGER, "version");
  const algorithm = algorithmName(der, expect(algId, TAG_SEQUENCE, "AlgorithmIdentifier"));
  if (algorithm !== "RSA") return { algorithm };
  const inner = expect(privateKey, TAG_OCTET_STRING, "OCTET STRING");
  const numbers = parsePkcs1Private(der.subarray(inner.start, inner.end));
  return { algorithm, key: { ...numbers, pkcs8: der } };
}

/** Parses SubjectPublicKeyInfo; for RSA also checks the inner PKCS#1 key. Throws DerError. */
export function parseSpki(der: Uint8Array): KeyAlgorithmResult<RsaPublicDer> {
  const top = readTop(der);
  const [algId, bits] = children(der, top);
  const algorithm = algorithmName(der, expect(algId, TAG_SEQUENCE, "AlgorithmIdentifier"));
  if (algorithm !== "RSA") return { algorithm };
  const bitString = expect(bits, TAG_BIT_STRING, "BIT STRING");
  if (der[bitString.start] !== 0) throw new DerError("BIT STRING with unused bits");
  const numbers = parsePkcs1Public(der.subarray(bitString.start + 1, bitString.end));
  return { algorithm, key: { ...numbers, spki: der } };
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function encodeNode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const head = [tag, ...encodeLength(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let offset = head.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function rsaAlgorithmIdentifier(): Uint8Array {
  return encodeNode(TAG_SEQUENCE, encodeNode(TAG_OID, OID_RSA_ENCRYPTION), encodeNode(TAG_NULL));
}

/** Wraps a PKCS#1 RSAPrivateKey into a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption). */
export function wrapPkcs1PrivateInPkcs8(pkcs1: Uint8Array): Uint8Array {
  return encodeNode(
    TAG_SEQUENCE,
    encodeNode(TAG_INTEGER, Uint8Array.of(0)),
    rsaAlgorithmIdentifier(),
    encodeNode(TAG_OCTET_STRING, pkcs1),
  );
}

/** Wraps a PKCS#1 RSAPublicKey into a SubjectPublicKeyInfo. */
export function wrapPkcs1PublicInSpki(pkcs1: Uint8Array): Uint8Array {
  const withUnusedBits = new Uint8Array(pkcs1.length + 1);
  withUnusedBits.set(pkcs1, 1);
  return encodeNode(
    TAG_SEQUENCE,
    rsaAlgorithmIdentifier(),
    encodeNode(TAG_BIT_STRING, withUnusedBits),
  );
}
