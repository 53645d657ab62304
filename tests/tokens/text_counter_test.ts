import assert from "node:assert/strict";
import { o200kCount } from "../../src/tokens/bpe.ts";
import { countRequestTokens, TextCounter, TokenCache } from "../../src/tokens/mod.ts";
import { EXACT_MAX_CHARS, REQUEST_BPE_BUDGET } from "../../src/tokens/text_counter.ts";
import { o200k } from "./helpers.ts";
import { cpuTimed } from "../helpers/cpu_time.ts";

const PROSE = "Claude Code sends the same system prompt and tool schemas on every turn. ";
const CODE = 'export function add(a: number, b: number): number {\n  return a + b; // "sum"\n}\n';

Deno.test("o200kCount equals the library on ordinary text", () => {
  const schema = JSON.stringify({
    type: "object",
    additionalProperties: false,
    properties: { file_path: { type: "string", description: "The absolute path to the file" } },
  });
  const texts = ["", "a", PROSE, CODE.repeat(50), "日本語のテキスト、中文。", "😀 emoji 🎉"];
  for (const text of [...texts, schema.repeat(40), CODE.replace(/\s+/g, "").repeat(40)]) {
    assert.equal(o200kCount(text), o200k(text));
  }
});

Deno.test("o200kCount stays fast and close on pathological runs", async (t) => {
  // gpt-tokenizer is quadratic in the length of one pre-token (20k "a": 360 ms, 200k: 25 s).
  for (
    const [name, text] of [
      ["letters", "a".repeat(200_000)],
      ["symbols", "=".repeat(200_000)],
      [
        "spaces",
        " ".repeat(200_000),
      ],
      ["emoji", "😀".repeat(50_000)],
      ["accents", "é".repeat(100_000)],
    ] as const
  ) {
    await t.step(name, async () => {
      // CPU time, not the clock: the bound tells linear from quadratic, and a busy machine
      // stretched the clock past it (2 s at a load of 36).
      const { value: n, ms } = await cpuTimed(() => o200kCount(text));
      assert.ok(ms < 2000, `${ms} ms of CPU`);
      const sample = text.slice(0, 2048);
      const exactRatio = o200k(sample) / sample.length;
      // Each 64-character cut may add a token; stay within that slack of the exact rate.
      assert.equal(Math.abs(n - exactRatio * text.length) <= text.length / 64 + 2, true, `${n}`);
    });
  }
});

Deno.test("cache: same counts with and without it, and hits on repeat", () => {
  const cache = new TokenCache(100, 1_000_000);
  const system = PROSE.repeat(800); // ~58 KB, like Claude Code's system prompt and tools
  const body = {
    model: "claude-opus-5-5",
    system: [{ type: "text", text: system }],
    messages: [{ role: "user", content: CODE.repeat(40) }],
    tools: [{ name: "Bash", description: PROSE.repeat(20), input_schema: { type: "object" } }],
  };
  const uncached = countRequestTokens(body, { cache: null });
  const first = countRequestTokens(body, { cache });
  const afterFirst = cache.stats;
  const second = countRequestTokens(body, { cache });
  assert.equal(first, uncached);
  assert.equal(second, uncached);
  assert.equal(cache.stats.hits - afterFirst.hits >= 3, true);
  assert.equal(countRequestTokens(body, { cache, mode: "exact" }), uncached);
});

Deno.test("cache: short texts are cached too (a session resends its tool names every turn)", () => {
  const cache = new TokenCache(100, 1_000_000);
  const turn = (n: number) => [
    { role: "assistant", content: [{ type: "tool_use", id: `t${n}`, name: "Read", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: `t${n}`, content: "ok" }] },
  ];
  const body = { model: "claude-opus-5-5", messages: [{ role: "user", content: "Hi" }] };
  const long = { ...body, messages: [...body.messages, ...turn(1), ...turn(2), ...turn(3)] };
  const uncached = countRequestTokens(long, { cache: null });
  assert.equal(countRequestTokens(long, { cache }), uncached);
  const { hits, misses } = cache.stats;
  assert.equal(countRequestTokens(long, { cache }), uncached);
  // The second count finds every text ("Hi", "Read", "ok", the inputs) in the cache.
  assert.equal(cache.stats.misses, misses);
  assert.equal(cache.stats.hits > hits, true);
});

Deno.test("cache: LRU bounds by entries and characters", () => {
  const cache = new TokenCache(2, 10);
  cache.set("aaaa", 1);
  cache.set("bbbb", 2);
  assert.equal(cache.get("aaaa"), 1); // refreshes "aaaa"
  cache.set("cccc", 3); // evicts "bbbb", the least recently used
  assert.equal(cache.get("bbbb"), undefined);
  assert.equal(cache.get("cccc"), 3);
  cache.set("dddddddd", 4); // 8 chars: "aaaa" must go to stay within 10
  assert.equal(cache.get("aaaa"), undefined);
  cache.set("x".repeat(11), 5); // larger than the whole cache: not stored
  assert.equal(cache.get("x".repeat(11)), undefined);
  assert.deepEqual(cache.stats.entries <= 2 && cache.stats.chars <= 10, true);
  cache.clear();
  assert.deepEqual(cache.stats, { entries: 0, chars: 0, hits: 0, misses: 0 });
});

Deno.test("cache: a full cache answers one text asked for many times in linear time", () => {
  // A request that repeats one text (150,000 one-word messages) once the cache is full: each hit
  // used to leave a deleted slot in the Map's hash chain of that text, so the hits grew
  // quadratic (8.9 s for these 200,000 before; 8 s of blocked event loop for a real request).
  const cache = new TokenCache(32_768, 16 * 1024 * 1024);
  for (let i = 0; i < 32_768; i++) cache.set(`text ${i}`, i);
  cache.set("a", 1);
  const started = performance.now();
  for (let i = 0; i < 200_000; i++) assert.equal(cache.get("a"), 1);
  const took = performance.now() - started;
  assert.ok(took < 1000, `200,000 hits of one text in a full cache took ${Math.round(took)} ms`);
  assert.equal(cache.stats.entries, 32_768);
});

Deno.test("auto mode: sampled estimate for huge texts, then extrapolation", async (t) => {
  const huge = (PROSE + CODE).repeat(4000); // ~620 KB, above EXACT_MAX_CHARS
  const exact = o200kCount(huge);
  assert.equal(huge.length > EXACT_MAX_CHARS, true);
  await t.step("sampled within 3 % of exact", () => {
    const n = new TextCounter("auto", null).count(huge);
    assert.equal(Math.abs(n - exact) / exact < 0.03, true, `${n} vs ${exact}`);
  });
  await t.step("exact mode is exact", () => {
    assert.equal(new TextCounter("exact", null).count(huge), exact);
  });
  await t.step("after the budget, the request's own ratio extrapolates", () => {
    const counter = new TextCounter("auto", null);
    const chunk = (PROSE + CODE).repeat(1000); // ~155 KB → sampled
    let spent = 0;
    while (spent < REQUEST_BPE_BUDGET * 2) {
      counter.count(chunk + spent);
      spent += chunk.length;
    }
    // The fastest of a few: a test file running beside this one may take the core for a while.
    let fastest = Infinity;
    let n = 0;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      n = counter.count(`${huge}${i}`); // a text of its own each time: nothing cached
      fastest = Math.min(fastest, performance.now() - started);
    }
    assert.equal(fastest < 5, true, `${fastest.toFixed(1)} ms`);
    assert.equal(Math.abs(n - exact) / exact < 0.05, true, `${n} vs ${exact}`);
  });
});

Deno.test("sampled estimates are cached for later turns; exact mode ignores them", () => {
  const cache = new TokenCache(10, 10_000_000);
  const huge = (CODE + PROSE).repeat(3000);
  const sampled = new TextCounter("auto", cache).count(huge);
  const hits = cache.stats.hits;
  assert.equal(new TextCounter("auto", cache).count(huge), sampled);
  assert.equal(cache.stats.hits, hits + 1);
  assert.equal(new TextCounter("exact", cache).count(huge), o200kCount(huge));
});
