// The Worker that runs streamsign's conformance checks inside real workerd.
// `test/workerd.test.ts` bundles it against the built package (so `#backend` is the
// WebCrypto backend), serves it with keys as text bindings, and compares what it
// answers with the independent vectors and with Node. Web APIs only.
import {
  createSigner,
  decodeToken,
  isStreamTokenError,
  type SignOptions,
  signerFromEnv,
  verifyToken,
} from "streamsign";
import {
  type CreateSignerRequestBody,
  type CreateSignerResponseBody,
  type DecodeRequestBody,
  type ErrorReport,
  type Outcome,
  type RuntimeResponseBody,
  type SignRequestBody,
  type SignResponseBody,
  signOptionsOf,
  type VerifyRequestBody,
  type VerifyResponseBody,
} from "./protocol.js";

/** The Worker's bindings: every one a text binding set by the test. */
type Env = Readonly<Record<string, unknown>>;

function reportError(error: unknown): ErrorReport {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  return {
    name,
    code: typeof code === "string" ? code : undefined,
    message: error instanceof Error ? error.message : String(error),
    isStreamTokenError: isStreamTokenError(error),
  };
}

async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: reportError(error) };
  }
}

function binding(env: Env, name: string): string {
  const value = env[name];
  if (typeof value !== "string") throw new Error(`no text binding named ${name}`);
  return value;
}

async function signAll(env: Env, body: SignRequestBody): Promise<SignResponseBody> {
  const tokens: SignResponseBody["tokens"] = {};
  const textTokens: SignResponseBody["textTokens"] = {};
  const signWith = async (
    key: string,
    input: SignRequestBody["inputs"][number],
    options: SignOptions,
  ) => {
    // One signer per vector: each vector has its own fixed clock.
    const signer = await createSigner({
      key,
      keyId: input.keyId,
      clock: () => input.nowSeconds * 1000,
    });
    return signer.sign(input.videoId, options);
  };
  for (const name of body.keyBindings) {
    const key = binding(env, name);
    tokens[name] = [];
    textTokens[name] = [];
    for (const input of body.inputs) {
      tokens[name].push(await attempt(() => signWith(key, input, signOptionsOf(input, "seconds"))));
      textTokens[name].push(
        input.expiresInText === undefined
          ? null
          : await attempt(() => signWith(key, input, signOptionsOf(input, "text"))),
      );
    }
  }
  const fromEnv: Outcome<string>[] = [];
  for (const input of body.inputs) {
    fromEnv.push(
      await attempt(async () => {
        // How a real Worker signs: its env holds STREAM_KEY and STREAM_KEY_ID.
        const signer = await signerFromEnv(env, { clock: () => input.nowSeconds * 1000 });
        return signer.sign(input.videoId, signOptionsOf(input, "seconds"));
      }),
    );
  }
  return { tokens, textTokens, fromEnv };
}

async function verifyAll(env: Env, body: VerifyRequestBody): Promise<VerifyResponseBody> {
  const key = binding(env, body.keyBinding);
  const now = new Date(body.nowSeconds * 1000);
  const outcomes: VerifyResponseBody = {};
  for (const [name, token] of Object.entries(body.tokens)) {
    outcomes[name] = await attempt(
      async () =>
        ({ ...(await verifyToken(token, { key }, { now, videoId: body.videoId })) }) as Record<
          string,
          unknown
        >,
    );
  }
  return outcomes;
}

async function createSigners(
  env: Env,
  body: CreateSignerRequestBody,
): Promise<CreateSignerResponseBody> {
  const outcomes: CreateSignerResponseBody = {};
  for (const name of body.keyBindings) {
    const key = binding(env, name);
    outcomes[name] = await attempt(
      async () => (await createSigner({ key, keyId: body.keyId })).keyId,
    );
  }
  return outcomes;
}

function runtimeFacts(): RuntimeResponseBody {
  const global = globalThis as {
    process?: unknown;
    Buffer?: unknown;
    navigator?: { userAgent?: string };
  };
  return {
    userAgent: global.navigator?.userAgent ?? "",
    hasProcess: global.process !== undefined,
    hasBuffer: global.Buffer !== undefined,
  };
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    try {
      if (request.method === "GET" && pathname === "/runtime") return json(runtimeFacts());
      if (request.method !== "POST") return json({ error: "not found" }, 404);
      switch (pathname) {
        case "/sign":
          return json(await signAll(env, (await request.json()) as SignRequestBody));
        case "/verify":
          return json(await verifyAll(env, (await request.json()) as VerifyRequestBody));
        case "/create-signer":
          return json(await createSigners(env, (await request.json()) as CreateSignerRequestBody));
        case "/decode": {
          const { token } = (await request.json()) as DecodeRequestBody;
          return json(await attempt(async () => decodeToken(token)));
        }
        default:
          return json({ error: "not found" }, 404);
      }
    } catch (error) {
      // A harness fault (bad request, missing binding), never a library outcome.
      return json({ error: reportError(error) }, 500);
    }
  },
};
