/**
 * Property: a request of hostile shape — awkward Unicode (lone surrogates, NUL, BOM, line and
 * paragraph separators, bidi controls, long combining runs) in any string or key of a Claude
 * Code-shaped request, or arrays tens of thousands long — gets a 2xx or an Anthropic-shaped 4xx,
 * never a 500, in bounded time, on every wire protocol. Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { claudeCodeRequest } from "../translate/_claude_code_request.ts";
import { paths, replaced } from "../helpers/odd_values.ts";
import { seeded } from "../helpers/random.ts";
import { cpuTimed } from "../helpers/cpu_time.ts";
import { app, assertAnswer, base, MODELS, post } from "./_fuzz_app.ts";

// Strings that are valid JSON (JSON.stringify escapes a lone surrogate) but odd as text.
const ODD_TEXT = [
  "\ud800",
  "\udfff",
  "a\ud83d",
  "\ude00b",
  "\ud83d\ude00",
  "\u0000",
  "\u2028\u2029",
  "\ufeff",
  "\uffff\ufffe",
  "\u202eevil",
  "e" + "\u0301".repeat(2000),
  "\ud835\udd4f",
  "\u{1F469}\u200d\u{1F4BB}",
  "\r\n\r",
  '"\\',
  "</think>",
  "<tool_call>",
  "",
  " ",
];

const PATHS = ["/v1/messages", "/v1/messages/count_tokens"];

/** `value` with an odd key added to the object at `path` (or nothing when it is no object). */
function withKey(value: unknown, path: (string | number)[], key: string): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node: unknown = copy;
  for (const k of path) node = (node as Record<string | number, unknown>)[k];
  if (node && typeof node === "object" && !Array.isArray(node)) {
    (node as Record<string, unknown>)[key] = key;
  }
  return copy;
}

Deno.test("property: odd Unicode in any string or key of a Claude Code request is never a 500", async (t) => {
  const server = app();
  const random = seeded(0xc0de);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const request = claudeCodeRequest("sig") as unknown as Record<string, unknown>;
  const all = paths(request).filter((p) => p[0] !== "model");
  const strings = all.filter((p) => typeof pathValue(request, p) === "string");
  for (const model of MODELS) {
    await t.step(model, async () => {
      for (let run = 0; run < 100; run++) {
        let body: unknown = { ...request, model: base(model).model };
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
          body = random() < 0.75
            ? replaced(body, pick(strings), pick(ODD_TEXT) + pick(ODD_TEXT))
            : withKey(body, pick(all), pick(ODD_TEXT));
        }
        const path = pick(PATHS);
        const { status, text } = await post(server, path, body as Record<string, unknown>);
        assertAnswer(status, text, `${model} ${path} run ${run}: ${JSON.stringify(body)}`);
      }
    });
  }
});

function pathValue(value: unknown, path: (string | number)[]): unknown {
  let node = value;
  for (const k of path) node = (node as Record<string | number, unknown>)[k];
  return node;
}

const N = 20_000;
const ids = Array.from({ length: N }, (_, i) => `toolu_${i}`);
const uses = ids.map((id) => ({ type: "tool_use", id, name: "Bash", input: { command: id } }));
const results = ids.map((id) => ({ type: "tool_result", tool_use_id: id, content: "ok" }));

// Arrays far longer than any real request's, each where ccp walks one.
const HUGE: Record<string, Record<string, unknown>> = {
  "messages": {
    messages: Array.from({ length: N + 1 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: `turn ${i}`,
    })),
  },
  "blocks of one turn": {
    messages: [{
      role: "user",
      content: Array.from({ length: N }, () => ({ type: "text", text: "x" })),
    }],
  },
  "tools": {
    tools: Array.from({ length: N }, (_, i) => ({
      name: `tool_${i}`,
      input_schema: { type: "object" },
    })),
  },
  "tools of one name": {
    tools: Array.from({ length: N }, () => ({ name: "t", input_schema: { type: "object" } })),
  },
  "stop sequences": { stop_sequences: Array.from({ length: N }, (_, i) => `stop ${i}`) },
  "schema properties": {
    tools: [{
      name: "t",
      input_schema: {
        type: "object",
        properties: Object.fromEntries(ids.map((id) => [id, { type: "string", enum: ["a"] }])),
        required: ids,
      },
    }],
  },
  "parallel tool calls and results": {
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: uses },
      { role: "user", content: results },
    ],
  },
  "results reversed, one missing": {
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: uses },
      { role: "user", content: results.slice(1).reverse() },
    ],
  },
  "tool calls without results, then another turn of them": {
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: uses },
      { role: "assistant", content: uses },
      { role: "user", content: "and?" },
    ],
  },
};

Deno.test("arrays tens of thousands long get an answer in bounded time, never a 500", async (t) => {
  const server = app();
  for (const model of MODELS) {
    await t.step(model, async () => {
      for (const [name, over] of Object.entries(HUGE)) {
        for (const path of PATHS) {
          // ccp and its upstream run on this thread: its CPU time is the work, where the clock
          // also counts the rest of a busy machine (7.6 s at a load of 37). `post` catches a hang.
          const { value: { status, text }, ms } = await cpuTimed(() =>
            post(server, path, { ...base(model), ...over })
          );
          assertAnswer(status, text, `${model} ${path} ${name}`);
          // A walk in the square of the array, not slowness: ~1 s of CPU at most.
          assert.ok(ms < 5_000, `${model} ${path} ${name}: ${ms.toFixed(0)} ms of CPU`);
        }
      }
    });
  }
});
