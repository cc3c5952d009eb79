// Writing a private key to disk: mode 0600, never over an existing file unless --force,
// never a truncated file reported as written, never through a symlink.
import { randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { showValue } from "./args.js";
import { CliError, EXIT_FAILED } from "./io.js";

/** A file opened for a key before the key exists, so a bad path fails before any API call. */
export interface PendingKeyFile {
  path: string;
  /**
   * Writes the whole text, fsyncs it and checks its size; throws a CliError (exit 1) on any
   * failure, after removing the partial file (an existing file replaced with --force is left
   * as it was).
   */
  write(text: string): void;
  /** Removes the file again when no key came (only if we created it). */
  abandon(): void;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "error";
}

/** The file ended up shorter (or longer) than the text, without the write reporting an error. */
class SizeMismatch extends Error {
  constructor(
    readonly size: number,
    readonly expected: number,
  ) {
    super(`the file has ${size} of ${expected} bytes`);
  }
}

function whyWriteFailed(error: unknown): string {
  if (error instanceof SizeMismatch) return `only ${error.size} of ${error.expected} bytes written`;
  return errorCode(error);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // best effort: the caller reports the failure that matters
  }
}

/** lstat, or undefined when nothing (not even a dangling symlink) is at `path`. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Opens a new file exclusively (never following a symlink) with mode exactly 0600. */
function createExclusive(path: string): number {
  const fd = openSync(path, "wx", 0o600);
  try {
    // The umask may have narrowed 0600 further or the file system may ignore it; make it exact.
    fchmodSync(fd, 0o600);
  } catch (error) {
    closeSync(fd);
    removeQuietly(path);
    throw error;
  }
  return fd;
}

/**
 * Writes all of `text` to `fd` (writeFileSync loops over short writes), fsyncs, and checks
 * the file's size is the text's byte length. Always closes `fd`.
 */
function writeAllAndClose(fd: number, text: string): void {
  try {
    const expected = Buffer.byteLength(text, "utf8");
    writeFileSync(fd, text, "utf8");
    fsyncSync(fd);
    const size = fstatSync(fd).size;
    if (size !== expected) throw new SizeMismatch(size, expected);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so a rename in it survives a crash; not every platform allows it. */
function syncDirectory(path: string): void {
  try {
    const fd = openSync(path, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/**
 * Prepares `path` for a private key. A new file is created exclusively with mode 0600 now.
 * An existing one (only with `force`) is left untouched: the key goes into a new 0600 temp
 * file in the same directory, created now, which replaces `path` by rename once it is
 * completely written, so a symlink at `path` is replaced, never followed.
 */
export function openKeyFile(path: string, force: boolean, flag = "--out"): PendingKeyFile {
  const shown = showValue(path, 80);
  if (path.trim() === "") throw new CliError(`${flag} needs a file path.`);
  const failed = (error: unknown, after: string): CliError =>
    new CliError(
      `${flag} ${shown}: writing the key failed (${whyWriteFailed(error)}); ${after}.`,
      EXIT_FAILED,
      { cause: error },
    );
  const cannotOpen = (error: unknown): CliError => {
    const code = errorCode(error);
    const why =
      code === "ENOENT"
        ? `its directory ${showValue(dirname(path), 60)} does not exist`
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EEXIST"
            ? "it already exists (pass --force to overwrite)"
            : `it cannot be written (${code})`;
    return new CliError(`${flag} ${shown}: ${why}.`, undefined, { cause: error });
  };

  let existing: Stats | undefined;
  try {
    existing = lstatOrUndefined(path);
  } catch (error) {
    throw cannotOpen(error);
  }
  if (existing !== undefined && !force) {
    throw new CliError(
      `${flag} ${shown} already exists: choose another path, or pass --force to overwrite it.`,
    );
  }
  if (existing?.isDirectory()) {
    throw new CliError(`${flag} ${shown} is a directory: give a file path.`);
  }

  if (existing?.isFile()) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw new CliError(
        `${flag} ${shown}: it cannot be overwritten (permission denied).`,
        undefined,
        { cause: error },
      );
    }
  }
  // With --force the key goes into a new temp file renamed over `path` once complete, so
  // the old file stays intact on failure and a symlink at `path` is replaced, not followed.
  const target =
    existing === undefined
      ? path
      : join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.streamsign-tmp`);
  let fd: number;
  try {
    fd = createExclusive(target);
  } catch (error) {
    throw cannotOpen(error);
  }
  let open = true;
  return {
    path,
    write(text) {
      try {
        open = false;
        writeAllAndClose(fd, text);
        if (target !== path) renameSync(target, path);
      } catch (error) {
        // A truncated key file is worse than none: it looks like a key and is not one.
        removeQuietly(target);
        throw failed(
          error,
          target === path ? "the partial file was removed" : "the existing file was left as it was",
        );
      }
      syncDirectory(dirname(path));
    },
    abandon() {
      if (open) closeSync(fd);
      open = false;
      removeQuietly(target);
    },
  };
}
