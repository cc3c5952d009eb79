/**
 * A configuration problem found at start-up. `variable` names the environment
 * variable (or Worker binding) to fix, and the message says how. Never holds key
 * material: messages about keys come from streamsign, which promises the same.
 *
 * @example
 * ```ts
 * throw new ConfigError("STREAMSIGN_MAX_TTL", "STREAMSIGN_MAX_TTL is 2d: at most 24h is allowed.");
 * ```
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly variable: string;

  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.variable = variable;
  }
}
