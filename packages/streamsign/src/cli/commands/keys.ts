import { KEY_ID_PATTERN } from "../../keys.js";
import { parseCommandArgs, showId, takePositionals } from "../args.js";
import {
  API_HELP,
  apiConfig,
  type CreatedKey,
  createKey,
  listKeys,
  revokeKey,
} from "../cloudflare-api.js";
import { CliError, EXIT_FAILED, jsonText, painter, printable, type Streams } from "../io.js";
import { openKeyFile } from "../key-file.js";

export const HELP = `Usage: streamsign keys <create | list | revoke <id>> [options]

Manages your account's Stream signing keys through the Cloudflare API.

  keys create --out <file>   POST /accounts/{account}/stream/keys: make a key and write
                             Cloudflare's answer { id, pem, jwk, created } to <file>, mode
                             0600. Cloudflare shows the private key only once, so create
                             refuses to run without --out or --print.
      --out <file>           where to write the key (refuses to overwrite without --force)
      --force                replace an existing --out file (kept intact if writing fails)
      --print                also print the key JSON, private key included, to stdout
  keys list                  GET /accounts/{account}/stream/keys: ids and creation times
  keys revoke <id>           DELETE /accounts/{account}/stream/keys/{id}: every token
                             signed with the key stops playing

  --json                     machine-readable output (list, revoke, create without --print)

${API_HELP}

Exit codes: 0 done, 1 the API call failed (Cloudflare's error on stderr, or the API
was unreachable) or writing --out failed (the created key is then printed to stdout
instead: save it), 2 usage error (missing --out, account or token, bad key id).

Examples:
  export CLOUDFLARE_ACCOUNT_ID=… CLOUDFLARE_API_TOKEN=…
  streamsign keys create --out stream-key.json
  streamsign keys list
  streamsign keys revoke 8f926b2b01f383510284a5a1d7a1c1ac
`;

const SUBCOMMANDS = ["create", "list", "revoke"];

export async function run(args: string[], io: Streams): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new CliError(
      sub === undefined
        ? "keys needs a subcommand: create, list or revoke (run `streamsign keys --help`)."
        : `keys: unknown subcommand ${/^[\w-]{1,20}$/.test(sub) ? `"${sub}"` : ""}: use create, list or revoke.`,
    );
  }
  const { values, positionals } = parseCommandArgs(`keys ${sub}`, {
    args: rest,
    options: {
      account: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      print: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  if (sub !== "create") {
    for (const flag of ["out", "force", "print"] as const) {
      if (values[flag] !== undefined)
        throw new CliError(`keys ${sub}: --${flag} belongs to keys create.`);
    }
  }
  const paint = painter(io.stdout, io.env);

  if (sub === "create") {
    takePositionals(positionals, "keys create", []);
    if (values.out === undefined && !values.print) {
      throw new CliError(
        "keys create needs --out <file> (or --print): Cloudflare shows the private key only once, so it must go somewhere.",
      );
    }
    if (values.force && values.out === undefined)
      throw new CliError("keys create: --force only applies with --out.");
    const config = apiConfig(values.account, io.env);
    // Open the file first: a bad path must fail before Cloudflare makes a key we cannot keep.
    const file =
      values.out === undefined ? undefined : openKeyFile(values.out, values.force === true);
    let key: CreatedKey;
    try {
      key = await createKey(config);
    } catch (error) {
      file?.abandon();
      throw error;
    }
    const json = `${jsonText(key, 2)}\n`;
    // The id came from the API: printed, it must not be able to drive the terminal.
    const shownId = printable(String(key.id));
    if (file !== undefined) {
      try {
        file.write(json);
      } catch (error) {
        // The key exists at Cloudflare now; losing it would leave an unusable key behind.
        io.stdout.write(json);
        throw new CliError(
          `${error instanceof Error ? error.message : "writing the key failed"} The key was printed above instead: save it now.`,
          EXIT_FAILED,
          { cause: error },
        );
      }
    }
    if (values.print) {
      io.stdout.write(json);
    } else if (values.json) {
      io.stdout.write(
        `${jsonText({ id: key.id, created: key.created ?? null, out: file?.path ?? null })}\n`,
      );
    } else {
      io.stdout.write(`STREAM_KEY_ID=${shownId}\n`);
    }
    if (file !== undefined) {
      io.stderr.write(
        `Created signing key ${shownId} and wrote it to ${file.path} (mode 0600). Cloudflare will not show its private key again: keep that file safe.\n` +
          `Sign with: streamsign sign <videoId> --key-file ${file.path}\n`,
      );
    }
    return 0;
  }

  if (sub === "list") {
    takePositionals(positionals, "keys list", []);
    const keys = await listKeys(apiConfig(values.account, io.env));
    if (values.json) {
      io.stdout.write(`${jsonText(keys, 2)}\n`);
    } else if (keys.length === 0) {
      io.stdout.write("No signing keys. Create one with `streamsign keys create --out <file>`.\n");
    } else {
      io.stdout.write(`${paint.bold(`${"id".padEnd(32)}  created`)}\n`);
      for (const key of keys) {
        io.stdout.write(
          `${printable(String(key.id).slice(0, 64)).padEnd(32)}  ${printable(String(key.created ?? "").slice(0, 40))}\n`,
        );
      }
    }
    return 0;
  }

  const [id] = takePositionals(positionals, "keys revoke", ["id"]);
  if (!KEY_ID_PATTERN.test(id!)) {
    throw new CliError(
      `keys revoke: <id> is ${showId(id!)}: it must be the 32-hex key id (see \`streamsign keys list\`).`,
    );
  }
  const result = await revokeKey(apiConfig(values.account, io.env), id!.toLowerCase());
  if (values.json) {
    io.stdout.write(`${jsonText({ revoked: id!.toLowerCase(), result })}\n`);
  } else {
    io.stdout.write(
      `Revoked signing key ${id!.toLowerCase()}: tokens signed with it no longer play.\n`,
    );
  }
  return 0;
}
