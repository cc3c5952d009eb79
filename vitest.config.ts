import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources: the `@streamsign/source` condition makes
// `streamsign` and its `#backend` import resolve to src/ (node.ts on Node), so a
// test never mixes a class from src/ with its copy in dist/.
const conditions = ["@streamsign/source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
