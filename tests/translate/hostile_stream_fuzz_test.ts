/**
 * Property, for every translated protocol (Chat Completions, Responses, Gemini): whatever a
 * hostile upstream does to a recorded-style stream — events dropped, repeated, swapped or cut,
 * garbage, errors and `[DONE]` put anywhere, any JSON value replaced by one of another type — the
 * client gets a well-formed Anthropic stream that ends once, ccp never fails on its own (an
 * exception caught by the relay), and the answer does not depend on how the bytes were split.
 * Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { geminiTranslation } from "../../src/translate/gemini/stream.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { responsesTranslation } from "../../src/translate/openai_responses/stream.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import { responsesSse } from "../mocks/responses_wire.ts";
import { assertSound, BASE_OPTIONS, relayedSse, splitAt } from "./_stream_helpers.ts";
import { seeded } from "../helpers/random.ts";
import { paths, replaced } from "../helpers/odd_values.ts";
import { BASH_TOOL } from "./_tools.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOOLS = [BASH_TOOL];

interface Protocol {
  fixtures: string[];
  translation: () => SseTranslation;
}

function readFixtures(dir: string): string[] {
  const url = new URL(`../fixtures/${dir}/`, import.meta.url);
  return [...Deno.readDirSync(url)]
    .filter((e) => e.isFile && e.name.endsWith(".sse"))
    .map((e) => e.name)
    .sort()
    .map((name) => decoder.decode(Deno.readFileSync(new URL(name, url))));
}

const PROTOCOLS: Record<string, Protocol> = {
  "Chat Completions": {
    fixtures: readFixtures("openai"),
    translation: () =>
      openAIChatTranslation({ ...BASE_OPTIONS, dialect: OPENAI_DIALECTS.local, tools: TOOLS }),
  },
  Responses: {
    fixtures: [
      responsesSse({
        items: [
          { kind: "reasoning", summary: ["Plan.", "More."], encrypted: "gAAAA-enc" },
          { kind: "text", text: "Hello — ✓" },
          { kind: "call", name: "Bash", args: '{"command":"ls"}', callId: "call_A" },
          { kind: "call", name: "Bash", args: "", callId: "call_B" },
        ],
        usage: { input: 20, cached: 5, output: 30, reasoning: 10 },
      }, "gpt-5"),
      responsesSse({
        items: [{ kind: "text", text: "cut" }],
        end: { status: "incomplete", reason: "max_output_tokens" },
      }, "gpt-5"),
    ],
    translation: () => responsesTranslation(BASE_OPTIONS),
  },
  Gemini: {
    fixtures: readFixtures("gemini"),
    translation: () => geminiTranslation({ ...BASE_OPTIONS, tools: undefined }),
  },
};

// What a hostile upstream puts between events.
const GARBAGE = [
  "data: {oops",
  "data: [DONE]",
  "data: ",
  "data",
  ": keep-alive",
  "data: null",
  "data: 42",
  'data: "text"',
  "data: []",
  "<html>502 Bad Gateway</html>",
  'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}',
  'data: {"error":{"message":"rate limited","code":429}}',
  'event: error\ndata: {"error":{"message":"boom","type":"server_error"}}',
  'data: {"type":"error","code":"server_error","message":"boom"}',
  'data: {"type":"response.failed","response":{"error":{"message":"failed"}}}',
  'data: {"error":{"code":500,"message":"Internal","status":"INTERNAL"}}',
  'data: {"candidates":[{"finishReason":"STOP"}]}',
];

// Values of another type, put in place of any JSON value.
const ODD = [null, 0, -1, 1.5, 1e308, "", "x", [], [null], {}, true, { a: 1 }, "</think>"];

/** One random change to the stream's events. */
function mutate(events: string[], random: () => number): string[] {
  const pick = (n: number) => Math.floor(random() * n);
  const out = [...events];
  if (out.length === 0) return [GARBAGE[pick(GARBAGE.length)]!];
  const i = pick(out.length);
  switch (pick(6)) {
    case 0:
      out.splice(i, 1);
      break;
    case 1:
      out.splice(i, 0, out[i]!);
      break;
    case 2:
      if (i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      break;
    case 3:
      out.splice(i);
      break;
    case 4:
      out.splice(i, 0, GARBAGE[pick(GARBAGE.length)]!);
      break;
    default: {
      const event = out[i]!;
      const at = event.indexOf("data: ");
      if (at < 0) break;
      let data: unknown;
      try {
        data = JSON.parse(event.slice(at + 6));
      } catch {
        break;
      }
      const all = paths(data);
      const path = all[pick(all.length)]!;
      const value = replaced(data, path, ODD[pick(ODD.length)]);
      out[i] = `${event.slice(0, at)}data: ${JSON.stringify(value)}`;
    }
  }
  return out;
}

for (const [name, protocol] of Object.entries(PROTOCOLS)) {
  Deno.test(`property: a hostile ${name} stream gives a sound Anthropic stream`, async () => {
    const random = seeded(name.length * 7919);
    for (const fixture of protocol.fixtures) {
      const events = fixture.split(/\r?\n\r?\n/).filter((e) => e.trim() !== "");
      for (let run = 0; run < 150; run++) {
        let mutated = events;
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) mutated = mutate(mutated, random);
        const upstream = mutated.map((e) => `${e}\n\n`).join("");
        const bytes = encoder.encode(upstream);
        const reference = await relayedSse([bytes], protocol.translation());
        assertSound(reference, `upstream:\n${upstream}`);
        const cuts = Array.from(
          { length: 1 + Math.floor(random() * 8) },
          () => Math.floor(random() * bytes.length),
        );
        assert.equal(
          await relayedSse(splitAt(bytes, cuts), protocol.translation()),
          reference,
          upstream,
        );
      }
    }
  });
}
