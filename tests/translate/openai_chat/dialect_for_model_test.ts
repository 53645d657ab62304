import assert from "node:assert/strict";
import {
  DEFAULT_OPENAI_DIALECT,
  dialectForModel,
} from "../../../src/translate/openai_chat/dialect.ts";

Deno.test("dialectForModel: a model's patched dialect is made once and given out again", () => {
  const reasoner = dialectForModel(DEFAULT_OPENAI_DIALECT, "deepseek-reasoner");
  assert.notEqual(reasoner, DEFAULT_OPENAI_DIALECT, "a patch matched");
  assert.equal(dialectForModel(DEFAULT_OPENAI_DIALECT, "deepseek-reasoner"), reasoner);
  // A model no patch names runs on the dialect itself.
  assert.equal(dialectForModel(DEFAULT_OPENAI_DIALECT, "plain-model"), DEFAULT_OPENAI_DIALECT);
  // Another dialect (a preset's, a config's) with the same model name is patched from its own knobs.
  const other = { ...DEFAULT_OPENAI_DIALECT, maxStopSequences: 9 };
  const fromOther = dialectForModel(other, "deepseek-reasoner");
  assert.notEqual(fromOther, reasoner);
  assert.equal(fromOther.maxStopSequences, 9);
  assert.deepEqual(fromOther.reasoningSwitch, reasoner.reasoningSwitch);
});

Deno.test("dialectForModel: names past the bound are patched each time, the same way", () => {
  const dialect = { ...DEFAULT_OPENAI_DIALECT };
  for (let i = 0; i < 300; i++) dialectForModel(dialect, `qwq-${i}`);
  const late = dialectForModel(dialect, "qwq-late");
  assert.deepEqual(dialectForModel(dialect, "qwq-late"), late);
  assert.equal(late.reasoningSwitch.kind, dialectForModel(dialect, "qwq-0").reasoningSwitch.kind);
});
