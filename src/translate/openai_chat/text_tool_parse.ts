/**
 * Reads one tool call a model wrote as text, in the two forms chat templates teach:
 * Hermes/Qwen JSON (`<tool_call>{"name": …, "arguments": {…}}</tool_call>`) and
 * Qwen3-Coder XML (`<function=Name><parameter=key>value</parameter></function>`, possibly
 * inside `<tool_call>`). Strict on purpose: a call must name an offered tool and give an
 * object of arguments, so prose that merely mentions the tags stays prose.
 */

import { isRecord } from "../../core/json.ts";

/** What the recovery needs of an offered tool. */
export interface OfferedTool {
  readonly name: string;
  readonly input_schema?: unknown;
}

/** A recovered call. */
export interface TextToolCall {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

const WRAPPED = /^<tool_call>([\s\S]*)<\/tool_call>$/;
const FUNCTION = /^<function=([^>\s]+)>([\s\S]*)<\/function>$/;
const PARAMETER = /<parameter=([^>\s]+)>([\s\S]*?)<\/parameter>/g;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The JSON type a schema gives a parameter, when it is not plainly a string. */
function declaredType(tool: OfferedTool, key: string): string | undefined {
  const props = isRecord(tool.input_schema) ? tool.input_schema.properties : undefined;
  const prop = isRecord(props) ? props[key] : undefined;
  const type = isRecord(prop) ? prop.type : undefined;
  const types = Array.isArray(type) ? type : [type];
  return types.find((t) => typeof t === "string" && t !== "string" && t !== "null");
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
}

/** A parameter's value: a string, or JSON when the schema says so and the text is valid. */
function parameterValue(tool: OfferedTool, key: string, raw: string): unknown {
  // The template writes each value on its own lines.
  const text = raw.replace(/^\r?\n/, "").replace(/\r?\n$/, "");
  const want = declaredType(tool, key);
  if (!want) return text;
  const parsed = parseJson(text.trim());
  const got = jsonTypeOf(parsed);
  const fits = got === want || (want === "number" && got === "integer");
  return parsed !== undefined && fits ? parsed : text;
}

function xmlCall(body: string, tools: ReadonlyMap<string, OfferedTool>): TextToolCall | null {
  const m = FUNCTION.exec(body);
  const tool = m ? tools.get(m[1]!) : undefined;
  if (!m || !tool) return null;
  const input: Record<string, unknown> = {};
  let rest = m[2]!;
  for (const p of m[2]!.matchAll(PARAMETER)) {
    input[p[1]!] = parameterValue(tool, p[1]!, p[2]!);
    rest = rest.replace(p[0], "");
  }
  // Anything but layout between the parameters means this was not a call.
  return rest.trim() === "" ? { name: tool.name, input } : null;
}

function jsonCall(body: string, tools: ReadonlyMap<string, OfferedTool>): TextToolCall | null {
  const value = parseJson(body);
  if (!isRecord(value) || typeof value.name !== "string" || !tools.has(value.name)) return null;
  let args: unknown = value.arguments ?? value.parameters ?? {};
  if (typeof args === "string") args = parseJson(args);
  return isRecord(args) ? { name: value.name, input: args } : null;
}

/** The call `raw` (one whole marker-to-close span) spells, or `null` when it is not one. */
export function parseTextToolCall(
  raw: string,
  tools: ReadonlyMap<string, OfferedTool>,
): TextToolCall | null {
  let body = raw.trim();
  const wrapped = WRAPPED.exec(body);
  if (wrapped) body = wrapped[1]!.trim();
  return body.startsWith("<function=") ? xmlCall(body, tools) : jsonCall(body, tools);
}
