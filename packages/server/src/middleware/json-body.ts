import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { HttpError } from "../errors.js";

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "ERR_BODY_TOO_LARGE",
    `the request body is larger than ${limit} bytes.`,
  );
}

function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

/** Reads at most `limit` bytes; null when the body is longer (a lying or absent Content-Length). */
async function readCapped(request: Request, limit: number): Promise<Uint8Array | null> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Accepts only a JSON body of at most `limit` bytes and stores it parsed as
 * `c.get("body")`: 413 when too large (checked from Content-Length first, then
 * while reading), 415 when not `application/json`, 400 when not valid JSON.
 * Parse errors are not echoed: the body might hold anything.
 *
 * @example
 * ```ts
 * app.post("/v1/tokens", jsonBody(64 * 1024), (c) => c.json(c.get("body")));
 * ```
 */
export function jsonBody(limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    if (!isJsonMediaType(c.req.header("content-type"))) {
      throw new HttpError(
        415,
        "ERR_UNSUPPORTED_MEDIA_TYPE",
        "send the body as JSON with Content-Type: application/json.",
      );
    }
    const bytes = await readCapped(c.req.raw, limit);
    if (bytes === null) throw tooLarge(limit);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw new HttpError(400, "ERR_BODY_INVALID", "the request body is not valid JSON.");
    }
    c.set("body", body);
    return next();
  };
}
