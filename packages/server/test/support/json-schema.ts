// A small JSON Schema checker for the subset our OpenAPI document uses ($ref, type,
// const, enum, properties, required, additionalProperties: false, items, minItems,
// maxItems, pattern, oneOf). Unknown keywords fail loudly so the subset cannot drift.
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  "$ref",
  "type",
  "const",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "pattern",
  "oneOf",
  "description",
  "format",
  "minLength",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Problems found validating `value` against `schema` (empty when valid). */
export function validate(value: unknown, schema: Schema, root: Schema, path = "$"): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword))
      return [`${path}: schema keyword ${keyword} is not supported by the test checker`];
  }
  if (typeof schema.$ref === "string") {
    const target = schema.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], root);
    if (target === undefined) return [`${path}: unresolved ${schema.$ref}`];
    return validate(value, target as Schema, root, path);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) {
      return [`${path}: expected ${types.join("|")}, got ${actual}`];
    }
  }
  if ("const" in schema && value !== schema.const)
    problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: not in enum`);
  if (
    typeof schema.pattern === "string" &&
    typeof value === "string" &&
    !new RegExp(schema.pattern).test(value)
  ) {
    problems.push(`${path}: does not match ${schema.pattern}`);
  }
  if (
    typeof schema.minLength === "number" &&
    typeof value === "string" &&
    value.length < schema.minLength
  ) {
    problems.push(`${path}: shorter than ${schema.minLength}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems)
      problems.push(`${path}: too few items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
      problems.push(`${path}: too many items`);
    if (schema.items !== undefined) {
      value.forEach((item, i) => {
        problems.push(...validate(item, schema.items as Schema, root, `${path}[${i}]`));
      });
    }
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in object)) problems.push(`${path}.${name}: required`);
    }
    for (const [name, item] of Object.entries(object)) {
      if (properties[name] !== undefined)
        problems.push(...validate(item, properties[name]!, root, `${path}.${name}`));
      else if (schema.additionalProperties === false)
        problems.push(`${path}.${name}: not in the schema`);
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = schema.oneOf.filter(
      (option) => validate(value, option as Schema, root, path).length === 0,
    );
    if (matching.length !== 1)
      problems.push(`${path}: matches ${matching.length} of oneOf, expected exactly 1`);
  }
  return problems;
}
