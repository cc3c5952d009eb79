import { compactVerify, importSPKI } from "jose";
import { describe, expect, it } from "vitest";
import { createSigner, type SignOptions, StreamTokenError } from "../src/index.js";
import {
  cloudflareKeyResponse,
  readFixture,
  TEST_KID,
  type TokenVector,
  vectors,
} from "./fixtures.js";

const pemField = cloudflareKeyResponse.result.pem;

/** The vector's input as sign options, leaving absent fields absent. */
function optionsOf(
  input: TokenVector["input"],
  expiresIn: number | string | undefined = input.expiresIn,
): SignOptions {
  const options: Record<string, unknown> = {};
  if (expiresIn !== undefined) options.expiresIn = expiresIn;
  else if (input.expiresAt !== undefined) options.expiresAt = input.expiresAt;
  if (input.notBefore !== undefined) options.notBefore = input.notBefore;
  if (input.downloadable !== undefined) options.downloadable = input.downloadable;
  if (input.accessRules !== undefined) options.accessRules = input.accessRules;
  return options as SignOptions;
}

function signerAt(nowSeconds: number) {
  return createSigner({ key: pemField, keyId: TEST_KID, clock: () => nowSeconds * 1000 });
}

describe("known-answer vectors (computed by python + openssl, independently)", () => {
  it.each(vectors.map((vector) => [vector.name, vector] as const))("%s", async (_name, vector) => {
    const signer = await signerAt(vector.input.nowSeconds);
    expect(await signer.sign(vector.input.videoId, optionsOf(vector.input))).toBe(vector.token);
  });

  it.each(
    vectors
      .filter((vector) => vector.input.expiresInText !== undefined)
      .map((vector) => [vector.name, vector] as const),
  )("%s with expiresIn as text", async (_name, vector) => {
    const signer = await signerAt(vector.input.nowSeconds);
    expect(
      await signer.sign(vector.input.videoId, optionsOf(vector.input, vector.input.expiresInText)),
    ).toBe(vector.token);
  });

  it("a clock inside the same second signs the same bytes; a clock one second later does not", async () => {
    const vector = vectors[0]!;
    const sameSecond = await createSigner({
      key: pemField,
      keyId: TEST_KID,
      clock: () => vector.input.nowSeconds * 1000 + 999,
    });
    expect(await sameSecond.sign(vector.input.videoId)).toBe(vector.token);
    const nextSecond = await signerAt(vector.input.nowSeconds + 1);
    expect(await nextSecond.sign(vector.input.videoId)).not.toBe(vector.token);
  });
});

describe("token bytes", () => {
  const minimal = vectors.find((vector) => vector.name === "minimal-default-1h")!;
  const withRules = vectors.find((vector) => (vector.input.accessRules?.length ?? 0) >= 2)!;
  const empty = vectors.find((vector) => vector.name === "empty-access-rules")!;

  it("an option whose value is undefined counts as not given", async () => {
    const signer = await signerAt(minimal.input.nowSeconds);
    const token = await signer.sign(minimal.input.videoId, {
      expiresIn: undefined,
      notBefore: undefined,
      downloadable: undefined,
      accessRules: undefined,
    });
    expect(token).toBe(minimal.token);
  });

  it("keeps an empty accessRules array in the payload", async () => {
    const signer = await signerAt(empty.input.nowSeconds);
    const token = await signer.sign(empty.input.videoId, optionsOf(empty.input));
    expect(token).toBe(empty.token);
    expect(empty.payload).toContain('"accessRules":[]');
  });

  it("writes claims in Cloudflare's order whatever the order of options and rule keys", async () => {
    const signer = await signerAt(withRules.input.nowSeconds);
    const options = optionsOf(withRules.input) as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(options).reverse());
    reversed.accessRules = withRules.input.accessRules!.map((rule) =>
      Object.fromEntries(Object.entries(rule).reverse()),
    );
    expect(await signer.sign(withRules.input.videoId, reversed as SignOptions)).toBe(
      withRules.token,
    );
  });

  it("does not keep a reference to the caller's rules", async () => {
    const signer = await signerAt(withRules.input.nowSeconds);
    const rules = structuredClone(withRules.input.accessRules!);
    const token = await signer.sign(withRules.input.videoId, {
      ...optionsOf(withRules.input),
      accessRules: rules,
    });
    (rules[0] as { action: string }).action = "block";
    expect(token).toBe(withRules.token);
  });

  it("signWithClaims returns the claims and the expiry it signed", async () => {
    const signer = await signerAt(minimal.input.nowSeconds);
    const { token, claims, expiresAt } = await signer.signWithClaims(minimal.input.videoId);
    expect(token).toBe(minimal.token);
    expect(claims).toEqual(JSON.parse(minimal.payload));
    expect(expiresAt.getTime()).toBe((minimal.input.nowSeconds + 3600) * 1000);
  });

  it("verifies with jose, an independent implementation, against the SPKI public key", async () => {
    const signer = await createSigner({ key: pemField, keyId: TEST_KID });
    const token = await signer.sign("ea95132c15732412d22c1476fa83f27a", {
      expiresIn: "5m",
      downloadable: true,
    });
    const publicKey = await importSPKI(readFixture("keys/test-rsa2048.spki.pem"), "RS256");
    const { protectedHeader, payload } = await compactVerify(token, publicKey);
    expect(protectedHeader).toEqual({ alg: "RS256", kid: TEST_KID });
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(Object.keys(claims)).toEqual(["sub", "kid", "exp", "downloadable"]);
    const wrongKey = await importSPKI(readFixture("keys/test-rsa2048-b.spki.pem"), "RS256");
    await expect(compactVerify(token, wrongKey)).rejects.toThrow();
  });

  it("exposes the key id and the public JWK", async () => {
    const signer = await createSigner({ key: pemField, keyId: TEST_KID });
    expect(signer.keyId).toBe(TEST_KID);
    const publicJwk = JSON.parse(readFixture("keys/test-rsa2048.public.jwk.json"));
    expect(signer.publicJwk).toEqual({
      kty: "RSA",
      n: publicJwk.n,
      e: publicJwk.e,
      kid: TEST_KID,
      alg: "RS256",
      use: "sig",
    });
  });

  it("rejects unknown createSigner options with a hint", async () => {
    await expect(createSigner({ key: pemField, kid: TEST_KID } as never)).rejects.toMatchObject({
      code: "ERR_OPTION_UNKNOWN",
      message: expect.stringContaining("keyId"),
    });
  });

  it("a rejected sign is a StreamTokenError, returned as a rejected promise rather than thrown", async () => {
    const signer = await signerAt(minimal.input.nowSeconds);
    const result = signer.sign("nope");
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toBeInstanceOf(StreamTokenError);
  });
});
