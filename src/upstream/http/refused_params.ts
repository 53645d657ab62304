/**
 * Recognising an optional request parameter an upstream refuses, from its 400 answer.
 *
 * Servers that speak a protocol "compatibly" differ in which optional fields they accept
 * (`reasoning_effort`, `stream_options`, `parallel_tool_calls`, `max_completion_tokens`,
 * `top_k`, ...) and say so in many wordings. When a 400 names a parameter ccp sent, the request is
 * sent once more without it, and ccp leaves it out for that provider and model from then on, so
 * no request of Claude Code fails over an optional parameter. Only parameters ccp can do
 * without are dropped: the ones a request cannot work without never are.
 */

import { upstreamMessage } from "../../core/upstream_message.ts";

type Json = Record<string, unknown>;

// Without these a request means something else or nothing at all.
const REQUIRED = new Set([
  "model",
  "messages",
  "input",
  "contents",
  "system",
  "instructions",
  "systemInstruction",
  "tools",
  "stream",
  "prompt",
  // A thread's later turns carry only their new messages: without it the model gets no history.
  "thread",
]);

// A refused output limit is not dropped but renamed: the other name is the same limit.
const RENAMES: Readonly<Record<string, string>> = {
  max_completion_tokens: "max_tokens",
  max_tokens: "max_completion_tokens",
};

// After a quoted name and "is not supported" and the like: the refusal stands for the parameter
// itself, not a condition ("... is not supported when `tool_choice` forces tool use", "... is
// not allowed in this position", "... is not allowed to be empty"). Left out for good, a
// parameter refused only under a condition would be missing from every request that meets none
// (`thinking` refused so would turn thinking off for every later request). "with this model"
// and the like still name the parameter alone.
const WHOLE = String
  .raw`(?!\s+(?:to|when|if|unless|while|in|inside|within|together|alongside|combined|at|after|before|without)\b)(?!\s+with\s+(?!(?:this|the)\s+(?:model|endpoint|server|provider|api)\b|model\b))`;

// Wordings that name one parameter the server does not take, by server family.
const PATTERNS: readonly RegExp[] = [
  /Unrecognized request arguments? supplied: ([\w.]+)/i, // OpenAI (older models), Azure
  /Unsupported parameter: '([\w.]+)'/i, // OpenAI reasoning models, Responses API
  /Unknown parameter: '([\w.]+)'/i, // OpenAI Responses API
  // vLLM, pydantic: one error's own `type` and `loc`, never across into the next error of a list
  // (a `missing` or `int_parsing` error at ('body', 'thinking', ...) beside another's
  // `extra_forbidden` is no refusal of `thinking`).
  /extra_forbidden[^{}]{0,80}?loc['"]?\s*:\s*[[(]\s*['"]body['"]\s*,\s*['"]([\w.]+)['"]/is,
  /['"]loc['"]\s*:\s*[[(]\s*['"]body['"]\s*,\s*['"]([\w.]+)['"][^{}]{0,80}?extra_forbidden/is,
  /\b([\w.]+): Extra inputs are not permitted/i, // Anthropic-compatible servers (pydantic)
  /Unknown name "(\w+)"(?: at '([\w.]+)')?: Cannot find field/i, // Gemini
  new RegExp(
    String
      .raw`(?:property|parameter|field|argument|option)\s+['"\`]([\w.]+)['"\`]\s+(?:is\s+)?(?:not supported|unsupported|not allowed|not permitted|unknown|is not recognized)` +
      WHOLE,
    "i",
  ),
  new RegExp(
    String.raw`['"\`]([\w.]+)['"\`]\s+is (?:not supported|unsupported|not allowed|not permitted)` +
      WHOLE,
    "i",
  ),
  // serde-based servers. Not "unknown variant `x`": that names a value x, not a field (a server
  // that knows no `thinking` history block says "unknown variant `thinking`", which is no
  // refusal of the `thinking` parameter).
  /unknown (?:field|parameter) [`'"]([\w.]+)[`'"]/i,
  // OpenAI reasoning models take some sampling parameters only at their default value, so
  // leaving the parameter out is what the model accepts.
  /Unsupported value: '([\w.]+)' does not support/i,
  /model does not support (?:the )?parameter ['"`]?([\w.]+)/i, // gateways in front of xAI
  // Moonshot fixes some sampling parameters per model: left out, the model takes its own value.
  /invalid ([\w.]+): only [\w.-]+ is allowed for this model/i,
];

// A name that an error places inside the history or a tool ("messages[1].content[0]: unknown
// field `thinking`", "unknown field `thinking` in messages[1]") is a key of a block there, not
// the top-level parameter of the same name.
const PLACED_BEFORE =
  /\b(?:messages|contents|input|tools)(?:\[\d+\]|\.\d+)[\w.[\]]*\s*:[^:]{0,40}$/i;
const PLACED_AFTER =
  /^\W{0,3}\s*(?:in|at|of)\s+[`'"]?(?:messages|contents|input|tools)\s*(?:\[|\.\d)/i;

// Wordings that refuse one quoted value of a parameter the server otherwise takes (an effort
// level a model lacks): only that value is left out, so other values still reach the model.
const VALUE_PATTERNS: readonly RegExp[] = [
  /Unsupported value: '([\w.]+)' does not support '([^']+)'/i, // OpenAI-style servers
];
// OpenAI's structured form names the parameter apart and quotes only the value.
const STRUCTURED_VALUE = /Unsupported value: '([^']+)' is not supported/i;

// Wordings that describe a parameter without spelling its name.
const DESCRIBED: ReadonlyArray<readonly [RegExp, string]> = [
  // Structured output that a model or server does not offer.
  [
    /does not support (?:the )?response[ _]format|\bresponse[ _]format\b.{0,60}?\b(?:is not supported|unsupported)/i,
    "response_format",
  ],
  // OpenRouter, told to turn off reasoning on a model that always reasons: without the switch
  // the model reasons at its default and answers (an effort or budget sent stays).
  [/Reasoning is mandatory for this endpoint/i, "reasoning.enabled"],
];

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function has(body: Json, path: readonly string[]): boolean {
  let node: unknown = body;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Json)[key];
  }
  return true;
}

function valueAt(body: Json, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Json)[key], body);
}

/** `path=value` when the refusal names one string value ccp sent, else undefined. */
function refusedValue(texts: readonly string[], sent: Json, param?: string): string | undefined {
  const found: Array<[string, string]> = [];
  for (const text of texts) {
    for (const re of VALUE_PATTERNS) {
      const m = re.exec(text);
      if (m?.[1] && m[2]) found.push([m[1], m[2]]);
    }
    const m = param ? STRUCTURED_VALUE.exec(text) : null;
    if (param && m?.[1]) found.push([param, m[1]]);
  }
  for (const [name, value] of found) {
    const path = name.split(".");
    if (path.length > 2 || REQUIRED.has(path[0]!) || !has(sent, path)) continue;
    if (valueAt(sent, path) === value) return `${name}=${value}`;
  }
  return undefined;
}

/**
 * The parameter a 400 body says is not accepted, if ccp sent it and may drop it: its path, or
 * `path=value` when only that value was refused.
 */
export function refusedParameter(bodyText: string | undefined, sent: Json): string | undefined {
  const raw = bodyText ?? "";
  const texts = [upstreamMessage(raw), raw];
  let valueParam: string | undefined;
  // OpenAI's structured form names the parameter outright.
  try {
    const error = (JSON.parse(raw) as { error?: { code?: unknown; param?: unknown } }).error;
    if (
      (error?.code === "unsupported_parameter" || error?.code === "unknown_parameter") &&
      typeof error.param === "string"
    ) texts.unshift(`Unsupported parameter: '${error.param}'`);
    if (error?.code === "unsupported_value" && typeof error.param === "string") {
      valueParam = error.param;
    }
  } catch {
    // Not JSON: the wording alone has to do.
  }
  const value = refusedValue(texts, sent, valueParam);
  if (value) return value;
  for (const text of texts) {
    for (const pattern of PATTERNS) {
      const match = pattern.exec(text);
      if (!match?.[1] || placedInside(text, match)) continue;
      const name = match[1];
      // Gemini names the field and, apart, where it sits (snake_case for a camelCase body).
      const named = match[2] ? [...match[2].split(".").map(camel), name] : name.split(".");
      const path = withoutVariant(named, sent);
      if (path.length > 2 || REQUIRED.has(path[0]!)) continue;
      if (has(sent, path)) return path.join(".");
    }
    for (const [pattern, param] of DESCRIBED) {
      if (pattern.test(text) && has(sent, param.split("."))) return param;
    }
  }
  return undefined;
}

/** Whether the error places the name it matched inside the history or a tool (see PLACED_BEFORE). */
function placedInside(text: string, match: RegExpExecArray): boolean {
  const before = text.slice(Math.max(0, match.index - 120), match.index);
  const after = text.slice(match.index + match[0].length, match.index + match[0].length + 40);
  return PLACED_BEFORE.test(before) || PLACED_AFTER.test(after);
}

/**
 * `path` without the variant Anthropic's validation names after a tagged field: it reports a key
 * of `thinking: {type: "adaptive", ...}` as `thinking.adaptive.display`, where the body has
 * `thinking.display`.
 */
function withoutVariant(path: readonly string[], sent: Json): readonly string[] {
  const field = sent[path[0]!];
  const tagged = path.length === 3 && typeof field === "object" && field !== null &&
    (field as Json).type === path[1];
  return tagged ? [path[0]!, path[2]!] : path;
}

/**
 * `body` without the learned parameters (renamed where a rename exists); a `path=value` entry
 * drops the parameter only while it holds that value. The input is not changed.
 */
export function withoutParams(body: Json, params: Iterable<string>): Json {
  let out = body;
  for (const param of params) {
    const [name, ...rest] = param.split("=");
    const path = name!.split(".");
    if (!has(out, path)) continue;
    if (rest.length > 0 && valueAt(out, path) !== rest.join("=")) continue;
    out = structuredCloneShallow(out, path);
    const parent = path.slice(0, -1).reduce<Json>((node, key) => node[key] as Json, out);
    const last = path.at(-1)!;
    const rename = path.length === 1 ? RENAMES[last] : undefined;
    if (rename && !Object.hasOwn(parent, rename)) parent[rename] = parent[last];
    delete parent[last];
  }
  return out;
}

// Copies the objects along `path` so deleting the leaf leaves the caller's body untouched.
function structuredCloneShallow(body: Json, path: readonly string[]): Json {
  const root = { ...body };
  let node = root;
  for (const key of path.slice(0, -1)) {
    node[key] = { ...(node[key] as Json) };
    node = node[key] as Json;
  }
  return root;
}
