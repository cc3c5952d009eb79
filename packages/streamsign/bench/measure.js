// Time-boxed throughput loops. Each measurement runs an operation as often as it can
// for a fixed wall-clock slice and reports operations per second, plus the CPU time
// the whole process (every thread) spent per operation.
//
// Why not per-call timing: RSA work is about a third of a millisecond, and the
// concurrent cases are about throughput, not latency. A slice measures both the same way.

/** Keeps results reachable so V8 cannot drop the work that made them. */
export let sink;

/**
 * Runs `operation(i)` (synchronous) for `durationMs` after a short warm-up.
 * `batch` operations run between clock reads, so very cheap operations are not
 * dominated by `performance.now()`.
 */
export function measureSync(operation, { durationMs, batch = 1 }) {
  loopSync(operation, Math.min(100, durationMs / 4), batch);
  return loopSync(operation, durationMs, batch);
}

function loopSync(operation, durationMs, batch) {
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + durationMs;
  do {
    for (let i = 0; i < batch; i++) sink = operation(ops++);
  } while (performance.now() < deadline);
  return result(ops, performance.now() - start, process.cpuUsage(cpuStart));
}

/**
 * Runs `operation(i)` (returning a promise) with `inFlight` calls outstanding at all
 * times, for `durationMs` after a short warm-up.
 */
export async function measureAsync(operation, { durationMs, inFlight = 1, batch = 1 }) {
  await loopAsync(operation, Math.min(100, durationMs / 4), inFlight, batch);
  return loopAsync(operation, durationMs, inFlight, batch);
}

async function loopAsync(operation, durationMs, inFlight, batch) {
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + durationMs;
  const lane = async () => {
    do {
      for (let i = 0; i < batch; i++) sink = await operation(ops++);
    } while (performance.now() < deadline);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return result(ops, performance.now() - start, process.cpuUsage(cpuStart));
}

function result(ops, elapsedMs, cpu) {
  return {
    perSecond: ops / (elapsedMs / 1000),
    cpuMicrosPerOp: (cpu.user + cpu.system) / ops,
  };
}

/** The median; for an even count, the mean of the middle two. */
export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
