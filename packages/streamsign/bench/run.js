// `npm run bench`: streamsign against its peers and against OpenSSL, interleaved in
// one run, then docs/benchmarks.md. See ../../../docs/benchmarks.md for the output.
//
//   node bench/run.js [--quick] [--no-write] [--rounds N] [--slice MS]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { prepareCases } from "./cases.js";
import { measureCliSign, measureFirstToken, measureWorkerBundle } from "./cold-start.js";
import { describeMachine, loadAverage } from "./machine.js";
import { renderMarkdown, renderText } from "./report.js";
import { evaluateTargets, summarize } from "./summary.js";

const DOC_PATH = fileURLToPath(new URL("../../../docs/benchmarks.md", import.meta.url));

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    rounds: { type: "string" },
    slice: { type: "string" },
  },
});

const options = flags.quick
  ? { rounds: 1, sliceMs: 150, opensslSeconds: 1, coldRuns: 1 }
  : { rounds: 5, sliceMs: 1000, opensslSeconds: 1, coldRuns: 5 };
if (flags.rounds !== undefined) options.rounds = positiveInteger(flags.rounds, "--rounds");
if (flags.slice !== undefined) options.sliceMs = positiveInteger(flags.slice, "--slice");

function positiveInteger(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`);
  return value;
}

const log = (line) => process.stdout.write(`${line}\n`);

const machine = describeMachine();
log(
  `streamsign benchmark: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.opensslCli}`,
);
log(
  `load average ${machine.loadAtStart.toFixed(2)}; ${options.rounds} round(s) × ${options.sliceMs} ms per case`,
);

const { cases, sameBytes } = await prepareCases();
for (const [id, same] of Object.entries(sameBytes)) {
  if (!same) log(`note: ${id} does not emit the same bytes as streamsign for the same claims`);
}

/** Row id → one sample per round. */
const samples = new Map();
const started = performance.now();
for (let round = 0; round < options.rounds; round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const [index, benchCase] of order.entries()) {
    const results = await benchCase.run(options.sliceMs, { seconds: options.opensslSeconds });
    for (const [id, result] of Object.entries(results)) {
      if (!samples.has(id)) samples.set(id, []);
      samples.get(id)[round] = result;
    }
    const shown = Object.entries(results)
      .map(([id, result]) => `${id} ${Math.round(result.perSecond).toLocaleString("en-US")}/s`)
      .join(", ");
    const elapsed = ((performance.now() - started) / 1000).toFixed(0);
    log(
      `  [round ${round + 1}/${options.rounds} · ${index + 1}/${cases.length} · ${elapsed}s] ${shown}`,
    );
  }
}

log("cold start: fresh processes, CLI, Workers bundle …");
const coldStart = {
  firstToken: measureFirstToken(options.coldRuns * 2),
  cli: measureCliSign(options.coldRuns),
  bundle: await measureWorkerBundle(),
};
machine.loadAtEnd = loadAverage();

const summary = summarize(samples, options.rounds);
const targets = evaluateTargets(summary, coldStart.bundle);
const report = { summary, sameBytes, targets, coldStart, machine, options };
log(renderText(report));

if (flags.quick && !flags["no-write"]) {
  log("\n--quick: docs/benchmarks.md left as is (a quick run is too short to publish).");
} else if (!flags["no-write"]) {
  mkdirSync(dirname(DOC_PATH), { recursive: true });
  writeFileSync(DOC_PATH, renderMarkdown(report));
  log(`\nwrote ${DOC_PATH}`);
}
