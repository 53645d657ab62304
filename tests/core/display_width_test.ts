/** The terminal columns a name takes, by which ccp's tables pad their cells. */

import assert from "node:assert/strict";
import { displayWidth, padEndColumns, padStartColumns } from "../../src/core/display_width.ts";

Deno.test("display width: East Asian wide and fullwidth take two columns, marks none", () => {
  const cases: [string, number][] = [
    ["", 0],
    ["qwen3-coder", 11],
    ["モデル", 6], // katakana
    ["通义千问", 8], // CJK ideographs
    ["한국어", 6], // Hangul syllables
    ["\u1100\u1161\u11a8", 2], // Hangul from conjoining Jamo: one syllable
    ["ｆｕｌｌ", 8], // fullwidth Latin
    ["e\u0301cole", 5], // a combining acute accent
    ["a\u200bb", 2], // a zero-width space
    ["ñ", 1],
    ["Ω", 1],
    ["x中y", 4],
  ];
  for (const [text, width] of cases) assert.equal(displayWidth(text), width, JSON.stringify(text));
});

Deno.test("display width: an emoji takes two columns, however many code points make it", () => {
  const cases: [string, number][] = [
    ["🚀", 2],
    ["👍🏽", 2], // a skin tone
    ["👨‍👩‍👧", 2], // joined by ZWJ
    ["🇯🇵", 2], // a flag
    ["❤️", 2], // text pictograph made emoji by U+FE0F
    ["❤", 1], // the same, drawn as text
    ["1️⃣", 2], // a keycap
    ["©", 1],
    ["m🚀x", 4],
  ];
  for (const [text, width] of cases) assert.equal(displayWidth(text), width, JSON.stringify(text));
});

Deno.test("padding by columns", () => {
  assert.equal(padEndColumns("モデル", 8), "モデル  ");
  assert.equal(padStartColumns("🚀", 4), "  🚀");
  assert.equal(padEndColumns("too wide", 3), "too wide");
});
