import assert from "node:assert/strict";
import { ControlTokenFilter } from "../../../src/translate/openai_chat/control_tokens.ts";
import {
  type TextToolSegment,
  TextToolSplitter,
} from "../../../src/translate/openai_chat/text_tool_splitter.ts";

const TOOLS = [{ name: "Bash" }];

function run(splitter: TextToolSplitter, pieces: readonly string[]): TextToolSegment[] {
  return [...pieces.flatMap((p) => splitter.push(p)), ...splitter.flush()];
}

Deno.test("TextToolSplitter", async (t) => {
  await t.step("hold-back is bounded: past the limit the held text is released", () => {
    const s = new TextToolSplitter(TOOLS, 50);
    const first = s.push('<tool_call>{"name": "Bash", "arguments": ');
    assert.deepEqual(first, [], "held while it may still be a call");
    const next = s.push('{"command": "x"}');
    assert.deepEqual(next, [{
      kind: "text",
      text: '<tool_call>{"name": "Bash", "arguments": {"command": "x"}',
    }]);
    assert.equal(s.holding, false);
    assert.deepEqual(run(s, ["}</tool_call> ok"]), [{ kind: "text", text: "}</tool_call> ok" }]);
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
