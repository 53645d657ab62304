import assert from "node:assert/strict";
import { forgetRawJson, jsonPieces, rememberRawJson } from "../../src/core/raw_json.ts";

type Body = Record<string, unknown>;

// Strings that break a naive scanner: quotes, escaped backslashes before quotes, brackets and
// braces inside strings, escapes of every kind, non-ASCII text.
const TRICKY = [
  'say "model" and \\"quoted\\"',
  "ends with a backslash \\",
  '\\\\"',
  "brackets ] } [ { , : inside",
  "tab\there\nnewline \u0001 control \u001b[31m ansi",
  "naïve façade 日本語 emoji 🚀 and a lone surrogate \ud800",
  "",
];

/** A Claude Code-shaped body over 16 KiB, with the tricky strings in every kind of place. */
function bigBody(seed = 0): Body {
  const messages = Array.from({ length: 60 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: [
      { type: "text", text: `${TRICKY[(i + seed) % TRICKY.length]} turn ${i} ${"x".repeat(200)}` },
      { type: "tool_use", id: `toolu_${i}`, name: "Bash", input: { command: 'echo "}"' } },
    ],
  }));
  return {
    model: "claude-sonnet-4-5",
    messages,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli;" },
      { type: "text", text: TRICKY.join(" | "), cache_control: { type: "ephemeral" } },
    ],
    tools: [{ name: "Bash", description: 'Run "it"', input_schema: { type: "object" } }],
    max_tokens: 32000,
    temperature: 1,
    metadata: { user_id: '{"device_id":"ab"}' },
    stream: true,
    empty: {},
    nothing: null,
    list: [],
    flag: false,
    number: -1.5e-3,
  };
}

/** Parses `text` and remembers it, as the server does with a request body. */
function received(text: string): Body {
  const parsed = JSON.parse(text) as Body;
  rememberRawJson(parsed, text);
  return parsed;
}

function joined(out: Body): string {
  return jsonPieces(out).join("");
}

Deno.test("jsonPieces: the unchanged values are the client's own text, the changed ones new", () => {
  // Pretty-printed, as some SDKs send it: copied parts keep that spacing.
  const text = JSON.stringify(bigBody(), null, 2);
  const parsed = received(text);
  const out: Body = { ...parsed, model: "glm-4.7", system: (parsed.system as unknown[]).slice(1) };
  delete out.temperature;
  const result = joined(out);
  assert.deepEqual(JSON.parse(result), JSON.parse(JSON.stringify(out)));
  assert.ok(
    result.includes(JSON.stringify(parsed.messages, null, 2).replaceAll("\n", "\n  ")),
    "messages copied from the client's text",
  );
  assert.ok(!result.includes("claude-sonnet-4-5") && !result.includes("billing-header"));
  assert.deepEqual(Object.keys(JSON.parse(result)), Object.keys(out), "key order kept");
});

Deno.test("jsonPieces: every kind of value and spacing, every subset of changes", () => {
  for (let seed = 0; seed < TRICKY.length; seed++) {
    const spacing = [undefined, 1, "\t", " \r\n "][seed % 4];
    const text = JSON.stringify(bigBody(seed), null, spacing as string | number | undefined);
    const parsed = received(text);
    const keys = Object.keys(parsed);
    for (let mask = 0; mask < 1 << 4; mask++) {
      const out: Body = { ...parsed };
      if (mask & 1) out.model = `m-${seed}`;
      if (mask & 2) {
        out.messages = [...(parsed.messages as unknown[]), { role: "user", content: "+" }];
      }
      if (mask & 4) delete out[keys[(seed + 3) % keys.length]!];
      if (mask & 8) out.added = { undefinedInside: undefined, fn: undefined, text: TRICKY[seed] };
      out.skipped = undefined;
      assert.deepEqual(JSON.parse(joined(out)), JSON.parse(JSON.stringify(out)), `${seed}/${mask}`);
    }
  }
});

Deno.test("jsonPieces: a key written twice is not trusted to the text", () => {
  const body = bigBody();
  const first = JSON.stringify([{ role: "user", content: "the first, which JSON.parse drops" }]);
  const text = JSON.stringify(body).replace(/}$/, `,"messages":${first}}`).replace(
    '"messages":',
    '"mess\\u0061ges":',
  );
  const parsed = received(text);
  assert.deepEqual(parsed.messages, JSON.parse(first));
  const result = joined({ ...parsed, model: "x" });
  assert.deepEqual(JSON.parse(result), { ...parsed, model: "x" });
  assert.ok(!result.includes("turn 0"), "the value JSON.parse dropped is not sent");
});

Deno.test("jsonPieces: a number ccp set to one that only equals the client's is its own", () => {
  // -0 === 0: a value the client wrote as -0 and ccp set to 0 (or the other way) is not the
  // client's text any more.
  const text = JSON.stringify(bigBody()).replace(/}$/, ',"top_p":-0,"top_k":0}');
  const parsed = received(text);
  assert.ok(Object.is(parsed.top_p, -0));
  const out = { ...parsed, top_p: 0, top_k: -0 };
  const sent = JSON.parse(joined(out));
  assert.ok(Object.is(sent.top_p, 0), "the 0 ccp set, not the client's -0");
  assert.ok(Object.is(sent.top_k, 0), "-0 written as JSON.stringify writes it");
});

Deno.test("jsonPieces: an escaped key name is read as JSON reads it", () => {
  const text = JSON.stringify(bigBody()).replace('"tools":', '"to\\u006fls":');
  const parsed = received(text);
  const result = joined({ ...parsed, model: "x" });
  assert.deepEqual(JSON.parse(result), { ...parsed, model: "x" });
  assert.ok(result.includes('"tools":'), "the key is written plainly");
});

Deno.test("jsonPieces: small, forgotten and unknown bodies are serialised anew, exactly", () => {
  const spaced = (body: Body) => JSON.stringify(body, null, 2);
  const small = received(spaced({ model: "a", messages: [{ role: "user", content: "hi" }] }));
  assert.equal(joined({ ...small, model: "b" }), JSON.stringify({ ...small, model: "b" }));
  const big = received(spaced(bigBody()));
  assert.notEqual(joined({ ...big, model: "b" }), JSON.stringify({ ...big, model: "b" }));
  // Only the object the text was remembered for forgets it: a copy that shares its values does not.
  forgetRawJson({ ...big });
  assert.notEqual(joined({ ...big, model: "b" }), JSON.stringify({ ...big, model: "b" }));
  forgetRawJson(big);
  assert.equal(joined({ ...big, model: "b" }), JSON.stringify({ ...big, model: "b" }));
  // Long arrays go element by element, with JSON.stringify's treatment of what has no JSON form.
  const odd: Body = {
    ...bigBody(),
    list: [undefined, () => 1, Symbol("s"), null, ...Array.from({ length: 20 }, (_, i) => i)],
    gone: undefined,
    nested: { inner: [undefined], skipped: undefined },
  };
  assert.ok(jsonPieces(odd).length > 20);
  assert.equal(joined(odd), JSON.stringify(odd));
  assert.equal(joined({}), "{}");
  assert.equal(joined({ only: undefined }), "{}");
  assert.equal(joined({ a: Array(20) }), JSON.stringify({ a: Array(20) }));
});

Deno.test("jsonPieces: a new value's text is a piece of its own, never joined to its name", () => {
  // Joined, the value's text would be copied whole the first time it is encoded (as a joined
  // string is), at two bytes a character when it holds one past U+00FF.
  const parsed = received(JSON.stringify(bigBody()));
  const system = [{ type: "text", text: `changed \u2014 ${"y".repeat(400)}` }];
  const messages = [...(parsed.messages as unknown[]), { role: "user", content: "more \u2014" }];
  const pieces = jsonPieces({ ...parsed, system, messages });
  assert.ok(pieces.includes(JSON.stringify(system)), "the changed value is its own piece");
  for (const message of messages) {
    assert.ok(pieces.includes(JSON.stringify(message)), "each element of a long array too");
  }
  assert.deepEqual(
    JSON.parse(pieces.join("")),
    JSON.parse(JSON.stringify({ ...parsed, system, messages })),
  );
});

Deno.test("jsonPieces: the elements ccp kept of a changed system are the client's own text", () => {
  // Compact, as Claude Code sends it, with escapes JSON.stringify would write otherwise: a kept
  // element's piece is the client's text (its escapes), not a new serialisation.
  const body = bigBody();
  const long = { type: "text", text: `${TRICKY.join(" ] } ")} café ${"z".repeat(3000)}` };
  body.system = [...(body.system as unknown[]), long, { type: "text", text: "last" }];
  const text = JSON.stringify(body).replace("café", "caf\\u00e9");
  const parsed = received(text);
  const [billing, tricky, kept, last] = parsed.system as Body[];
  assert.ok((kept!.text as string).includes("café"), "the escape was read");
  const changed = { ...last!, text: "changed" };
  const system = [tricky, kept, changed];
  const messages = [...(parsed.messages as Body[]).slice(1), { role: "user", content: "+" }];
  const out = { ...parsed, system, messages };
  const pieces = jsonPieces(out);
  assert.ok(pieces.includes(JSON.stringify(tricky)), "a kept element: the client's text");
  const escaped = pieces.find((piece) => typeof piece === "string" && piece.includes("caf\\u00e9"));
  assert.equal(
    escaped,
    text.slice(
      text.lastIndexOf('{"type":"text","text":"say'),
      text.indexOf(',{"type":"text","text":"last"'),
    ),
  );
  assert.ok(pieces.includes(JSON.stringify(changed)), "a changed element is serialised anew");
  // A long array's (the messages) are all serialised again: most are ASCII, whose new strings
  // encode faster than the text's slices.
  for (const message of messages) assert.ok(pieces.includes(JSON.stringify(message)));
  assert.ok(!pieces.join("").includes((billing!.text as string).slice(0, 30)));
  assert.deepEqual(JSON.parse(pieces.join("")), JSON.parse(JSON.stringify(out)));
  // Without the escape, the pieces join into JSON.stringify's text exactly, in any order.
  const compact = received(JSON.stringify(body));
  const reordered = (compact.system as unknown[]).slice(1).reverse();
  const sent = { ...compact, model: "m", system: reordered, messages: messages.slice(0, 3) };
  assert.equal(joined(sent), JSON.stringify(sent));
  // Spaced, the changed system is serialised anew, as it was before its elements could be sliced.
  const spaced = received(JSON.stringify(body, null, 2));
  const trimmed = { ...spaced, system: (spaced.system as unknown[]).slice(1) };
  assert.ok(jsonPieces(trimmed).includes(JSON.stringify(trimmed.system)));
});
