import assert from "node:assert/strict";
import { ControlTokenFilter } from "../../../src/translate/openai_chat/control_tokens.ts";
import {
  type TextToolSegment,
  TextToolSplitter,
} from "../../../src/translate/openai_chat/text_tool_splitter.ts";
import { TEXT_TOOL_FORMATS } from "../../../src/translate/openai_chat/text_tool_parse.ts";

const TOOLS = [{ name: "Bash" }];

function run(splitter: TextToolSplitter, pieces: readonly string[]): TextToolSegment[] {
  return [...pieces.flatMap((p) => splitter.push(p)), ...splitter.flush()];
}

Deno.test("TextToolSplitter", async (t) => {
  await t.step(
    "hold-back is bounded: past the limit held text not begun as a call is released",
    () => {
      // Rm is not offered: this span cannot become a call.
      const s = new TextToolSplitter(TOOLS, { held: 50 });
      const first = s.push('<tool_call>{"name": "Rm", "arguments": ');
      assert.deepEqual(first, [], "held while it may still be a call");
      const next = s.push('{"command": "x"}');
      assert.deepEqual(next, [{
        kind: "text",
        text: '<tool_call>{"name": "Rm", "arguments": {"command": "x"}',
      }]);
      assert.equal(s.holding, false);
      assert.deepEqual(run(s, ["}</tool_call> ok"]), [{ kind: "text", text: "}</tool_call> ok" }]);
    },
  );
  await t.step("a span begun as a call is held past that limit, up to the call limit", () => {
    const command = "x".repeat(400);
    const call = `<tool_call>{"name": "Bash", "arguments": {"command": "${command}"}}</tool_call>`;
    const segments = run(new TextToolSplitter(TOOLS, { held: 50, call: 500 }), [...call]);
    assert.deepEqual(segments, [{ kind: "call", call: { name: "Bash", input: { command } } }]);

    // Past the call limit it is text: what was held in one segment, then each piece as it comes.
    const long = run(new TextToolSplitter(TOOLS, { held: 50, call: 300 }), [...call]);
    assert.equal(long.every((g) => g.kind === "text"), true);
    assert.equal(long[0]?.kind === "text" && long[0].text.length, 301);
    assert.equal(long.map((g) => g.kind === "text" ? g.text : "").join(""), call);
  });
  await t.step("what begins as a call, for each form", () => {
    const tools = new Map([["Bash", { name: "Bash" }]]);
    const [hermes, fn, kimi] = [
      TEXT_TOOL_FORMATS[0]!,
      TEXT_TOOL_FORMATS[1]!,
      TEXT_TOOL_FORMATS[2]!,
    ];
    assert.equal(hermes.underway('<tool_call>\n{"name": "Bash", "arguments": {"comm', tools), true);
    assert.equal(hermes.underway('<tool_call>{"name":"Bash","parameters":{', tools), true);
    assert.equal(hermes.underway("<tool_call>\n<function=Bash>\n<parameter=comm", tools), true);
    assert.equal(hermes.underway('<tool_call>{"name": "Rm", "arguments": {', tools), false);
    assert.equal(hermes.underway('<tool_call>{"name": "Bash"', tools), false, "no arguments yet");
    assert.equal(hermes.underway("<tool_call> tags wrap a call, as in", tools), false);
    assert.equal(fn.underway("<function=Bash><parameter=command>", tools), true);
    assert.equal(fn.underway("<function=Rm><parameter=command>", tools), false);
    assert.equal(
      kimi.underway(
        "<|tool_calls_section_begin|> <|tool_call_begin|>functions.Bash:0" +
          '<|tool_call_argument_begin|>{"comm',
        tools,
      ),
      true,
    );
    assert.equal(
      kimi.underway(
        "<|tool_calls_section_begin|><|tool_call_begin|>Rm:3<|tool_call_argument_begin|>",
        tools,
      ),
      false,
    );
  });
  await t.step("a long call streamed one character at a time is one call", () => {
    const s = new TextToolSplitter(TOOLS);
    const command = "x".repeat(20_000);
    const text =
      `ok <tool_call>{"name": "Bash", "arguments": {"command": "${command}"}}</tool_call>` +
      " then <function=Bash><parameter=command>ls</parameter></function>!";
    const segments = run(s, [...text]);
    const texts = segments.flatMap((g) => g.kind === "text" ? [g.text] : []).join("");
    const calls = segments.flatMap((g) => g.kind === "call" ? [g.call] : []);
    assert.equal(texts, "ok then !");
    assert.deepEqual(calls, [
      { name: "Bash", input: { command } },
      { name: "Bash", input: { command: "ls" } },
    ]);
  });
  await t.step("a partial marker at the end of a piece is held, then released as text", () => {
    const s = new TextToolSplitter(TOOLS);
    assert.deepEqual(s.push("a <tool_ca"), [{ kind: "text", text: "a " }]);
    assert.deepEqual(s.push("t"), [{ kind: "text", text: "<tool_cat" }]);
    assert.deepEqual(run(s, ["x <func"]), [{ kind: "text", text: "x " }, {
      kind: "text",
      text: "<func",
    }]);
  });
});

Deno.test("ControlTokenFilter holds a possible token prefix only", () => {
  const f = new ControlTokenFilter();
  assert.equal(f.push("ok<|eo"), "ok");
  assert.equal(f.push("t_id|>!"), "!");
  assert.equal(f.push("x <|not"), "x <|not");
  assert.equal(f.push("<｜end▁of"), "");
  assert.equal(f.push("▁sentence｜>"), "");
  assert.equal(f.flush(), "");
});
