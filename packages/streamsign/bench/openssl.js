// `openssl speed rsa2048`: the limit nothing on this machine can beat, measured in
// the same run as everything else.
import { execFileSync, spawn } from "node:child_process";

/** `openssl version`, or undefined when the CLI is missing. */
export function opensslVersion() {
  try {
    return execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Runs `openssl speed [-multi N] rsa2048` and returns sign/s and verify/s (summed
 * over processes with `-multi`). `-elapsed` makes OpenSSL report wall-clock rates,
 * like every other row, instead of its default user-CPU time: on a shared machine
 * both then see the same load.
 */
export function opensslSpeed({ processes = 1, seconds = 1 } = {}) {
  const args = ["speed", "-elapsed", "-seconds", String(seconds)];
  if (processes > 1) args.push("-multi", String(processes));
  args.push("rsa2048");
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      const rates = parseSpeedTable(stdout);
      if (code !== 0 || rates === undefined) {
        reject(new Error(`openssl ${args.join(" ")} failed (exit ${code})`));
      } else {
        resolve(rates);
      }
    });
  });
}

/**
 * Reads the summary line `rsa 2048 bits 0.000312s 0.000009s 3200.0 110000.0`
 * (sign time, verify time, sign/s, verify/s). With `-multi` OpenSSL prints the
 * same line with the rates summed over its processes.
 */
export function parseSpeedTable(output) {
  const match = /^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)\s*$/m.exec(output);
  if (match === null) return undefined;
  return { signPerSecond: Number(match[1]), verifyPerSecond: Number(match[2]) };
}
