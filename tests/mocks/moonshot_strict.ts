/**
 * The tool-schema check of Moonshot's Chat Completions API (its "Moonshot Flavored JSON Schema"
 * validator, open-sourced as MoonshotAI/walle), as far as it refuses schemas in its default mode:
 * the rules below, each with the validator's own words. A request with a schema that breaks one
 * is answered 400 `tools.function.parameters is not a valid moonshot flavored json schema,
 * details: <At path '…': …>`.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keywords an `anyOf` branch may share with its parent. */
const ANNOTATIONS = new Set(["anyOf", "description", "title"]);

function typeMatches(value: unknown, type: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
  }
  return false;
}

function resolves(ref: string, root: Obj): boolean {
  if (ref === "#") return true;
  const defs = root.$defs;
  return isObj(defs) && isObj(defs[ref.slice("#/$defs/".length)]);
}

function nodeProblem(node: Obj, at: string, root: Obj): string | undefined {
  if (node.type !== undefined && node.anyOf !== undefined) {
    return `${at}: when using anyOf, type should be defined in anyOf items instead of the parent schema`;
  }
  if (node.type !== undefined && node.$ref !== undefined) {
    return `${at}: when using $ref, type should be defined in the referenced schema instead of the parent schema`;
  }
  if (typeof node.$ref === "string") {
    if (node.$ref !== "#" && !node.$ref.startsWith("#/$defs/")) {
      return `${at}.$ref: references must start with #/$defs/`;
    }
    if (!resolves(node.$ref, root)) return `${at}.$ref: $defs not found for reference`;
  }
  if (node.items !== undefined && !isObj(node.items)) return `${at}.items: items must be an object`;
  const properties = isObj(node.properties) ? node.properties : {};
  for (const [name, sub] of Object.entries(properties)) {
    if (!isObj(sub)) return `${at}.properties: property schema for '${name}' must be an object`;
  }
  if (Array.isArray(node.required)) {
    const missing = node.required.find((n) => !(String(n) in properties));
    if (missing !== undefined) {
      return `${at}.required: required property '${missing}' is not defined in properties`;
    }
  }
  if (Array.isArray(node.enum)) {
    if (node.type === undefined) return `${at}: type is not defined`;
    const types = Array.isArray(node.type) ? node.type : [node.type];
    const odd = node.enum.find((v) => !types.some((t) => typeMatches(v, t)));
    if (odd !== undefined) return `${at}.enum: enum value (${odd}) does not match any type`;
  }
  if (Array.isArray(node.anyOf)) {
    const outer = Object.keys(node).filter((k) => !ANNOTATIONS.has(k));
    for (const branch of node.anyOf) {
      if (!isObj(branch)) return `${at}.anyOf: schema in anyOf must be an object`;
      const shared = Object.keys(branch).filter((k) => !ANNOTATIONS.has(k) && outer.includes(k));
      if (shared.length > 0) {
        return `${at}: conflicting keywords found in anyOf with parent: ${shared.join(", ")}`;
      }
    }
  }
  return undefined;
}

function walk(node: unknown, at: string, root: Obj): string | undefined {
  if (!isObj(node)) return undefined;
  const own = nodeProblem(node, at, root);
  if (own) return own;
  const children: Array<[unknown, string]> = [];
  if (isObj(node.properties)) {
    for (const [name, sub] of Object.entries(node.properties)) {
      children.push([sub, `${at}.properties.${name}`]);
    }
  }
  if (isObj(node.$defs)) {
    for (const [name, sub] of Object.entries(node.$defs)) {
      children.push([sub, `${at}.$defs.${name}`]);
    }
  }
  children.push([node.items, `${at}.items`]);
  if (isObj(node.additionalProperties)) {
    children.push([node.additionalProperties, `${at}.additionalProperties`]);
  }
  if (Array.isArray(node.anyOf)) {
    node.anyOf.forEach((branch, i) => children.push([branch, `${at}.anyOf{${i}}`]));
  }
  for (const [child, path] of children) {
    const problem = walk(child, path, root);
    if (problem) return problem;
  }
  return undefined;
}

/** Why Moonshot's check refuses tool `parameters`, in its words; undefined when it takes them. */
export function moonshotSchemaProblem(parameters: unknown): string | undefined {
  if (!isObj(parameters)) return "root: schema must be a dict";
  const problem = walk(parameters, "root", parameters);
  return problem && `tools.function.parameters is not a valid moonshot flavored json schema, ` +
      `details: <At path '${problem.replace(/: /, "': ")}>`;
}

/** The first problem of any tool of a Chat Completions request body, or undefined. */
export function moonshotToolsProblem(body: Obj): string | undefined {
  for (const tool of (body.tools ?? []) as Obj[]) {
    const problem = moonshotSchemaProblem((tool.function as Obj | undefined)?.parameters);
    if (problem) return problem;
  }
  return undefined;
}
