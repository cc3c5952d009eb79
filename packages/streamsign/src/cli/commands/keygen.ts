import { generateKeyPair, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { parseCommandArgs, takePositionals } from "../args.js";
import type { Streams } from "../io.js";
import { openKeyFile } from "../key-file.js";

export const HELP = `Usage: streamsign keygen [--out <file> [--force]]

Makes a LOCAL RSA-2048 signing key in exactly the shape Cloudflare's
POST /stream/keys returns: { id, pem, jwk, created }, where pem is base64 of a
PKCS#1 PEM and jwk is base64 of a JWK with kid, alg "RS256" and use "sig".
For development and tests only: Cloudflare does not know this key, so its tokens
do not play on Cloudflare. Use \`streamsign keys create\` for a real key.

Options:
  --out <file>             write the key JSON there (mode 0600) and print the
                           STREAM_KEY_ID=… and STREAM_KEY=… lines to paste
                           (stdout: those two lines; stderr: a note)
  --force                  replace an existing --out file (the old one stays intact
                           unless the new key is completely written)

Without --out the key JSON is printed to stdout.

The STREAM_KEY= line is the private key: if you append it to a file such as .env,
make that file private first (chmod 600 .env), or skip it and use --key-file.

Exit codes: 0 written, 1 writing the file failed (nothing is left behind),
2 usage error (e.g. --out exists).

Examples:
  streamsign keygen --out dev-key.json
  streamsign sign 5d5bc37ffcf54c9b82e996823bffbb81 --key-file dev-key.json
  touch .env && chmod 600 .env && streamsign keygen --out dev-key.json >> .env
`;

const generateKeyPairAsync = promisify(generateKeyPair);

export interface CloudflareShapedKey {
  id: string;
  pem: string;
  jwk: string;
  created: string;
}

/** An RSA-2048 key as Cloudflare's `POST /stream/keys` result: base64 PKCS#1 PEM and base64 JWK. */
export async function makeCloudflareShapedKey(): Promise<CloudflareShapedKey> {
  const { privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicExponent: 0x10001,
  });
  const id = randomBytes(16).toString("hex");
  const pemText = privateKey.export({ type: "pkcs1", format: "pem" }) as string;
  const exported = privateKey.export({ format: "jwk" }) as Record<string, string>;
  // Cloudflare's field order: use, kty, kid, alg, then the RSA parameters.
  const jwk = {
    use: "sig",
    kty: "RSA",
    kid: id,
    alg: "RS256",
    n: exported.n,
    e: exported.e,
    d: exported.d,
    p: exported.p,
    q: exported.q,
    dp: exported.dp,
    dq: exported.dq,
    qi: exported.qi,
  };
  return {
    id,
    pem: Buffer.from(pemText, "utf8").toString("base64"),
    jwk: Buffer.from(JSON.stringify(jwk), "utf8").toString("base64"),
    created: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("keygen", {
    args,
    options: { out: { type: "string" }, force: { type: "boolean" } },
  });
  takePositionals(positionals, "keygen", []);
  const file =
    values.out === undefined ? undefined : openKeyFile(values.out, values.force === true);
  let key: CloudflareShapedKey;
  try {
    key = await makeCloudflareShapedKey();
  } catch (error) {
    file?.abandon();
    throw error;
  }
  const json = `${JSON.stringify(key, null, 2)}\n`;
  if (file === undefined) {
    io.stdout.write(json);
    return 0;
  }
  file.write(json);
  io.stderr.write(
    `Wrote a LOCAL development key ${key.id} to ${file.path} (mode 0600); its tokens will not play on Cloudflare.\n` +
      `Use it with --key-file ${file.path}, or paste these lines (stdout) into your environment:\n`,
  );
  io.stdout.write(`STREAM_KEY_ID=${key.id}\nSTREAM_KEY=${key.pem}\n`);
  return 0;
}
