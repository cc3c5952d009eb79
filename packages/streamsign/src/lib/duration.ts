const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses "30s", "15m", "2h", "1d", "90" (seconds) or a number of seconds into whole
 * seconds. Returns null for anything else, including zero, negatives and fractions
 * of a second, so the caller can name the field in its own error.
 *
 * @example
 * ```ts
 * parseDuration("15m"); // 900
 * parseDuration("2 weeks"); // null
 * ```
 */
export function parseDuration(value: unknown): number | null {
  let seconds: number;
  if (typeof value === "number") {
    seconds = value;
  } else if (typeof value === "string") {
    // Trim first and keep the pattern free of adjacent optional runs: a regex like
    // /\s*\d+\s*[smhd]?\s*$/ backtracks quadratically on "1" + many spaces.
    const text = value.trim();
    if (text.length > 24) return null;
    const match = /^(\d+(?:\.\d+)?)([smhd])?$/.exec(text);
    if (!match) return null;
    seconds = Number(match[1]) * UNIT_SECONDS[match[2] ?? "s"]!;
  } else {
    return null;
  }
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  // "1.5h" is fine; "0.5s" is not a whole second, and Cloudflare's claims are integers.
  const rounded = Math.round(seconds);
  return Math.abs(rounded - seconds) < 1e-9 ? rounded : null;
}
