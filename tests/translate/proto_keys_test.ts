/**
 * Names that every object inherits (`constructor`, `toString`, `__proto__`) written by a model, a
 * client or an upstream are plain names: a tool call's parameter keeps its value, and a schema's
 * `required` or `type`, a finish reason or a beta is not taken as known because
 * `Object.prototype` has a member of that name.
 */

import assert from "node:assert/strict";
import { parseTextToolCall } from "../../src/translate/openai_chat/text_tool_parse.ts";
import { moonshotParameters } from "../../src/translate/openai_chat/moonshot_schema.ts";
import { toGeminiParameters, toGeminiSchema } from "../../src/translate/gemini/schema.ts";
import { ReasoningCapture } from "../../src/translate/reasoning/capture.ts";
import { decodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";
import { stopReasonOf } from "../../src/translate/openai_chat/stream_end.ts";
import { finishNeedsNote, finishNote } from "../../src/translate/gemini/usage.ts";
import { fieldsNeeding } from "../../src/upstream/cleaning/beta_parts.ts";
import { toFunctionParameters } from "../../src/translate/openai_chat/schema.ts";
import { without } from "../../src/upstream/cleaning/types.ts";
import { withStandardProto } from "../helpers/standard_proto.ts";

/** A value as a client's JSON holds it: `__proto__` as an own key. */
const fromJson = <T>(text: string): T => JSON.parse(text) as T;

/** An object built from client or model text that holds `__proto__` as a key, not a prototype. */
function assertOwnProto(value: unknown, expected: string, where: string): void {
  assert.ok(typeof value === "object" && value !== null, where);
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${where}: prototype kept`);
  assert.ok(Object.hasOwn(value, "__proto__"), `${where}: __proto__ is a key`);
  assert.equal(
    JSON.stringify(Object.getOwnPropertyDescriptor(value, "__proto__")?.value),
    expected,
    where,
  );
}

Deno.test("text tool call: a <function=...> parameter named __proto__ keeps its value", () => {
  const schema = fromJson<unknown>(
    '{"type":"object","properties":{"__proto__":{"type":"object"},"path":{"type":"string"}}}',
  );
  const tools = new Map([["Write", { name: "Write", input_schema: schema }]]);
  withStandardProto(() => {
    const call = parseTextToolCall(
      '<function=Write>\n<parameter=path>\na.txt\n</parameter>\n<parameter=__proto__>\n{"isAdmin": true}\n</parameter>\n</function>',
      tools,
    );
    assert.ok(call);
    assert.equal((call.input as { isAdmin?: boolean }).isAdmin, undefined, "no inherited member");
    assertOwnProto(call.input, '{"isAdmin":true}', "input");
    assert.equal(JSON.stringify(call.input), '{"path":"a.txt","__proto__":{"isAdmin":true}}');
  });
  // A `constructor` parameter with no schema entry is text, not read through Object's own.
  const plain = parseTextToolCall(
    "<function=Write><parameter=constructor>[1]</parameter></function>",
    tools,
  );
  assert.equal(JSON.stringify(plain?.input), '{"constructor":"[1]"}');
});

Deno.test("tool schemas and bodies: a member named __proto__ stays a member", () => {
  const schema = () =>
    fromJson<Record<string, unknown>>(
      '{"$schema":"x","type":"object","properties":{"__proto__":{"type":"string","format":"uri"},"b":{"type":"integer"}},"required":["b"]}',
    );
  withStandardProto(() => {
    const chat = toFunctionParameters(schema(), ["$schema", "format"]);
    assertOwnProto(chat.properties, '{"type":"string"}', "Chat");
    const kimi = moonshotParameters(
      fromJson('{"type":"object","properties":{"__proto__":{"type":"string"},"e":{"enum":["a"]}}}'),
    );
    assertOwnProto(kimi.properties, '{"type":"string"}', "Kimi");
    assertOwnProto(toGeminiSchema(schema())?.properties, '{"type":"STRING"}', "Gemini");
    const union = toGeminiParameters(fromJson(
      '{"anyOf":[{"type":"object","properties":{"__proto__":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"string"}}}]}',
    ));
    assertOwnProto(union?.properties, '{"type":"STRING"}', "Gemini union");
    const merged = toGeminiSchema(fromJson(
      '{"allOf":[{"type":"object","properties":{"__proto__":{"type":"string"}}},{"properties":{"b":{"type":"string"}}}]}',
    ));
    assertOwnProto(merged?.properties, '{"type":"STRING"}', "Gemini allOf");
    const body = without(fromJson('{"model":"m","__proto__":{"stream":true},"x":1}'), ["x"]);
    assert.equal(body.stream, undefined, "no inherited stream");
    assertOwnProto(body, '{"stream":true}', "body");
    const capture = new ReasoningCapture();
    capture.add("reasoning_details", [
      fromJson('{"index":0,"type":"reasoning.text","text":"a"}'),
      fromJson('{"index":0,"__proto__":{"format":"y"}}'),
    ]);
    const item = decodeCcpSignature(capture.signature("p", "m"))?.details?.[0];
    assertOwnProto(item, '{"format":"y"}', "reasoning detail");
  });
});

Deno.test("Kimi and Gemini schemas: a required name only an object's prototype has is dropped", () => {
  const schema = () =>
    fromJson<Record<string, unknown>>(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"b":{"type":"integer"}},"required":["__proto__","b","constructor","toString"]}',
    );
  // Moonshot refuses a required name that no property defines.
  assert.deepEqual(moonshotParameters(schema()).required, ["__proto__", "b"]);
  assert.deepEqual(toGeminiSchema(schema())?.required, ["__proto__", "b"]);
});

Deno.test("Gemini schemas: a type named like an Object member is no type", () => {
  const out = toGeminiSchema(fromJson(
    '{"type":"object","properties":{"a":{"type":"constructor","description":"d"},"b":{"type":["toString","integer"]}}}',
  ));
  assert.deepEqual(out?.properties, {
    a: { type: "STRING", description: "d" },
    b: { type: "INTEGER" },
  });
});

Deno.test("reasoning details: a member named constructor in a later fragment is kept", () => {
  const capture = new ReasoningCapture();
  capture.add("reasoning_details", [
    fromJson('{"index":0,"type":"reasoning.text","text":"a"}'),
    fromJson('{"index":0,"text":"b","constructor":"x"}'),
  ]);
  const item = decodeCcpSignature(capture.signature("p", "m"))?.details?.[0];
  assert.equal(
    JSON.stringify(item),
    '{"index":0,"type":"reasoning.text","text":"ab","constructor":"x"}',
  );
});

Deno.test("finish reasons and betas named like Object members map to nothing", () => {
  const chat = stopReasonOf({
    finish: "toString",
    toolBlocks: 0,
    matched: undefined,
    stopSequences: [],
  });
  assert.equal(chat.reason, "end_turn");
  // Gemini: an unknown reason is explained in words, never with Object's source text.
  assert.equal(finishNeedsNote("constructor"), true);
  assert.equal(
    finishNote("constructor", undefined),
    "[Gemini ended the answer with finishReason constructor]",
  );
  assert.deepEqual(fieldsNeeding(["constructor", "context-management-2025-06-27"]), [
    "context_management",
  ]);
});
