/**
 * A Gemini API request check as strict as the real API: what it refuses with 400
 * INVALID_ARGUMENT (unknown fields, the OpenAPI-subset Schema rules, malformed contents,
 * unsigned function calls on Gemini 3, thinking settings the model does not take).
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The fields of Gemini's Schema object; any other key is an "Unknown name" 400. */
const SCHEMA_KEYS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "items",
  "minItems",
  "maxItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "minimum",
  "maximum",
]);
const TYPES = new Set(["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"]);
/** The Developer API refuses any other string format. */
const FORMATS: Record<string, string[]> = {
  STRING: ["enum", "date-time"],
  NUMBER: ["float", "double"],
  INTEGER: ["int32", "int64"],
};
const COUNTS = ["minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength"];
const DECLARATION_KEYS = new Set([
  "name",
  "description",
  "behavior",
  "parameters",
  "parametersJsonSchema",
  "response",
  "responseJsonSchema",
]);
const REQUEST_KEYS = new Set([
  "contents",
  "tools",
  "toolConfig",
  "safetySettings",
  "systemInstruction",
  "generationConfig",
  "cachedContent",
]);
const PART_DATA = ["text", "inlineData", "fileData", "functionCall", "functionResponse"];
const PART_KEYS = new Set([...PART_DATA, "thought", "thoughtSignature", "partMetadata"]);
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

const unknown = (key: string, at: string) =>
  `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`;

/** Why Gemini would refuse `schema` at `at`; `undefined` when it would accept it. */
export function schemaProblem(schema: unknown, at: string): string | undefined {
  if (!isObj(schema)) return `${at}: a Schema object is required`;
  for (const key of Object.keys(schema)) if (!SCHEMA_KEYS.has(key)) return unknown(key, at);
  const type = typeof schema.type === "string" ? schema.type.toUpperCase() : undefined;
  if (schema.type !== undefined && (!type || !TYPES.has(type))) {
    return `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${
      JSON.stringify(schema.type)
    }`;
  }
  if (schema.type === undefined && schema.anyOf === undefined) {
    return `* ${at}.type: must be specified when not using one_of, any_of or all_of fields`;
  }
  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum) || schema.enum.some((v) => typeof v !== "string")) {
      return `Invalid value at '${at}.enum' (TYPE_STRING)`;
    }
    const empty = schema.enum.indexOf("");
    if (empty >= 0) return `* ${at}.enum[${empty}]: cannot be empty`;
  }
  if (typeof schema.format === "string" && type && !FORMATS[type]?.includes(schema.format)) {
    return `* ${at}.format: only ${FORMATS[type]?.join(", ") ?? "no"} formats are supported`;
  }
  for (const key of COUNTS) {
    const n = schema[key];
    if (n !== undefined && !Number.isInteger(Number(n))) return `Invalid value at '${at}.${key}'`;
  }
  if (schema.properties !== undefined) {
    if (!isObj(schema.properties)) return `Invalid value at '${at}.properties'`;
    const names = Object.keys(schema.properties);
    if (type === "OBJECT" && names.length === 0) {
      return `* ${at}.properties: should be non-empty for OBJECT type`;
    }
    for (const name of names) {
      const problem = schemaProblem(schema.properties[name], `${at}.properties[${name}]`);
      if (problem) return problem;
    }
  }
  if (schema.required !== undefined) {
    if (!Array.isArray(schema.required)) return `Invalid value at '${at}.required'`;
    const names = isObj(schema.properties) ? schema.properties : {};
    const missing = schema.required.findIndex((n) => typeof n !== "string" || !(n in names));
    if (missing >= 0) return `* ${at}.required[${missing}]: property is not defined`;
  }
  if (schema.items !== undefined) {
    const problem = schemaProblem(schema.items, `${at}.items`);
    if (problem) return problem;
  }
  if (type === "ARRAY" && schema.items === undefined) return `* ${at}.items: missing field`;
  if (schema.anyOf !== undefined) {
    if (!Array.isArray(schema.anyOf)) return `Invalid value at '${at}.any_of'`;
    for (const [i, v] of schema.anyOf.entries()) {
      const problem = schemaProblem(v, `${at}.any_of[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function declarationProblem(d: unknown, at: string): string | undefined {
  if (!isObj(d)) return `${at}: a FunctionDeclaration object is required`;
  for (const key of Object.keys(d)) if (!DECLARATION_KEYS.has(key)) return unknown(key, at);
  if (typeof d.name !== "string" || !FUNCTION_NAME.test(d.name)) {
    return `* ${at}.name: Invalid function name. Must start with a letter or an underscore.`;
  }
  if (d.parameters !== undefined && d.parametersJsonSchema !== undefined) {
    return `* ${at}: parameters and parameters_json_schema are mutually exclusive`;
  }
  // parametersJsonSchema takes any JSON Schema: only `parameters` is the OpenAPI subset.
  if (d.parameters === undefined) return undefined;
  const root = d.parameters as Obj;
  if (String(root.type).toUpperCase() !== "OBJECT") {
    return `* ${at}.parameters: parameters schema should be of type OBJECT`;
  }
  return schemaProblem(d.parameters, `${at}.parameters`);
}

function partProblem(part: unknown, at: string, role: string): string | undefined {
  if (!isObj(part)) return `${at}: a Part object is required`;
  for (const key of Object.keys(part)) if (!PART_KEYS.has(key)) return unknown(key, at);
  const data = PART_DATA.filter((k) => part[k] !== undefined);
  if (data.length !== 1) return `* ${at}: a part must hold exactly one data field`;
  if (part.text === "" && part.thoughtSignature === undefined) {
    return `* ${at}.text: Unable to submit request because it has an empty text parameter.`;
  }
  const call = part.functionCall;
  if (call !== undefined && (role !== "model" || !isObj(call) || typeof call.name !== "string")) {
    return `* ${at}.function_call: a named call in a model content is required`;
  }
  const response = part.functionResponse;
  if (response !== undefined) {
    if (!isObj(response) || typeof response.name !== "string" || !response.name) {
      return `* ${at}.function_response.name: Name cannot be empty.`;
    }
    if (!isObj(response.response)) return `* ${at}.function_response.response: missing field`;
  }
  return undefined;
}

const GENERATION_KEYS = new Set([
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "responseModalities",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "thinkingConfig",
  "mediaResolution",
]);
const THINKING_KEYS = new Set(["thinkingBudget", "thinkingLevel", "includeThoughts"]);
const MAX_OUTPUT = 65536;

const olderModel = (model: string) => /^(gemini-[12]\.|gemma-)/.test(model);

function generationProblem(config: unknown, model: string): string | undefined {
  if (config === undefined) return undefined;
  if (!isObj(config)) return "Invalid value at 'generation_config'";
  for (const key of Object.keys(config)) {
    if (!GENERATION_KEYS.has(key)) return unknown(key, "generation_config");
  }
  const max = config.maxOutputTokens;
  if (typeof max === "number" && (max < 1 || max > MAX_OUTPUT)) {
    return `Unable to submit request because it has a maxOutputTokens value of ${max} but the supported range is from 1 (inclusive) to ${
      MAX_OUTPUT + 1
    } (exclusive).`;
  }
  const thinking = config.thinkingConfig;
  if (thinking === undefined) return undefined;
  if (!isObj(thinking)) return "Invalid value at 'generation_config.thinking_config'";
  for (const key of Object.keys(thinking)) {
    if (!THINKING_KEYS.has(key)) return unknown(key, "generation_config.thinking_config");
  }
  if (thinking.thinkingBudget !== undefined && thinking.thinkingLevel !== undefined) {
    return "You can only set only one of thinking budget and thinking level.";
  }
  if (thinking.thinkingLevel !== undefined && olderModel(model)) {
    return "Thinking level is not supported for this model.";
  }
  // Gemini 3.7 Flash and later Flash models (not Flash-Lite) have no "minimal" level.
  if (
    thinking.thinkingLevel === "minimal" && /^gemini-3\.([7-9]|\d\d)-flash(?!-lite)/.test(model)
  ) {
    return "Thinking level MINIMAL is not supported for this model.";
  }
  const missing = missingLevel(model, thinking.thinkingLevel);
  if (missing) return `Thinking level ${missing} is not supported for this model.`;
  return budgetProblem(model, thinking.thinkingBudget);
}

/**
 * The budget ranges Google's thinking guide gives per 2.5 model: Pro 128 to 32768 and never off,
 * Flash 0 to 24576, Flash-Lite 512 to 24576 or 0 for off; -1 is dynamic on each. Anything else
 * is a 400.
 */
const BUDGETS: ReadonlyArray<readonly [RegExp, number, number, boolean]> = [
  [/^gemini-2\.5-pro/, 128, 32768, false],
  [/^gemini-2\.5-flash-lite/, 512, 24576, true],
  [/^gemini-2\.5-flash/, 1, 24576, true],
];

function budgetProblem(model: string, budget: unknown): string | undefined {
  if (budget === undefined || budget === -1) return undefined;
  const name = model.toLowerCase().split("/").pop() ?? "";
  const range = BUDGETS.find(([pattern]) => pattern.test(name));
  if (!range) return undefined;
  const [, min, max, canDisable] = range;
  if (budget === 0) {
    return canDisable ? undefined : "The model does not support setting thinking_budget to 0.";
  }
  if (typeof budget !== "number" || !Number.isInteger(budget) || budget < min || budget > max) {
    return `The thinking budget (${budget}) is invalid.`;
  }
  return undefined;
}

/**
 * The levels Google documents per Pro model: Gemini 3 Pro takes `low` and `high` only, 3.1 Pro
 * also `medium`; neither takes `minimal`. Also read by the OpenAI-compatible endpoint's mock.
 */
export function missingLevel(model: string, level: unknown): string | undefined {
  const name = model.toLowerCase().split("/").pop() ?? "";
  const pro3 = /^gemini-3-pro/.test(name);
  const pro31 = /^gemini-3\.\d+-pro/.test(name);
  if ((pro3 || pro31) && level === "minimal") return "MINIMAL";
  if (pro3 && level === "medium") return "MEDIUM";
  return undefined;
}

/**
 * Gemini 3 and later refuse a model content whose first function call carries no
 * thoughtSignature (older models and Gemma do not check).
 */
function signatureProblem(body: Obj, model: string): string | undefined {
  if (olderModel(model)) return undefined;
  for (const [i, content] of (body.contents as Obj[]).entries()) {
    const call = (content.parts as Obj[]).find((p) => p.functionCall !== undefined);
    if (content.role === "model" && call && typeof call.thoughtSignature !== "string") {
      return `Function call is missing a thought_signature in functionCall parts. (contents[${i}])`;
    }
  }
  return undefined;
}

/**
 * A function-call turn must follow a user turn and be answered by as many function
 * responses, in the next content.
 */
function pairingProblem(contents: Obj[]): string | undefined {
  const count = (c: Obj | undefined, key: string) =>
    ((c?.parts ?? []) as Obj[]).filter((p) => p[key] !== undefined).length;
  for (const [i, content] of contents.entries()) {
    const calls = content.role === "model" ? count(content, "functionCall") : 0;
    if (calls === 0) continue;
    if (contents[i - 1]?.role !== "user") {
      return "Please ensure that function call turn comes immediately after a user turn or after a function response turn.";
    }
    const next = contents[i + 1];
    if (next && count(next, "functionResponse") !== calls) {
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
    }
  }
  return undefined;
}

/** Models that continue a final model turn (prefill); 3.5 (served by 3.6) and later refuse it. */
const PREFILL_MODELS = /^(gemma-|gemini-[12]\.|gemini-3-|gemini-3\.[0-4][.-])/;

function finalTurnProblem(contents: Obj[], model: string): string | undefined {
  if (PREFILL_MODELS.test(model) || contents.at(-1)?.role !== "model") return undefined;
  return "Requests ending with a model turn are not supported.";
}

/** Why Gemini would refuse `body` sent to `model`; `undefined` when it would accept it. */
export function geminiRequestProblem(body: Obj, model: string): string | undefined {
  for (const key of Object.keys(body)) if (!REQUEST_KEYS.has(key)) return unknown(key, "");
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return "* GenerateContentRequest.contents: contents is not specified";
  }
  for (const [i, content] of contents.entries()) {
    const at = `contents[${i}]`;
    if (!isObj(content)) return `${at}: a Content object is required`;
    if (content.role !== "user" && content.role !== "model") {
      return `Please use a valid role: user, model. (${at}.role: ${JSON.stringify(content.role)})`;
    }
    if (!Array.isArray(content.parts) || content.parts.length === 0) {
      return `* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`;
    }
    for (const [j, part] of content.parts.entries()) {
      const problem = partProblem(part, `${at}.parts[${j}]`, content.role);
      if (problem) return problem;
    }
  }
  const unanswered = pairingProblem(contents as Obj[]);
  if (unanswered) return unanswered;
  const system = body.systemInstruction;
  if (system !== undefined) {
    if (!isObj(system) || !Array.isArray(system.parts) || system.parts.length === 0) {
      return "* GenerateContentRequest.system_instruction.parts: must not be empty";
    }
    if (system.role !== undefined && system.role !== "user" && system.role !== "system") {
      return "Please use a valid role for system_instruction";
    }
  }
  const tools = body.tools ?? [];
  if (!Array.isArray(tools)) return "Invalid value at 'tools'";
  const seen = new Set<unknown>();
  for (const [i, tool] of tools.entries()) {
    const declarations = isObj(tool) ? tool.functionDeclarations : undefined;
    if (!Array.isArray(declarations)) continue;
    for (const [j, d] of declarations.entries()) {
      const problem = declarationProblem(d, `tools[${i}].function_declarations[${j}]`);
      if (problem) return problem;
      const name = (d as Obj).name;
      if (seen.has(name)) return `Duplicate function declaration found: ${name}`;
      seen.add(name);
    }
  }
  return generationProblem(body.generationConfig, model) ?? signatureProblem(body, model) ??
    finalTurnProblem(contents as Obj[], model);
}
