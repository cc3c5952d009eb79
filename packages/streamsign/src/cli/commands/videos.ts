import { checkVideoArg, parseCommandArgs, takePositionals } from "../args.js";
import { API_HELP, apiConfig, setRequireSignedUrls } from "../cloudflare-api.js";
import { CliError, jsonText, type Streams } from "../io.js";

export const HELP = `Usage: streamsign videos require-signed <videoId> [--off] [options]

Turns signed URLs on (or, with --off, off) for one video:
POST /accounts/{account}/stream/{videoId} with { "uid": …, "requireSignedURLs": true }.
Once on, the video plays only through signed tokens: this is the first step.

Options:
  --off                    stop requiring signed URLs (requireSignedURLs: false)
  --json                   print Cloudflare's result (the video object)

${API_HELP}

Exit codes: 0 done, 1 the API call failed, 2 usage error.

Examples:
  streamsign videos require-signed 5d5bc37ffcf54c9b82e996823bffbb81
  streamsign videos require-signed 5d5bc37ffcf54c9b82e996823bffbb81 --off
`;

export async function run(args: string[], io: Streams): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "require-signed") {
    throw new CliError(
      sub === undefined
        ? "videos needs a subcommand: require-signed <videoId> (run `streamsign videos --help`)."
        : `videos: unknown subcommand ${/^[\w-]{1,20}$/.test(sub) ? `"${sub}"` : ""}: use require-signed.`,
    );
  }
  const { values, positionals } = parseCommandArgs("videos require-signed", {
    args: rest,
    options: {
      account: { type: "string" },
      off: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const [videoArg] = takePositionals(positionals, "videos require-signed", ["videoId"]);
  const videoId = checkVideoArg(videoArg!, "<videoId>");
  const required = values.off !== true;
  const result = await setRequireSignedUrls(apiConfig(values.account, io.env), videoId, required);
  if (values.json) {
    io.stdout.write(`${jsonText(result ?? null, 2)}\n`);
    return 0;
  }
  const reported = (result as { requireSignedURLs?: unknown } | null)?.requireSignedURLs;
  const state =
    typeof reported === "boolean" && reported !== required
      ? ` (but Cloudflare reports requireSignedURLs: ${reported})`
      : "";
  io.stdout.write(
    required
      ? `Video ${videoId} now requires signed URLs${state}: play it with \`streamsign sign ${videoId} --url hls\`.\n`
      : `Video ${videoId} no longer requires signed URLs${state}: its plain uid URLs play for anyone.\n`,
  );
  return 0;
}
