import assert from "node:assert/strict";
import { TOKENS_PER_ENCRYPTED_CHAR } from "../../src/tokens/content.ts";
import { countRequestTokens } from "../../src/tokens/mod.ts";
import { encodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";
import { CURRENT, LEGACY, o200k, PLAIN, plain, userSays } from "./helpers.ts";
import { png, toBase64 } from "./image_fixtures.ts";

const HELLO = "Hello, Claude";

Deno.test("text: a string and a text block count the same", () => {
  assert.equal(plain(userSays(HELLO)), o200k(HELLO));
  assert.equal(plain(userSays([{ type: "text", text: HELLO }])), o200k(HELLO));
  assert.equal(
    plain(userSays([{ type: "text", text: "a" }, { type: "text", text: "b" }])),
    o200k("a") + o200k("b"),
  );
});

Deno.test("system: string, text blocks and role:system messages", () => {
  assert.equal(plain({ system: HELLO, messages: [] }), o200k(HELLO));
  assert.equal(plain({ system: [{ type: "text", text: HELLO, cache_control: {} }] }), o200k(HELLO));
  const inline = { messages: [{ role: "system", content: HELLO }] };
  assert.equal(plain(inline), o200k(HELLO));
  assert.equal(plain(inline, { ...PLAIN, message: 5 }), o200k(HELLO) + 5);
  assert.equal(plain({ system: HELLO }, { ...PLAIN, system: 7 }), o200k(HELLO) + 7);
  assert.equal(plain({ system: [] }, { ...PLAIN, system: 7 }), 0);
});

Deno.test("tool_use: name, input JSON and the per-call overhead", () => {
  const input = { command: "ls -la", timeout: 30 };
  const block = { type: "tool_use", id: "toolu_1", name: "Bash", input };
  const body = { messages: [{ role: "assistant", content: [block] }] };
  const expected = o200k("Bash") + o200k(JSON.stringify(input));
  assert.equal(plain(body), expected);
  assert.equal(plain(body, { ...PLAIN, toolUse: 9 }), expected + 9);
  const server = { ...block, type: "server_tool_use", name: "web_search" };
  assert.equal(
    plain({ messages: [{ role: "assistant", content: [server] }] }),
    o200k("web_search") + o200k(JSON.stringify(input)),
  );
});

Deno.test("tool_result: string, nested blocks and the per-result overhead", () => {
  const text = "total 0\ndrwxr-xr-x 2 root root 40 .";
  const result = (content: unknown) =>
    userSays([{ type: "tool_result", tool_use_id: "t", content }]);
  assert.equal(plain(result(text)), o200k(text));
  assert.equal(plain(result([{ type: "text", text }])), o200k(text));
  assert.equal(plain(result(text), { ...PLAIN, toolResult: 6 }), o200k(text) + 6);
  const image = { type: "image", source: { type: "base64", data: toBase64(png(280, 280)) } };
  assert.equal(plain(result([{ type: "text", text }, image])), o200k(text) + 100);
  assert.equal(plain(result(undefined)), 0);
});

Deno.test("thinking: previous turns are free, the current turn counts", async (t) => {
  const thought = "Let me think about the prime numbers step by step.";
  const assistant = {
    role: "assistant",
    content: [
      { type: "thinking", thinking: thought, signature: "sig" },
      { type: "tool_use", id: "t1", name: "Read", input: {} },
    ],
  };
  const toolResult = { role: "user", content: [{ type: "tool_result", tool_use_id: "t1" }] };
  const base = plain({ messages: [{ role: "user", content: "hi" }, assistant] }) - o200k(thought);
  await t.step("assistant after the last user prompt: counted", () => {
    assert.equal(
      plain({ messages: [{ role: "user", content: "hi" }, assistant] }),
      base + o200k(thought),
    );
  });
  await t.step("tool results continue the turn: still counted", () => {
    const messages = [{ role: "user", content: "hi" }, assistant, toolResult];
    assert.equal(plain({ messages }), base + o200k(thought) + plain({ messages: [toolResult] }));
  });
  await t.step("a new user prompt ends the turn: not counted", () => {
    const messages = [{ role: "user", content: "hi" }, assistant, toolResult, {
      role: "user",
      content: "next",
    }];
    assert.equal(plain({ messages }), base + o200k("next") + plain({ messages: [toolResult] }));
  });
  await t.step("reasoning kept in ccp's signature of a block shown empty: counted the same", () => {
    const signature = encodeCcpSignature({
      provider: "deepseek",
      protocol: "openai_chat",
      model: "deepseek-v4-pro",
      fields: ["reasoning_content"],
      text: thought,
    });
    const hidden = {
      role: "assistant",
      content: [{ type: "thinking", thinking: "", signature }, assistant.content[1]],
    };
    const messages = [{ role: "user", content: "hi" }, hidden, toolResult];
    assert.equal(plain({ messages }), base + o200k(thought) + plain({ messages: [toolResult] }));
    const later = [...messages, { role: "user", content: "next" }];
    assert.equal(
      plain({ messages: later }),
      base + o200k("next") + plain({ messages: [toolResult] }),
    );
  });
  await t.step("redacted thinking is estimated from its length", () => {
    const data = "A".repeat(4000);
    const content = [{ type: "redacted_thinking", data }];
    assert.equal(
      plain({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content }] }),
      o200k("hi") + Math.round(4000 * TOKENS_PER_ENCRYPTED_CHAR),
    );
    const later = [{ role: "user", content: "hi" }, { role: "assistant", content }, {
      role: "user",
      content: "hi",
    }];
    assert.equal(plain({ messages: later }), 2 * o200k("hi"));
  });
});

Deno.test("image: header size, model tier, URL images", async (t) => {
  const image = (data: string) => userSays([{ type: "image", source: { type: "base64", data } }]);
  const wide = toBase64(png(1920, 1080));
  await t.step("standard tier before Claude 4.7", () => {
    assert.equal(plain(image(toBase64(png(1000, 1000)))), 1296);
    assert.equal(plain(image(wide)), 1560);
  });
  await t.step("high-resolution tier from Claude 4.7", () => {
    assert.equal(plain({ model: CURRENT, ...image(wide) }), 2691);
  });
  await t.step("URL, file and unreadable images cost the tier maximum", () => {
    const url = userSays([{ type: "image", source: { type: "url", url: "https://x/y.png" } }]);
    assert.equal(plain(url), 1568);
    assert.equal(plain({ model: CURRENT, ...url }), 4784);
    assert.equal(
      plain(userSays([{ type: "image", source: { type: "file", file_id: "f" } }])),
      1568,
    );
    assert.equal(plain(image("%%%garbage")), 1568);
    assert.equal(plain(userSays([{ type: "image" }])), 1568);
  });
});

Deno.test("document: PDF pages, text, content and URL sources", async (t) => {
  const pdf = btoa(
    "%PDF-1.4\n1 0 obj <</Type /Pages /Count 3>>\n" +
      "2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page >>\n4 0 obj << /Type /Page /Parent 1 0 R>>\n%%EOF",
  );
  const doc = (source: unknown, extra = {}) => userSays([{ type: "document", source, ...extra }]);
  await t.step("base64 PDF: pages × per-page tokens (legacy 1000, current 2000 here)", () => {
    assert.equal(plain(doc({ type: "base64", media_type: "application/pdf", data: pdf })), 3000);
    assert.equal(plain({ model: CURRENT, ...doc({ type: "base64", data: pdf }) }), 6000);
  });
  await t.step("plain-text source, title and context", () => {
    const body = doc({ type: "text", media_type: "text/plain", data: HELLO }, {
      title: "Title",
      context: "Ctx",
    });
    assert.equal(plain(body), o200k(HELLO) + o200k("Title") + o200k("Ctx"));
  });
  await t.step("content source", () => {
    assert.equal(
      plain(doc({ type: "content", content: [{ type: "text", text: HELLO }] })),
      o200k(HELLO),
    );
    assert.equal(plain(doc({ type: "content", content: HELLO })), o200k(HELLO));
  });
  await t.step("URL and file sources assume unknownPdfPages pages", () => {
    assert.equal(plain(doc({ type: "url", url: "https://x/a.pdf" })), 3000);
    assert.equal(plain(doc({ type: "file", file_id: "file_1" })), 3000);
  });
});

Deno.test("search results, web search results and unknown blocks", async (t) => {
  await t.step("search_result: source, title and text content", () => {
    const block = {
      type: "search_result",
      source: "https://a.b",
      title: "T",
      content: [{ type: "text", text: HELLO }],
      citations: { enabled: true },
    };
    assert.equal(plain(userSays([block])), o200k("https://a.b") + o200k("T") + o200k(HELLO));
  });
  await t.step("web_search_tool_result: visible fields plus encrypted length", () => {
    const item = {
      type: "web_search_result",
      url: "https://a.b",
      title: "T",
      page_age: "1 day",
      encrypted_content: "x".repeat(800),
    };
    const block = { type: "web_search_tool_result", tool_use_id: "s", content: [item] };
    assert.equal(
      plain({ messages: [{ role: "assistant", content: [block] }] }),
      o200k("https://a.b") + o200k("T") + o200k("1 day") + 150,
    );
  });
  await t.step("unknown types count as their JSON", () => {
    const block = { type: "future_block", payload: { a: [1, 2, 3] } };
    assert.equal(plain(userSays([block])), o200k(JSON.stringify(block)));
    const result = { type: "bash_code_execution_tool_result", content: { stdout: "ok" } };
    assert.equal(
      plain(userSays([result]), { ...PLAIN, toolResult: 4 }),
      o200k(JSON.stringify(result)) + 4,
    );
  });
  await t.step("the current tokenizer scales text by currentTokenizerRatio", () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    const scaled = countRequestTokens({ model: CURRENT, ...userSays(text) }, {
      calibration: { ...PLAIN, currentTokenizerRatio: 1.5 },
      cache: null,
    });
    assert.equal(scaled, Math.round(o200k(text) * 1.5));
    assert.equal(plain({ model: LEGACY, ...userSays(text) }), o200k(text));
  });
});
