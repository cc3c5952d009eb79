import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; `#backend` resolves to src/backend/node.ts.
    conditions: ["@streamsign/source"],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
