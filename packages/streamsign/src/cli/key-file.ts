// Writing a private key to disk: mode 0600, never over an existing file unless --force.
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { showValue } from "./args.js";
import { CliError, EXIT_FAILED } from "./io.js";

/** A file opened for a key before the key exists, so a bad path fails before any API call. */
export interface PendingKeyFile {
  path: string;
  write(text: string): void;
  /** Removes the file again when no key came (only if we created it). */
  abandon(): void;
}

/**
 * Prepares `path` for a private key: a new file is created exclusively with mode 0600 now;
 * an existing one (only with `force`) is checked now and chmod-ed to 0600 before the key is
 * written, since `writeFile`'s mode is ignored for an existing file.
 */
export function openKeyFile(path: string, force: boolean, flag = "--out"): PendingKeyFile {
  const shown = showValue(path, 80);
  if (path.trim() === "") throw new CliError(`${flag} needs a file path.`);
  const existed = existsSync(path);
  if (existed && !force) {
    throw new CliError(
      `${flag} ${shown} already exists: choose another path, or pass --force to overwrite it.`,
    );
  }
  if (existed && statSync(path).isDirectory()) {
    throw new CliError(`${flag} ${shown} is a directory: give a file path.`);
  }
  if (existed) {
    // --force: keep the old file untouched until the new key is in hand.
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw new CliError(
        `${flag} ${shown}: it cannot be overwritten (permission denied).`,
        undefined,
        {
          cause: error,
        },
      );
    }
    return {
      path,
      write(text) {
        try {
          // Tighten the mode before the key goes in; writeFile's mode is ignored for existing files.
          chmodSync(path, 0o600);
          writeFileSync(path, text, { mode: 0o600 });
          chmodSync(path, 0o600);
        } catch (error) {
          throw new CliError(`${flag} ${shown}: writing the key failed.`, EXIT_FAILED, {
            cause: error,
          });
        }
      },
      abandon() {},
    };
  }
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === "ENOENT"
        ? `its directory ${showValue(dirname(path), 60)} does not exist`
        : code === "EACCES"
          ? "permission denied"
          : code === "EEXIST"
            ? "it already exists (pass --force to overwrite)"
            : `it cannot be written (${typeof code === "string" ? code : "error"})`;
    throw new CliError(`${flag} ${shown}: ${why}.`, undefined, { cause: error });
  }
  try {
    // The umask may have narrowed 0600 further or the file system may ignore it; make it exact.
    chmodSync(path, 0o600);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw new CliError(`${flag} ${shown}: could not set mode 0600 on it.`, undefined, {
      cause: error,
    });
  }
  let open = true;
  return {
    path,
    write(text) {
      try {
        writeSync(fd, text);
      } catch (error) {
        throw new CliError(`${flag} ${shown}: writing the key failed.`, EXIT_FAILED, {
          cause: error,
        });
      } finally {
        closeSync(fd);
        open = false;
      }
    },
    abandon() {
      if (open) closeSync(fd);
      open = false;
      try {
        unlinkSync(path);
      } catch {
        // best effort: an empty file is harmless
      }
    },
  };
}
