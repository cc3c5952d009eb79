import type { ErrorCode } from "./errors.js";

/** Upper bounds (seconds) of the signing-latency histogram: one RSA-2048 signature is ~0.5–2 ms. */
export const SIGN_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
] as const;

/** The service's counters, rendered as Prometheus text by {@link Metrics.render}. */
export interface Metrics {
  /** One token issued with key `kid`. */
  tokenIssued(kid: string): void;
  /** One error answered with `code` (a whole request, or one batch item). */
  error(code: ErrorCode): void;
  /** One HTTP request finished. `route` is the matched pattern, never the raw path. */
  request(method: string, route: string, status: number): void;
  /** Time one signature took. */
  signDuration(seconds: number): void;
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(",")}}`;
}

/**
 * Creates the in-process metrics registry. On Workers each isolate has its own, so
 * numbers there are per isolate; scrape the Node service, or use Workers Analytics.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * metrics.tokenIssued(signer.keyId);
 * metrics.render(); // "# HELP streamsign_tokens_issued_total …"
 * ```
 */
export function createMetrics(): Metrics {
  const tokens = new Map<string, number>();
  const errors = new Map<string, number>();
  const requests = new Map<string, number>();
  const bucketCounts = new Array<number>(SIGN_SECONDS_BUCKETS.length).fill(0);
  let signCount = 0;
  let signSum = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  return {
    tokenIssued: (kid) => bump(tokens, kid),
    error: (code) => bump(errors, code),
    request: (method, route, status) =>
      bump(requests, JSON.stringify([method, route, String(status)])),
    signDuration(seconds) {
      signCount++;
      signSum += seconds;
      SIGN_SECONDS_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) bucketCounts[i]!++;
      });
    },
    render() {
      const lines: string[] = [
        "# HELP streamsign_tokens_issued_total Tokens signed, by key id.",
        "# TYPE streamsign_tokens_issued_total counter",
      ];
      for (const [kid, count] of tokens)
        lines.push(`streamsign_tokens_issued_total${labels({ kid })} ${count}`);
      lines.push(
        "# HELP streamsign_errors_total Error answers, by error code (batch items count one each).",
        "# TYPE streamsign_errors_total counter",
      );
      for (const [code, count] of errors)
        lines.push(`streamsign_errors_total${labels({ code })} ${count}`);
      lines.push(
        "# HELP streamsign_http_requests_total HTTP requests, by method, route and status.",
        "# TYPE streamsign_http_requests_total counter",
      );
      for (const [key, count] of requests) {
        const [method, route, status] = JSON.parse(key) as [string, string, string];
        lines.push(`streamsign_http_requests_total${labels({ method, route, status })} ${count}`);
      }
      lines.push(
        "# HELP streamsign_sign_duration_seconds Time to sign one token.",
        "# TYPE streamsign_sign_duration_seconds histogram",
      );
      SIGN_SECONDS_BUCKETS.forEach((bound, i) => {
        lines.push(
          `streamsign_sign_duration_seconds_bucket${labels({ le: String(bound) })} ${bucketCounts[i]}`,
        );
      });
      lines.push(
        `streamsign_sign_duration_seconds_bucket${labels({ le: "+Inf" })} ${signCount}`,
        `streamsign_sign_duration_seconds_sum ${signSum}`,
        `streamsign_sign_duration_seconds_count ${signCount}`,
      );
      return `${lines.join("\n")}\n`;
    },
  };
}
