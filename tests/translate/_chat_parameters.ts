/**
 * What the stricter Chat Completions servers refuse in tool `parameters`, from their documented
 * errors: an object root (every OpenAI-compatible server), `required` without `properties`
 * (Groq: "'required' present but 'properties' is missing"), and `$ref`s that do not resolve inside
 * the schema (the grammar compilers of llama.cpp and vLLM fail on them), and no `$schema` (refused
 * by OpenAI's Responses check and by Gemini's OpenAI endpoint).
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function resolves(ref: string, root: Obj): boolean {
  if (!ref.startsWith("#")) return false;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    if (!isObj(node)) return false;
    node = node[decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return isObj(node) || typeof node === "boolean";
}

function walk(node: unknown, at: string, root: Obj): string | undefined {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) {
      const p = walk(v, `${at}[${i}]`, root);
      if (p) return p;
    }
    return undefined;
  }
  if (!isObj(node)) return undefined;
  if ("$schema" in node) return `${at}: $schema is not accepted here`;
  if (typeof node.$ref === "string" && !resolves(node.$ref, root)) {
    return `${at}: reference ${node.$ref} does not resolve`;
  }
  if (node.required !== undefined && node.properties === undefined) {
    return `${at}: 'required' present but 'properties' is missing`;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "enum" || key === "const" || key === "default" || key === "examples") continue;
    if (key === "properties" || key === "$defs" || key === "definitions") {
      if (!isObj(value)) continue;
      for (const [name, sub] of Object.entries(value)) {
        const p = walk(sub, `${at}.${key}.${name}`, root);
        if (p) return p;
      }
      continue;
    }
    const p = walk(value, `${at}.${key}`, root);
    if (p) return p;
  }
  return undefined;
}

/** Why a strict Chat Completions server refuses `parameters`; undefined when it takes them. */
export function chatParametersProblem(parameters: unknown): string | undefined {
  if (!isObj(parameters) || parameters.type !== "object") return "parameters: must be an object";
  return walk(parameters, "parameters", parameters);
}

/**
 * Why llama.cpp's grammar builder (LM Studio's and Ollama's too) refuses tool `parameters`: it
 * compiles each `pattern` and fails the whole request for one not anchored as `^...$` ("JSON schema
 * conversion failed: Pattern must start with '^' and end with '$'"); anchored ones with the class
 * escapes `\\s`, `\\S`, `\\w`, `\\W` fail to parse as its grammar. Undefined when it takes them.
 */
export function llamaCppProblem(schema: unknown, at = "parameters"): string | undefined {
  if (Array.isArray(schema)) {
    for (const [i, v] of schema.entries()) {
      const p = llamaCppProblem(v, `${at}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!isObj(schema)) return undefined;
  if (typeof schema.pattern === "string") {
    const pattern = schema.pattern;
    if (!pattern.startsWith("^") || !pattern.endsWith("$")) {
      return `${at}: JSON schema conversion failed: Pattern must start with '^' and end with '$'`;
    }
    if (/\\[sSwW]/.test(pattern)) {
      return `${at}: Failed to initialize samplers: failed to parse grammar`;
    }
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "enum" || key === "const" || key === "default" || key === "examples") continue;
    if (key === "properties" || key === "$defs" || key === "definitions") {
      if (!isObj(value)) continue;
      for (const [name, sub] of Object.entries(value)) {
        const p = llamaCppProblem(sub, `${at}.${key}.${name}`);
        if (p) return p;
      }
      continue;
    }
    const p = llamaCppProblem(value, `${at}.${key}`);
    if (p) return p;
  }
  return undefined;
}
