// How the Node backend schedules signatures. Observed through the event loop, not
// through timings: a synchronous signature never lets a setImmediate callback run,
// a threadpool signature always waits for the loop to turn.
import { describe, expect, it } from "vitest";
import { createSigner } from "../src/index.js";
import { cloudflareKeyResponse, TEST_KID } from "./fixtures.js";

const VIDEO = "5d5bc37ffcf54c9b82e996823bffbb81";

function loopTurned(): () => boolean {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  return () => turned;
}

describe("node backend scheduling", () => {
  it("signs a loop of awaits synchronously, without giving the event loop a turn", async () => {
    const signer = await createSigner({ key: cloudflareKeyResponse.result.pem, keyId: TEST_KID });
    await new Promise((resolve) => setTimeout(resolve, 20)); // idle: no recent signature
    const turned = loopTurned();
    for (let i = 0; i < 5; i++) await signer.sign(VIDEO);
    expect(turned()).toBe(false);
  });

  it("goes back to signing synchronously when a loop of awaits follows overlapping calls", async () => {
    const signer = await createSigner({ key: cloudflareKeyResponse.result.pem, keyId: TEST_KID });
    await Promise.all(Array.from({ length: 8 }, () => signer.sign(VIDEO)));
    // The first call after the batch continues its completion's microtask chain.
    await signer.sign(VIDEO);
    const turned = loopTurned();
    for (let i = 0; i < 5; i++) await signer.sign(VIDEO);
    expect(turned()).toBe(false);
  });

  it("sends calls started together to the threadpool, so the event loop keeps turning", async () => {
    const signer = await createSigner({
      key: cloudflareKeyResponse.result.pem,
      keyId: TEST_KID,
      clock: () => 1_800_000_000_000,
    });
    const turned = loopTurned();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => signer.sign(VIDEO)));
    expect(turned()).toBe(true);
    expect(new Set(tokens).size).toBe(1); // same claims, fixed clock: deterministic RS256
  });
});
