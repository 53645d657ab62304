import assert from "node:assert/strict";
import {
  countRequestTokens,
  loadO200k,
  maxRequestTokens,
  TokenCache,
} from "../../src/tokens/mod.ts";

await loadO200k();

let rare = ""; // rare CJK: the tokenizer splits each into bytes, over 4 tokens a character
for (let c = 0x3400; c < 0x3400 + 3000; c++) rare += String.fromCharCode(c);
const escapes = '"\\\u0001\u001f\ud800'.repeat(500); // six JSON characters each, at most
const emoji = "🦀🧪👩‍💻".repeat(400);
const prose = "The quick brown fox jumps over the lazy dog. ".repeat(60);
const png =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const user = (content: unknown) => ({ role: "user", content });
const bodies: Array<[string, Record<string, unknown>]> = [
  ["empty", { messages: [] }],
  ["one word", { messages: [user("hi")] }],
  ["prose, system, thinking", {
    system: [{ type: "text", text: prose }],
    thinking: { type: "enabled", budget_tokens: 2000 },
    messages: [user(prose), {
      role: "assistant",
      content: [{ type: "thinking", thinking: prose, signature: "s" }, {
        type: "redacted_thinking",
        data: "A".repeat(4000),
      }],
    }],
  }],
  ["rare CJK", { messages: [user(rare)] }],
  ["escapes and lone surrogates", { messages: [user(escapes)] }],
  ["emoji", { messages: [user(emoji)] }],
  ["tool JSON full of escapes", {
    messages: [{
      role: "assistant",
      content: [{ type: "tool_use", id: "t", name: "Write", input: { [escapes]: escapes } }],
    }, user([{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: rare }] }])],
  }],
  ["many tiny messages", { messages: Array.from({ length: 500 }, () => user("k")) }],
  ["odd messages and blocks", {
    messages: [7, null, "text", user(42), user([7, "s", { type: "mystery", x: [1.5e-300] }])],
  }],
  ["tools: client, server, deferred", {
    tool_choice: { type: "any" },
    tools: [
      ...Array.from(
        { length: 40 },
        (_, i) => ({ name: `t${i}`, input_schema: { type: "object" } }),
      ),
      { type: "computer_20250124", name: "computer", display_width_px: 1024 },
      { type: "bash_20250124", name: "bash" },
      { type: "web_fetch_20250910", name: "web_fetch" },
      { name: "later", defer_loading: true, input_schema: {} },
      "not a tool",
    ],
    messages: [user("go")],
  }],
  ["images and documents without bytes", {
    messages: [user([
      { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
      { type: "image", source: { type: "url", url: "https://x/y.png" } },
      { type: "document", source: { type: "url", url: "https://x/y.pdf" } },
      { type: "document", title: "t", source: { type: "text", data: prose } },
      {
        type: "document",
        source: { type: "content", content: [{ type: "image", source: { type: "file" } }] },
      },
    ])],
  }],
  ["web search results", {
    messages: [{
      role: "assistant",
      content: [{
        type: "web_search_tool_result",
        tool_use_id: "s",
        content: [{
          url: "https://x",
          title: rare.slice(0, 50),
          encrypted_content: "Z".repeat(9000),
        }],
      }],
    }],
  }],
  ["texts past the exact size (sampled)", { messages: [user(rare.repeat(50))] }],
];

const MODELS = ["claude-sonnet-4-5", "claude-opus-4-7", "claude-3-haiku-20240307", "gpt-5"];

Deno.test("maxRequestTokens: never below the count, for any model, mode or cache", () => {
  for (const [name, body] of bodies) {
    for (const model of MODELS) {
      const request = { model, ...body };
      const bound = maxRequestTokens(request);
      const counts = [
        countRequestTokens(request, { cache: null }),
        countRequestTokens(request),
        countRequestTokens(request, { cache: new TokenCache(8, 1_000_000) }),
      ];
      if (JSON.stringify(request).length < 100_000) {
        counts.push(countRequestTokens(request, { mode: "exact", cache: null }));
      }
      for (const count of counts) {
        assert.ok(count <= bound, `${name}, ${model}: counted ${count}, bound ${bound}`);
      }
    }
  }
});

Deno.test("maxRequestTokens: holds when the budget runs out and texts are extrapolated", () => {
  // Dense text spends the exact budget first, so the long plain texts after it are estimated at
  // its ratio of tokens per character: far above what they really hold, still under the bound.
  const request = {
    model: "claude-opus-4-7",
    system: rare.repeat(40),
    messages: Array.from({ length: 6 }, (_, i) => user(`${i} ${"a b ".repeat(30_000)}`)),
  };
  const counted = countRequestTokens(request, { cache: null });
  assert.ok(counted <= maxRequestTokens(request), `${counted} > ${maxRequestTokens(request)}`);
});

Deno.test("maxRequestTokens: a base64 PDF is unbounded (its pages decide), a small request small", () => {
  const pdf = btoa("%PDF-1.7\n1 0 obj << /Linearized 1 /N 900 >> endobj\n");
  const withPdf = {
    model: "claude-sonnet-4-5",
    messages: [user([{ type: "document", source: { type: "base64", data: pdf } }])],
  };
  assert.equal(maxRequestTokens(withPdf), Infinity);
  assert.ok(countRequestTokens(withPdf) > 900 * 2000, "900 pages from a few bytes");
  const small = { model: "claude-sonnet-4-5", messages: [user("Fix the login test.")] };
  assert.ok(maxRequestTokens(small) < 5_000);
});

Deno.test("maxRequestTokens: a threshold check stops early with a value above the threshold", () => {
  const request = { model: "claude-sonnet-4-5", messages: [user(prose), user(rare.repeat(50))] };
  const full = maxRequestTokens(request);
  const early = maxRequestTokens(request, 10_000);
  assert.ok(early > 10_000 && early < full, `${early} vs ${full}`);
  assert.equal(maxRequestTokens(request, full), full, "not passed: the whole bound");
});
