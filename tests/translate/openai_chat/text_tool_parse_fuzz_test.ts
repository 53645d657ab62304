/**
 * Property: a `<function=...>` call written as text reads the same as the pattern-based reader it
 * replaced did (kept here as the reference), whatever mix of parameters, broken tags and prose
 * it holds. And text of tens of thousands of calls, parameters or reasoning spans, or of openers
 * never closed (GLM's key/value form too), is read in time in proportion to its length. Seeded,
 * so a failure reproduces.
 */

import assert from "node:assert/strict";
import {
  type OfferedTool,
  parseTextToolCall,
} from "../../../src/translate/openai_chat/text_tool_parse.ts";
import { TextToolSplitter } from "../../../src/translate/openai_chat/text_tool_splitter.ts";
import { ThinkTagSplitter } from "../../../src/translate/reasoning/think_tags.ts";
import { seeded } from "../../helpers/random.ts";
import { threadCpuMs } from "../../helpers/cpu_time.ts";

const TOOLS = new Map<string, OfferedTool>([
  ["Bash", {
    name: "Bash",
    input_schema: {
      type: "object",
      properties: { command: { type: "string" }, timeout: { type: "number" } },
    },
  }],
]);

/** The reader before: one pattern for any parameter, each match then cut out of the rest. */
function reference(raw: string): unknown {
  let body = raw.trim();
  const wrapped = /^<tool_call>([\s\S]*)<\/tool_call>$/.exec(body);
  if (wrapped) body = wrapped[1]!.trim();
  const m = /^<function=([^>\s]+)>([\s\S]*)<\/function>$/.exec(body);
  if (!m || !TOOLS.has(m[1]!)) return null;
  const input: Record<string, unknown> = {};
  let rest = m[2]!;
  for (const p of m[2]!.matchAll(/<parameter=([^>\s]+)>([\s\S]*?)<\/parameter>/g)) {
    const text = p[2]!.replace(/^\r?\n/, "").replace(/\r?\n$/, "");
    let value: unknown = text;
    if (p[1] === "timeout") {
      try {
        const parsed = JSON.parse(text.trim());
        if (typeof parsed === "number") value = parsed;
      } catch {
        // Not JSON: the text stays.
      }
    }
    input[p[1]!] = value;
    rest = rest.replace(p[0], "");
  }
  return rest.trim() === "" ? { name: m[1], input } : null;
}

const ATOMS = [
  "<parameter=command>",
  "<parameter=timeout>",
  "<parameter=other>",
  "<parameter=a b>",
  "<parameter=>",
  "<parameter=",
  "</parameter>",
  "ls -la",
  "12",
  "\n",
  "  ",
  "x",
  ">",
  "<",
  "</function>",
];

Deno.test("property: a text call's parameters read as the pattern-based reader read them", () => {
  const random = seeded(31337);
  for (let run = 0; run < 3000; run++) {
    const n = Math.floor(random() * 10);
    let inner = "";
    for (let i = 0; i < n; i++) {
      inner += random() < 0.5
        ? `\n<parameter=${random() < 0.5 ? "command" : "timeout"}>\n${
          random() < 0.5 ? "ls" : "30"
        }\n</parameter>`
        : ATOMS[Math.floor(random() * ATOMS.length)]!;
    }
    let raw = `<function=${random() < 0.9 ? "Bash" : "Nope"}>${inner}\n</function>`;
    if (random() < 0.3) raw = `<tool_call>\n${raw}\n</tool_call>`;
    const got = parseTextToolCall(raw, TOOLS);
    assert.deepEqual(got, reference(raw), JSON.stringify(raw));
  }
});

Deno.test("regression: tens of thousands of parameters, or of openers never closed, read in linear time", () => {
  // Each parameter was cut out of a copy of all the rest (40000: 9 s); each opener never closed
  // searched the rest of the call for a close tag.
  const many = "<function=Bash>" + "<parameter=command>x</parameter>\n".repeat(40_000) +
    "</function>";
  const unclosed = "<function=Bash>" + "<parameter=a>".repeat(40_000) + "</function>";
  const began = threadCpuMs();
  assert.deepEqual(parseTextToolCall(many, TOOLS), { name: "Bash", input: { command: "x" } });
  assert.equal(parseTextToolCall(unclosed, TOOLS), null);
  const took = threadCpuMs() - began;
  assert.ok(took < 1_500, `${took.toFixed(0)} ms`);
});

Deno.test("regression: one piece of 40000 text calls, or of reasoning spans, is split in linear time", () => {
  // After each call or span, the rest of the piece was searched to its end again for each
  // marker it does not hold (`<function=`, Kimi's, `<thought>`): 27 s for the calls, 5 s for
  // the spans, as one non-streamed answer or one large delta.
  const calls = '<tool_call>{"name":"Bash","arguments":{"command":"ls"}}</tool_call>'.repeat(
    40_000,
  );
  const spans = "<think>a</think>b".repeat(40_000);
  const began = threadCpuMs();
  const splitter = new TextToolSplitter([...TOOLS.values()]);
  const segments = [...splitter.push(calls), ...splitter.flush()];
  assert.equal(segments.filter((s) => s.kind === "call").length, 40_000);
  const think = new ThinkTagSplitter();
  const parts = [...think.push(spans), ...think.flush()];
  assert.equal(parts.filter((p) => p.thinking).length, 40_000);
  const took = threadCpuMs() - began;
  assert.ok(took < 2_000, `${took.toFixed(0)} ms`);
});

Deno.test("regression: GLM's form with tens of thousands of pairs, or of tags never closed, reads in linear time", () => {
  const many = "<tool_call>Bash" +
    "\n<arg_key>command</arg_key>\n<arg_value>x</arg_value>".repeat(40_000) + "\n</tool_call>";
  const keys = "<tool_call>Bash" + "<arg_key>".repeat(40_000) + "</tool_call>";
  const values = "<tool_call>Bash" + "<arg_key>a</arg_key><arg_value>".repeat(40_000) +
    "</tool_call>";
  const calls = "<tool_call>Bash<arg_key>command</arg_key><arg_value>ls</arg_value></tool_call>"
    .repeat(40_000);
  const began = threadCpuMs();
  assert.deepEqual(parseTextToolCall(many, TOOLS), { name: "Bash", input: { command: "x" } });
  assert.equal(parseTextToolCall(keys, TOOLS), null);
  assert.equal(parseTextToolCall(values, TOOLS), null);
  const splitter = new TextToolSplitter([...TOOLS.values()]);
  const segments = [...splitter.push(calls), ...splitter.flush()];
  assert.equal(segments.filter((s) => s.kind === "call").length, 40_000);
  const took = threadCpuMs() - began;
  assert.ok(took < 2_000, `${took.toFixed(0)} ms`);
});
