// StreamTokenError, isStreamTokenError, and the README's error-code table.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { StreamTokenErrorCode } from "../src/index.js";
import { createSigner, isStreamTokenError, StreamTokenError } from "../src/index.js";
import { readFixture } from "./fixtures.js";

const errorsSource = readFileSync(
  fileURLToPath(new URL("../src/errors.ts", import.meta.url)),
  "utf8",
);
/** Every code of the StreamTokenErrorCode union, read from the source text. */
const codes = [...new Set([...errorsSource.matchAll(/"(ERR_[A-Z0-9_]+)"/g)].map((m) => m[1]!))];

const rootReadme = fileURLToPath(new URL("../../../README.md", import.meta.url));
const packageReadme = fileURLToPath(new URL("../README.md", import.meta.url));
/** The README that documents the codes: the repository's, or else the package's. */
const readmePath = [rootReadme, packageReadme].find((path) => existsSync(path));

describe("error codes", () => {
  it("errors.ts declares the codes (the parse above found them)", () => {
    expect(codes.length).toBeGreaterThanOrEqual(20);
    expect(codes).toContain("ERR_TOKEN_MALFORMED");
    expect(codes).toContain("ERR_URL_OPTIONS");
  });

  it.skipIf(readmePath === undefined)(
    "every ERR_* code appears in a row of the README's error table (skipped until README.md exists)",
    () => {
      const readme = readFileSync(readmePath!, "utf8");
      // The library's table lives under "## Error codes"; the service documents its own codes elsewhere.
      const section = readme.split(/^## /m).find((part) => part.startsWith("Error codes"));
      expect(section, 'README has an "## Error codes" section').toBeDefined();
      const tableRows = section!.split("\n").filter((line) => /^\s*\|/.test(line));
      const documented = new Set(tableRows.flatMap((row) => row.match(/ERR_[A-Z0-9_]+/g) ?? []));
      const missing = codes.filter((code) => !documented.has(code));
      expect(missing, `codes missing from ${readmePath}'s error table`).toEqual([]);
      const unknown = [...documented].filter((code) => !codes.includes(code));
      expect(unknown, "codes in the README that errors.ts does not declare").toEqual([]);
    },
  );
});

describe("StreamTokenError", () => {
  it("has name, code, message and cause, and is an Error", () => {
    const cause = new Error("low-level");
    const error = new StreamTokenError("ERR_KEY_INVALID", "key is damaged.", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(StreamTokenError);
    expect(error.name).toBe("StreamTokenError");
    expect(error.code).toBe("ERR_KEY_INVALID");
    expect(error.message).toBe("key is damaged.");
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe("StreamTokenError: key is damaged.");
    expect(error.stack).toContain("StreamTokenError");
  });

  it("has no cause when none is given", () => {
    const error = new StreamTokenError("ERR_VIDEO_ID", "bad id.");
    expect("cause" in error).toBe(false);
    expect(error.cause).toBeUndefined();
  });

  it("keeps the low-level error as cause when the library wraps one", async () => {
    const error = await createSigner({
      key: readFixture("keys/damaged.pkcs1.pem"),
      keyId: "8f926b2b01f383510284a5a1d7a1c1ac",
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamTokenError);
    expect((error as StreamTokenError).code).toBe("ERR_KEY_INVALID");
    expect((error as StreamTokenError).cause).toBeInstanceOf(Error);
  });
});

describe("isStreamTokenError", () => {
  const error = new StreamTokenError("ERR_TOKEN_EXPIRED", "token expired.");

  it("is true for a StreamTokenError, with or without a matching code", () => {
    expect(isStreamTokenError(error)).toBe(true);
    expect(isStreamTokenError(error, "ERR_TOKEN_EXPIRED")).toBe(true);
  });

  it("is false when the code differs", () => {
    expect(isStreamTokenError(error, "ERR_TOKEN_SIGNATURE")).toBe(false);
  });

  it("recognises an error from another copy of the library (same name, ERR_ code)", () => {
    class StreamTokenErrorCopy extends Error {
      override readonly name = "StreamTokenError";
      readonly code = "ERR_TOKEN_EXPIRED";
    }
    const copy = new StreamTokenErrorCopy("from a second bundle");
    expect(copy).not.toBeInstanceOf(StreamTokenError);
    expect(isStreamTokenError(copy)).toBe(true);
    expect(isStreamTokenError(copy, "ERR_TOKEN_EXPIRED")).toBe(true);
    expect(isStreamTokenError(copy, "ERR_KEY_SIZE" as StreamTokenErrorCode)).toBe(false);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "ERR_TOKEN_EXPIRED"],
    ["a plain Error", new Error("x")],
    ["a TypeError", new TypeError("x")],
    [
      "a look-alike plain object",
      { name: "StreamTokenError", code: "ERR_TOKEN_EXPIRED", message: "x" },
    ],
    [
      "an Error named StreamTokenError without a code",
      Object.assign(new Error("x"), { name: "StreamTokenError" }),
    ],
    [
      "an Error named StreamTokenError with a non-ERR_ code",
      Object.assign(new Error("x"), { name: "StreamTokenError", code: "ENOENT" }),
    ],
    [
      "an Error with an ERR_ code but another name",
      Object.assign(new Error("x"), { code: "ERR_TOKEN_EXPIRED" }),
    ],
  ])("is false for %s", (_, value) => {
    expect(isStreamTokenError(value)).toBe(false);
  });
});
