/**
 * Which call a streamed tool-call fragment belongs to when the server does not say it plainly:
 * one index for every call, no ids, no index at all, the name in every fragment. Recorded-style
 * streams of these shapes are in stream_fixtures_test.ts; these are the rules one by one.
 */

import assert from "node:assert/strict";
import type { AnthropicMessage } from "../../../src/protocols/anthropic.ts";
import type { ChatToolCallDelta } from "../../../src/protocols/openai_chat.ts";
import { delta, DONE, message } from "./_translator.ts";

/** One fragment per chunk, then the finish. */
function calls(fragments: ChatToolCallDelta[]): unknown[] {
  const m: AnthropicMessage = message([
    ...fragments.map((f) => delta({ tool_calls: [f] })),
    delta({}, "tool_calls"),
    DONE,
  ]);
  return m.content.map((b) => b.type === "tool_use" ? [b.name, b.input] : b.type);
}

const at0 = (name: string | undefined, args: string): ChatToolCallDelta => ({
  index: 0,
  function: { ...(name === undefined ? {} : { name }), arguments: args },
});

Deno.test("tool-call fragments on one reused index", async (t) => {
  await t.step("the name in every fragment, and once more at the end, is one call", () => {
    assert.deepEqual(
      calls([at0("Read", '{"file_path":'), at0("Read", '"/a"}'), at0("Read", "")]),
      [["Read", { file_path: "/a" }]],
    );
  });
  await t.step("the same name repeated, then new arguments, is a second call", () => {
    assert.deepEqual(
      calls([
        at0("Read", ""),
        at0(undefined, '{"a":1}'),
        at0("Read", ""),
        at0(undefined, '{"a":2}'),
      ]),
      [["Read", { a: 1 }], ["Read", { a: 2 }]],
    );
  });
  await t.step("a new name begins a call even before its arguments", () => {
    assert.deepEqual(
      calls([at0("Read", '{"a":1}'), at0("Glob", ""), at0(undefined, '{"p":"*"}')]),
      [["Read", { a: 1 }], ["Glob", { p: "*" }]],
    );
  });
  await t.step("a name after complete arguments names the call that had none", () => {
    assert.deepEqual(calls([at0(undefined, '{"a":1}'), at0("Edit", "")]), [["Edit", { a: 1 }]]);
  });
  await t.step("the complete arguments sent again, with the name, are no second call", () => {
    assert.deepEqual(
      calls([at0("Read", '{"a":1}'), at0("Read", '{"a": 1}')]),
      [["Read", { a: 1 }]],
    );
  });
  await t.step("whitespace after complete arguments is no new call", () => {
    assert.deepEqual(calls([at0("Read", '{"a":1}'), at0(undefined, "\n ")]), [["Read", { a: 1 }]]);
  });
  await t.step("arguments with no name announced never join complete ones into broken JSON", () => {
    // A call with no name cannot run: the first call stays whole, the orphan is left out.
    assert.deepEqual(
      calls([at0("Read", '{"a":1}'), at0(undefined, '{"b":'), at0(undefined, "2}")]),
      [["Read", { a: 1 }]],
    );
  });
  await t.step("a fresh id in every fragment of one call, named or not, is that call", () => {
    const part = (id: string, name: string, args: string): ChatToolCallDelta => ({
      index: 0,
      id,
      function: { name, arguments: args },
    });
    assert.deepEqual(
      calls([part("1", "Bash", ""), part("2", "", '{"command"'), part("3", "Bash", ':"ls"}')]),
      [["Bash", { command: "ls" }]],
    );
  });
  await t.step("ids on a reused index still decide, whatever the names", () => {
    assert.deepEqual(
      calls([
        { index: 0, id: "c1", function: { name: "Read", arguments: '{"a":1}' } },
        { index: 0, id: "c2", function: { name: "Read", arguments: '{"a":1}' } },
        { index: 0, id: "c2", function: { name: "Read", arguments: "" } },
      ]),
      [["Read", { a: 1 }], ["Read", { a: 1 }]],
    );
  });
});

Deno.test("tool-call fragments with no index and no id", async (t) => {
  const bare = (name: string | undefined, args: string): ChatToolCallDelta => ({
    type: "function",
    function: { ...(name === undefined ? {} : { name }), arguments: args },
  });
  await t.step("a repeat of the name with no arguments after the call is no call", () => {
    assert.deepEqual(
      calls([bare("Bash", '{"command":"ls"}'), bare("Bash", "")]),
      [["Bash", { command: "ls" }]],
    );
  });
  await t.step("OpenAI's shape, name first, arguments after, twice", () => {
    assert.deepEqual(
      calls([
        bare("Bash", ""),
        bare(undefined, '{"command":"ls"}'),
        bare("Bash", ""),
        bare(undefined, '{"command":"pwd"}'),
      ]),
      [["Bash", { command: "ls" }], ["Bash", { command: "pwd" }]],
    );
  });
});

Deno.test("a server's last flush of the arguments it parsed (vLLM's tool parsers)", async (t) => {
  await t.step("the whole arguments after their first brace add only what is new", () => {
    assert.deepEqual(
      calls([at0("get_weather", "{"), at0(undefined, '{"city":"Seattle"}')]),
      [["get_weather", { city: "Seattle" }]],
    );
  });
  await t.step("an empty object after complete arguments is left out", () => {
    assert.deepEqual(
      calls([at0("get_weather", '{"city":"Paris"}'), at0(undefined, "{}")]),
      [["get_weather", { city: "Paris" }]],
    );
    // with the call's id, type and name sent again, as vLLM's last chunk does
    const again = { index: 0, id: "c1", type: "function" };
    assert.deepEqual(
      calls([
        { ...again, function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { ...again, function: { name: "get_weather", arguments: "{}" } },
      ]),
      [["get_weather", { city: "Paris" }]],
    );
  });
});
