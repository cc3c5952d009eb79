const encoder = new TextEncoder();

/**
 * SHA-256 of a UTF-8 string, through WebCrypto (Node 20 and Workers both have it).
 *
 * @example
 * ```ts
 * const digest = await sha256("my-api-key"); // 32 bytes
 * ```
 */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * Compares two byte arrays without an early exit: the time taken depends only on the
 * length of `expected`, never on where the first difference is. Callers hash both
 * sides first, so the length is always 32 and reveals nothing either.
 *
 * @example
 * ```ts
 * bytesEqualConstantTime(await sha256(presented), storedDigest);
 * ```
 */
export function bytesEqualConstantTime(actual: Uint8Array, expected: Uint8Array): boolean {
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    // `?? 0` keeps the loop running to the end even when `actual` is shorter.
    difference |= (actual[i] ?? 0) ^ expected[i]!;
  }
  return difference === 0;
}

/**
 * The index of the digest in `digests` equal to `digest`, or -1. Every digest is
 * compared in full, whether or not an earlier one matched, so the answer's timing
 * says nothing about which key (or how much of it) matched.
 *
 * @example
 * ```ts
 * const index = findDigestConstantTime(await sha256(bearer), configuredDigests);
 * ```
 */
export function findDigestConstantTime(digest: Uint8Array, digests: readonly Uint8Array[]): number {
  let found = -1;
  for (let i = 0; i < digests.length; i++) {
    const equal = bytesEqualConstantTime(digest, digests[i]!);
    // Branch-free select: keeps the first match without skipping later comparisons.
    found = equal && found === -1 ? i : found;
  }
  return found;
}

/**
 * Lowercase hex of bytes.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0xab, 0x01])); // "ab01"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}
