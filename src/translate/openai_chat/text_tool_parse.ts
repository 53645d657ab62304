/**
 * Reads tool calls a model wrote as text, in the forms chat templates teach: Hermes/Qwen JSON
 * (`<tool_call>{"name": ..., "arguments": {...}}</tool_call>`), Qwen3-Coder XML
 * (`<function=Name><parameter=key>value</parameter></function>`, possibly inside `<tool_call>`),
 * GLM-4.5/4.6/4.7's key/value pairs
 * (`<tool_call>Name<arg_key>key</arg_key><arg_value>value</arg_value></tool_call>`) and Kimi K2's
 * token section (`<|tool_calls_section_begin|><|tool_call_begin|>functions.Name:0
 * <|tool_call_argument_begin|>{...}<|tool_call_end|>...<|tool_calls_section_end|>`). Strict on
 * purpose: a call must name an offered tool and give an object of arguments, so prose that
 * merely mentions the tags stays prose.
 */

import { isRecord, setOwn } from "../../core/json.ts";
import { partialTagSuffix } from "../reasoning/think_tags.ts";

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
const PARAMETER_OPEN = "<parameter=";
const PARAMETER_CLOSE = "</parameter>";
const PARAMETER_NAME = /^[^>\s]+$/;

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
function typedValue(tool: OfferedTool, key: string, text: string): unknown {
  const want = declaredType(tool, key);
  if (!want) return text;
  const parsed = parseJson(text.trim());
  const got = jsonTypeOf(parsed);
  const fits = got === want || (want === "number" && got === "integer");
  return parsed !== undefined && fits ? parsed : text;
}

/** A Qwen3-Coder parameter's value: the template writes each value on its own lines. */
function parameterValue(tool: OfferedTool, key: string, raw: string): unknown {
  return typedValue(tool, key, raw.replace(/^\r?\n/, "").replace(/\r?\n$/, ""));
}

/**
 * The parameters are read one after the other with `indexOf`, each search going on from the end
 * of the last: a pattern for any parameter, tried at each place, searched to the end of the text
 * for a close tag every time, and a call of tens of thousands of them took seconds.
 */
function xmlCall(body: string, tools: ReadonlyMap<string, OfferedTool>): TextToolCall | null {
  const m = FUNCTION.exec(body);
  const tool = m ? tools.get(m[1]!) : undefined;
  if (!m || !tool) return null;
  const inner = m[2]!;
  const input: Record<string, unknown> = {};
  for (let at = 0;;) {
    const open = inner.indexOf(PARAMETER_OPEN, at);
    // Anything but layout between the parameters means this was not a call.
    if (inner.slice(at, open < 0 ? inner.length : open).trim() !== "") return null;
    if (open < 0) return { name: tool.name, input };
    const nameEnd = inner.indexOf(">", open);
    const name = inner.slice(open + PARAMETER_OPEN.length, nameEnd);
    const close = nameEnd < 0 ? -1 : inner.indexOf(PARAMETER_CLOSE, nameEnd);
    if (close < 0 || !PARAMETER_NAME.test(name)) return null;
    setOwn(input, name, parameterValue(tool, name, inner.slice(nameEnd + 1, close)));
    at = close + PARAMETER_CLOSE.length;
  }
}

const ARG_KEY_OPEN = "<arg_key>";
const ARG_KEY_CLOSE = "</arg_key>";
const ARG_VALUE_OPEN = "<arg_value>";
const ARG_VALUE_CLOSE = "</arg_value>";

/**
 * GLM's pairs, read one after the other with `indexOf` as the XML form's parameters are. Only
 * layout may come between the tags; a value is taken as written, since the template writes a
 * string's own text there and JSON only for other types.
 */
function glmCall(body: string, tools: ReadonlyMap<string, OfferedTool>): TextToolCall | null {
  const first = body.indexOf(ARG_KEY_OPEN);
  const tool = tools.get(body.slice(0, first < 0 ? body.length : first).trim());
  // A bare name (prose or code naming a tool between the tags) calls only a tool that needs no
  // argument: one that requires some would be refused its empty input.
  if (!tool || (first < 0 && requiresArguments(tool))) return null;
  const input: Record<string, unknown> = {};
  for (let at = first < 0 ? body.length : first; at < body.length;) {
    if (!body.startsWith(ARG_KEY_OPEN, at)) return null;
    const keyEnd = body.indexOf(ARG_KEY_CLOSE, at);
    if (keyEnd < 0) return null;
    const key = body.slice(at + ARG_KEY_OPEN.length, keyEnd).trim();
    if (key === "" || key.includes("<")) return null;
    const open = skipLayout(body, keyEnd + ARG_KEY_CLOSE.length);
    if (!body.startsWith(ARG_VALUE_OPEN, open)) return null;
    const close = body.indexOf(ARG_VALUE_CLOSE, open);
    if (close < 0) return null;
    setOwn(input, key, typedValue(tool, key, body.slice(open + ARG_VALUE_OPEN.length, close)));
    at = skipLayout(body, close + ARG_VALUE_CLOSE.length);
  }
  return { name: tool.name, input };
}

function requiresArguments(tool: OfferedTool): boolean {
  const required = isRecord(tool.input_schema) ? tool.input_schema.required : undefined;
  return Array.isArray(required) && required.length > 0;
}

function skipLayout(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

/** What a call written as bare JSON holds besides its name: its arguments, under either key. */
const BARE_ARGUMENT_KEYS = ["arguments", "parameters"];

/**
 * The call a Hermes/Qwen JSON object spells, or `null`. `bare`: the object came with no tag
 * around it, so it must hold the name and its arguments (one key of them) and nothing else: a
 * JSON answer that says more (a tool's own definition, say), or only a name, is no call.
 */
export function jsonCall(
  body: string,
  tools: ReadonlyMap<string, OfferedTool>,
  bare = false,
): TextToolCall | null {
  const value = parseJson(body);
  if (!isRecord(value) || typeof value.name !== "string" || !tools.has(value.name)) return null;
  if (bare && !onlyNameAndArguments(value)) return null;
  let args: unknown = value.arguments ?? value.parameters ?? {};
  if (typeof args === "string") args = parseJson(args);
  return isRecord(args) ? { name: value.name, input: args } : null;
}

function onlyNameAndArguments(value: Record<string, unknown>): boolean {
  let argumentKeys = 0;
  for (const key in value) {
    if (BARE_ARGUMENT_KEYS.includes(key)) argumentKeys++;
    else if (key !== "name") return false;
  }
  return argumentKeys === 1;
}

/** The call `raw` (one whole `<tool_call>` or `<function=` span) spells, or `null`. */
export function parseTextToolCall(
  raw: string,
  tools: ReadonlyMap<string, OfferedTool>,
): TextToolCall | null {
  let body = raw.trim();
  const wrapped = WRAPPED.exec(body);
  if (wrapped) body = wrapped[1]!.trim();
  if (body.startsWith("<function=")) return xmlCall(body, tools);
  // Hermes JSON is an object; GLM's form opens with the tool's bare name.
  return wrapped && !body.startsWith("{") ? glmCall(body, tools) : jsonCall(body, tools);
}

// Kimi K2: one section holds any number of calls, each `<id><argument token><JSON>` between
// call tokens. The id is `functions.<name>:<n>` (some servers drop `functions.`); `n` counts
// the conversation's calls and is no tool_use id, so ccp mints its own.
const KIMI_CALL_BEGIN = "<|tool_call_begin|>";
const KIMI_ARGUMENT_BEGIN = "<|tool_call_argument_begin|>";
const KIMI_CALL_END = "<|tool_call_end|>";
const KIMI_ID = /^(?:functions\.)?([^\s<>:]+):\d+$/;

function kimiCall(
  id: string,
  args: string,
  tools: ReadonlyMap<string, OfferedTool>,
): TextToolCall | null {
  const m = KIMI_ID.exec(id.trim());
  const tool = m ? tools.get(m[1]!) : undefined;
  if (!tool || args.includes(KIMI_CALL_BEGIN)) return null;
  // A tool without parameters may be called with nothing after the argument token.
  const input = args.trim() === "" ? {} : parseJson(args.trim());
  return isRecord(input) ? { name: tool.name, input } : null;
}

/**
 * The calls of a Kimi K2 section's inside, or `null` unless it is only calls and layout
 * (then the whole section stays text, unchanged). A section with no call gives none.
 */
function kimiSection(
  body: string,
  tools: ReadonlyMap<string, OfferedTool>,
): TextToolCall[] | null {
  const calls: TextToolCall[] = [];
  let at = 0;
  for (;;) {
    while (at < body.length && /\s/.test(body[at]!)) at++;
    if (at === body.length) return calls;
    if (!body.startsWith(KIMI_CALL_BEGIN, at)) return null;
    const argsAt = body.indexOf(KIMI_ARGUMENT_BEGIN, at);
    const endAt = body.indexOf(KIMI_CALL_END, at);
    if (argsAt === -1 || endAt === -1 || argsAt > endAt) return null;
    const call = kimiCall(
      body.slice(at + KIMI_CALL_BEGIN.length, argsAt),
      body.slice(argsAt + KIMI_ARGUMENT_BEGIN.length, endAt),
      tools,
    );
    if (!call) return null;
    calls.push(call);
    at = endAt + KIMI_CALL_END.length;
  }
}

/** A text form: the marker that opens a span, the tag that closes it, and how it reads. */
export interface TextToolFormat {
  readonly open: string;
  readonly close: string;
  /** The calls one whole span (from `open` through `close`) holds, or `null`: it is text. */
  readonly parse: (raw: string, tools: ReadonlyMap<string, OfferedTool>) => TextToolCall[] | null;
  /**
   * The calls of a span the stream left open, or `null` (it is text); absent: always text.
   * Only a form whose calls end with their own tokens can say a call is whole without `close`.
   */
  readonly parseUnclosed?: (
    raw: string,
    tools: ReadonlyMap<string, OfferedTool>,
  ) => TextToolCall[] | null;
  /**
   * True when `head`, the start of a span still open, begins as a call of an offered tool does
   * (its name and where its arguments start): a span so begun is worth waiting for however long
   * its arguments run, where prose that only mentions the marker is not.
   */
  readonly underway: (head: string, tools: ReadonlyMap<string, OfferedTool>) => boolean;
}

/** How much of an open span's start {@link TextToolFormat.underway} is given. */
export const CALL_HEAD_CHARS = 1024;

const JSON_HEAD =
  /^<tool_call>\s*\{\s*"name"\s*:\s*"([^"\\]+)"\s*,\s*"(?:arguments|parameters)"\s*:/;
const XML_HEAD = /^(?:<tool_call>\s*)?<function=([^>\s]+)>/;
const GLM_HEAD = /^<tool_call>\s*([^\s<>]+)\s*<arg_key>[^<]*<\/arg_key>\s*<arg_value>/;
const KIMI_HEAD =
  /^\s*<\|tool_call_begin\|>\s*(?:functions\.)?([^\s<>:]+):\d+\s*<\|tool_call_argument_begin\|>/;

/** True when `pattern` matches `text` and names an offered tool in its first group. */
function namesTool(
  pattern: RegExp,
  text: string,
  tools: ReadonlyMap<string, OfferedTool>,
): boolean {
  const name = pattern.exec(text)?.[1];
  return name !== undefined && tools.has(name);
}

function single(raw: string, tools: ReadonlyMap<string, OfferedTool>): TextToolCall[] | null {
  const call = parseTextToolCall(raw, tools);
  return call ? [call] : null;
}

function kimiFormat(open: string, close: string): TextToolFormat {
  return {
    open,
    close,
    parse: (raw, tools) => kimiSection(raw.slice(open.length, raw.length - close.length), tools),
    // Every call already ended with its own token; only the section's end is missing (a server
    // stopping on it, a stream cut after it). A call cut before its end token could be a
    // truncated command, so then the whole section stays text.
    parseUnclosed: (raw, tools) => {
      const body = raw.slice(open.length).trimEnd();
      return kimiSection(body.slice(0, body.length - partialTagSuffix(body, close)), tools);
    },
    underway: (head, tools) => namesTool(KIMI_HEAD, head.slice(open.length), tools),
  };
}

/**
 * Kimi K2's section forms. The only ones looked for in reasoning: K2 Thinking at times writes its
 * real calls there, while a `<tool_call>` in reasoning is more often a draft the model thinks over.
 */
export const KIMI_TEXT_TOOL_FORMATS: readonly TextToolFormat[] = [
  kimiFormat("<|tool_calls_section_begin|>", "<|tool_calls_section_end|>"),
  // Some Kimi K2 builds write the section tokens in the singular.
  kimiFormat("<|tool_call_section_begin|>", "<|tool_call_section_end|>"),
];

/** Every text form recognised, in no particular order (the earliest marker in text wins). */
export const TEXT_TOOL_FORMATS: readonly TextToolFormat[] = [
  {
    open: "<tool_call>",
    close: "</tool_call>",
    parse: single,
    underway: (head, tools) =>
      namesTool(JSON_HEAD, head, tools) || namesTool(XML_HEAD, head, tools) ||
      namesTool(GLM_HEAD, head, tools),
  },
  {
    open: "<function=",
    close: "</function>",
    parse: single,
    underway: (head, tools) => namesTool(XML_HEAD, head, tools),
  },
  ...KIMI_TEXT_TOOL_FORMATS,
];
