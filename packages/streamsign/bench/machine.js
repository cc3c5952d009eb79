// What the numbers were measured on.
import os from "node:os";
import { opensslVersion } from "./openssl.js";

export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    opensslCli: opensslVersion() ?? "not found",
    date: new Date().toISOString(),
    loadAtStart: os.loadavg()[0],
  };
}

/** The 1-minute load average: shown next to the results because others may share the machine. */
export function loadAverage() {
  return os.loadavg()[0];
}
