import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { decodeToken } from "../../decode.js";
import { createSigner, type Signer, signerFromEnv } from "../../sign.js";
import { streamUrls } from "../../urls.js";
import { createVerifier } from "../../verify.js";
import { parseCommandArgs, takePositionals } from "../args.js";
import { painter, relativeTime, type Streams } from "../io.js";

/** A made-up video uid: the demo signs offline, so any 32-hex uid shows the mechanics. */
export const SAMPLE_VIDEO_ID = "5d5bc37ffcf54c9b82e996823bffbb81";
/** Cloudflare's docs use this customer code in their examples. */
export const SAMPLE_CUSTOMER_CODE = "f33zs165nr7gyfy4";

export const HELP = `Usage: streamsign demo [--video <uid>] [--customer-code <code>] [--json]

Signs one token and shows everything about it: the token, its playback URLs, the
decoded claims, and a verification against the key's public half.

With STREAM_KEY and STREAM_KEY_ID set (Cloudflare's \`pem\` or \`jwk\` field and
the key's \`id\`), it uses your key. Without them it makes a throw-away RSA-2048
key, and says so: tokens from that key will not play on Cloudflare.

Options:
  --video <uid>            video uid to sign for (default: a sample uid, or STREAM_VIDEO_ID)
  --customer-code <code>   for the URLs (default: STREAM_CUSTOMER_CODE, else a sample code)
  --json                   machine-readable output

Examples:
  npm start
  STREAM_KEY_ID=… STREAM_KEY=… streamsign demo --video 5d5bc37ffcf54c9b82e996823bffbb81
`;

const generateKeyPairAsync = promisify(generateKeyPair);

async function throwAwaySigner(): Promise<Signer> {
  const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
  // The throw-away key never leaves this process; any 32-hex id will do.
  const keyId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
  return createSigner({ key: privateKey, keyId });
}

export async function run(args: string[], io: Streams): Promise<number> {
  const { values, positionals } = parseCommandArgs("demo", {
    args,
    options: {
      video: { type: "string" },
      "customer-code": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  takePositionals(positionals, "demo", []);
  const paint = painter(io.stdout, io.env);
  const hasKey = Boolean(io.env.STREAM_KEY?.trim() || io.env.CSTREAM_PEM?.trim());
  const signer = hasKey ? await signerFromEnv(io.env) : await throwAwaySigner();
  const videoId = values.video ?? io.env.STREAM_VIDEO_ID ?? SAMPLE_VIDEO_ID;
  const customerCode =
    values["customer-code"] ?? io.env.STREAM_CUSTOMER_CODE ?? SAMPLE_CUSTOMER_CODE;

  const { token, claims, expiresAt } = await signer.signWithClaims(videoId, { expiresIn: "1h" });
  const urls = streamUrls(token, { customerCode });
  const decoded = decodeToken(token);
  const verifier = await createVerifier({ key: signer.publicJwk ?? "" });
  let verification: string;
  try {
    await verifier.verify(token, { videoId });
    verification = "valid";
  } catch (error) {
    verification = `INVALID: ${error instanceof Error ? error.message : "unknown"}`;
  }

  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          key: hasKey ? "environment" : "throw-away",
          token,
          expiresAt: expiresAt.toISOString(),
          header: decoded.header,
          claims,
          urls: {
            iframe: urls.iframe,
            hls: urls.hls,
            dash: urls.dash,
            thumbnail: urls.thumbnail(),
          },
          verification,
        },
        null,
        2,
      )}\n`,
    );
    return verification === "valid" ? 0 : 1;
  }

  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  if (hasKey) {
    out.push(paint.green(`Using your key ${signer.keyId} from the environment.`));
  } else {
    out.push(
      paint.yellow(
        paint.bold("No STREAM_KEY set: signing with a THROW-AWAY RSA-2048 key made just now."),
      ),
      paint.yellow(
        "Its tokens show how signing works but will NOT play on Cloudflare. To use your key:",
      ),
      paint.yellow(
        "  export STREAM_KEY_ID=<id> STREAM_KEY=<pem or jwk field>   (from `streamsign keys create`)",
      ),
    );
  }
  out.push(
    "",
    paint.bold("Token") +
      paint.dim(`  (video ${videoId}, expires ${relativeTime(claims.exp, now)})`),
    token,
    "",
  );
  out.push(
    paint.bold("URLs") +
      paint.dim(
        customerCode === SAMPLE_CUSTOMER_CODE
          ? "  (sample customer code; set STREAM_CUSTOMER_CODE)"
          : "",
      ),
  );
  out.push(
    `  iframe     ${urls.iframe}`,
    `  HLS        ${urls.hls}`,
    `  DASH       ${urls.dash}`,
    `  thumbnail  ${urls.thumbnail()}`,
    "",
  );
  out.push(paint.bold("Header"), `  ${JSON.stringify(decoded.header)}`, "", paint.bold("Claims"));
  out.push(
    `  sub  ${claims.sub}`,
    `  kid  ${claims.kid}`,
    `  exp  ${claims.exp}  (${expiresAt.toISOString()}, ${relativeTime(claims.exp, now)})`,
    "",
  );
  out.push(
    paint.bold("Verification") +
      "  " +
      (verification === "valid"
        ? paint.green("✓ valid: RS256 signature checks out with the key's public half")
        : paint.red(verification)),
  );
  io.stdout.write(`${out.join("\n")}\n`);
  return verification === "valid" ? 0 : 1;
}
