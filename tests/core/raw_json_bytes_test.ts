/**
 * A large body's unchanged messages go upstream as the client's own bytes: every byte written
 * must be the byte the text path (the client's text, encoded again) writes, for any body, any
 * change and any way the bytes arrived in chunks.
 */

import assert from "node:assert/strict";
import { forgetRawJson, jsonPieces, rememberRawJson } from "../../src/core/raw_json.ts";
import { withUtf8 } from "../../src/core/utf8_pieces.ts";

type Body = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Texts that break a scanner or an encoder: multi-byte characters of every length, escapes of
// every kind, a lone surrogate (written as \uXXXX by JSON.stringify), a BOM inside a string.
const TEXTS = [
  "plain ascii",
  "em \u2014 dash and \u00e9 and \u65e5\u672c\u8a9e and \u{1f680} and \ufeff inside",
  'quotes "x" \\ backslash \\" and ] } [ { , : inside',
  "tab\there\nnewline \u0001 control \u001b[31m ansi",
  "a lone surrogate \ud800 and another \udfff",
  "\u2014".repeat(3000),
  "",
];

function body(seed: number): Body {
  const text = (i: number) => TEXTS[(i + seed) % TEXTS.length]!;
  const messages = Array.from({ length: 400 + seed * 7 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: [
      { type: "text", text: `${text(i)} turn ${i} ${"x".repeat(300)}` },
      { type: "tool_use", id: `toolu_${i}`, name: "Bash", input: { nested: { deep: [text(i)] } } },
    ],
  }));
  return {
    model: "claude-opus-4-5",
    messages,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332;" },
      { type: "text", text: TEXTS.join(" | "), cache_control: { type: "ephemeral" } },
    ],
    tools: [{ name: "Bash", description: text(3), input_schema: { type: "object" } }],
    max_tokens: 32000,
    metadata: { user_id: "u" },
    stream: true,
  };
}

/** `bytes` cut into chunks at the given sizes, the last holding the rest. */
function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  chunks.push(bytes.slice(at));
  return chunks;
}

/** What goes upstream for `change(parsed)`, from the text alone and from the text and its bytes. */
function bothWays(
  bytes: Uint8Array,
  chunks: readonly Uint8Array[],
  change: (parsed: Body) => Body,
): { fromText: Uint8Array; fromBytes: Uint8Array; copied: boolean } {
  const text = decoder.decode(bytes);
  const written = (kept?: readonly Uint8Array[]) => {
    const parsed = JSON.parse(text) as Body;
    rememberRawJson(parsed, text, kept);
    const pieces = jsonPieces(change(parsed));
    forgetRawJson(parsed);
    return { bytes: withUtf8(pieces, (out) => out.slice()), pieces };
  };
  const fromText = written().bytes;
  const { bytes: fromBytes, pieces } = written(chunks);
  return { fromText, fromBytes, copied: pieces.some((piece) => typeof piece !== "string") };
}

const CHANGES: readonly ((parsed: Body) => Body)[] = [
  (parsed) => ({ ...parsed, model: "glm-4.7" }),
  (parsed) => ({ ...parsed, model: "other", system: (parsed.system as unknown[]).slice(1) }),
  (parsed) => {
    const { metadata: _, ...rest } = parsed;
    return { extra: { added: TEXTS[1] }, ...rest, thinking: { type: "adaptive" } };
  },
  // Reordered: the messages last.
  ({ messages, ...rest }) => ({ ...rest, model: "m", messages }),
  // Messages changed: nothing of them is copied.
  (parsed) => ({ ...parsed, messages: [...(parsed.messages as unknown[]), { role: "user" }] }),
];

Deno.test("jsonPieces with the client's bytes: byte for byte what the text path writes", () => {
  // Four seeds: each spacing once. Every seed's body holds every text, in user and assistant turns
  // both (seven texts, two roles), so more seeds only moved the same texts to other turns.
  for (let seed = 0; seed < 4; seed++) {
    const spacing = [undefined, 1, "\t", " \r\n "][seed % 4] as string | number | undefined;
    const bytes = encoder.encode(JSON.stringify(body(seed), null, spacing));
    const cuts = [
      [bytes.length],
      [65536, 65536],
      // Cuts inside multi-byte characters, empty chunks, one-byte chunks.
      [1, 0, 2, 3, 4093, 0, 7, 16384, 1, 1, 1],
      Array.from({ length: 64 }, (_, i) => 97 + i * 31),
    ];
    for (const [c, sizes] of cuts.entries()) {
      for (const [k, change] of CHANGES.entries()) {
        const got = bothWays(bytes, chunked(bytes, sizes), change);
        assert.deepEqual(got.fromBytes, got.fromText, `seed ${seed}, cuts ${c}, change ${k}`);
        assert.equal(got.copied, k !== 4, `seed ${seed}, cuts ${c}, change ${k}: copied`);
      }
    }
  }
});

Deno.test("jsonPieces with the client's bytes: a leading byte order mark is not sent", () => {
  const json = encoder.encode(JSON.stringify(body(1)));
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...json]);
  for (const sizes of [[bytes.length], [1, 1, 1, 5], [2, 9000]]) {
    const got = bothWays(bytes, chunked(bytes, sizes), CHANGES[0]!);
    assert.ok(got.copied);
    assert.deepEqual(got.fromBytes, got.fromText);
    assert.notEqual(got.fromBytes[0], 0xef);
  }
});

Deno.test("jsonPieces with the client's bytes: bytes that are not valid UTF-8 are not copied", () => {
  // Each decodes to U+FFFD, which the text path sends as EF BF BD: the client's bytes would differ.
  const json = JSON.stringify(body(2));
  for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x9a]]) {
    const at = json.indexOf("turn 7");
    const bytes = new Uint8Array([
      ...encoder.encode(json.slice(0, at)),
      ...bad,
      ...encoder.encode(json.slice(at)),
    ]);
    const got = bothWays(bytes, chunked(bytes, [5000]), CHANGES[0]!);
    assert.deepEqual(got.fromBytes, got.fromText, `${bad}`);
    assert.ok(!got.copied, `${bad}`);
  }
});

Deno.test("jsonPieces with the client's bytes: a huge string value, a key written twice", () => {
  const big = {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    system: `${TEXTS[1]}${"\u00e9x".repeat(80_000)}`,
  };
  const bytes = encoder.encode(JSON.stringify(big));
  const got = bothWays(bytes, chunked(bytes, [3, 70_000]), CHANGES[0]!);
  assert.ok(got.copied);
  assert.deepEqual(got.fromBytes, got.fromText);
  // JSON.parse keeps the last of two equal keys: the text is not split at all.
  const twice = encoder.encode(
    JSON.stringify(body(0)).replace(/}$/, ',"messages":[{"role":"user","content":"x"}]}'),
  );
  const dup = bothWays(twice, chunked(twice, [4096]), CHANGES[0]!);
  assert.ok(!dup.copied);
  assert.deepEqual(dup.fromBytes, dup.fromText);
});

Deno.test("jsonPieces with the client's bytes: none copied when no value is half the body", () => {
  // Placing one value in the bytes encodes the text around it: not worth it for under half.
  const third = `${TEXTS[1]}${"y".repeat(60_000)}`;
  const even = {
    model: "m",
    messages: [{ role: "user", content: third }],
    system: third,
    x: third,
  };
  const bytes = encoder.encode(JSON.stringify(even));
  const got = bothWays(bytes, chunked(bytes, [9000]), CHANGES[0]!);
  assert.ok(!got.copied);
  assert.deepEqual(got.fromBytes, got.fromText);
});

Deno.test("jsonPieces with the client's bytes: a body under 128 Ki characters keeps none", () => {
  const small = { ...body(0), messages: (body(0).messages as unknown[]).slice(0, 60) };
  const text = JSON.stringify(small);
  assert.ok(text.length > 64 * 1024 && text.length < 128 * 1024, `${text.length}`);
  const bytes = encoder.encode(text);
  const got = bothWays(bytes, chunked(bytes, [65536]), CHANGES[0]!);
  assert.ok(!got.copied);
  assert.deepEqual(got.fromBytes, got.fromText);
});

Deno.test("withUtf8: one-character pieces, ASCII or not, are written as their UTF-8", () => {
  const pieces = ["[", "é", ",", "\u2014", ",", "", '"a"', "]", "\u{1F680}", "x"];
  const expected = new TextEncoder().encode(pieces.join(""));
  assert.deepEqual(withUtf8(pieces, (out) => out.slice()), expected);
  // Only single characters: nothing but ASCII pieces, so the first try's buffer fits exactly.
  const ascii = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x20 + (i % 90)));
  assert.deepEqual(
    withUtf8(ascii, (out) => out.slice()),
    new TextEncoder().encode(ascii.join("")),
  );
});

Deno.test("jsonPieces with the client's bytes in one chunk: each value found in the bytes", () => {
  // A body the server read into one buffer, of any size: every unchanged value, and every element
  // ccp kept of a changed long array, is a place in those bytes, found by scanning them.
  for (let seed = 0; seed < TEXTS.length; seed++) {
    const spacing = [undefined, 1, "\t", " \r\n "][seed % 4] as string | number | undefined;
    const full = body(seed);
    const small = { ...full, messages: (full.messages as unknown[]).slice(0, 40) };
    for (const shape of [full, small]) {
      const json = encoder.encode(JSON.stringify(shape, null, spacing));
      const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...json]);
      for (const [b, bytes] of [json, bom].entries()) {
        for (const [k, change] of CHANGES.entries()) {
          const got = bothWays(bytes, [bytes], change);
          const at = `seed ${seed}, ${shape === full ? "full" : "small"}, bom ${b}, change ${k}`;
          assert.deepEqual(got.fromBytes, got.fromText, at);
          assert.ok(got.copied, at);
        }
      }
    }
  }
  // The elements kept of the changed messages: each the client's bytes, the new one written.
  const bytes = encoder.encode(JSON.stringify(body(1)));
  const parsed = JSON.parse(decoder.decode(bytes)) as Body;
  rememberRawJson(parsed, decoder.decode(bytes), [bytes]);
  const messages = parsed.messages as unknown[];
  const pieces = jsonPieces({ ...parsed, messages: [...messages.slice(1), { role: "user" }] });
  const copied = pieces.filter((piece) => typeof piece !== "string");
  assert.equal(copied.length, messages.length - 1 + Object.keys(parsed).length - 1);
  assert.ok(pieces.includes('{"role":"user"}'));
  forgetRawJson(parsed);
});

Deno.test("jsonPieces with the client's bytes in one chunk: not trusted when unsure", () => {
  const json = JSON.stringify(body(2));
  const at = json.indexOf("turn 7");
  // Not valid UTF-8: decoded as U+FFFD, which the text path sends as EF BF BD.
  const bad = new Uint8Array([
    ...encoder.encode(json.slice(0, at)),
    0xff,
    ...encoder.encode(json.slice(at)),
  ]);
  const invalid = bothWays(bad, [bad], CHANGES[1]!);
  assert.ok(!invalid.copied);
  assert.deepEqual(invalid.fromBytes, invalid.fromText);
  // A key written twice (once escaped): JSON.parse kept the last, and nothing is split.
  const twice = encoder.encode(
    json.replace(/}$/, ',"mess\\u0061ges":[{"role":"user","content":"x"}]}'),
  );
  const dup = bothWays(twice, [twice], CHANGES[0]!);
  assert.ok(!dup.copied);
  assert.deepEqual(dup.fromBytes, dup.fromText);
  // An escaped key name is read as JSON reads it.
  const escaped = encoder.encode(json.replace('"tools":', '"to\\u006fls":'));
  const renamed = bothWays(escaped, [escaped], CHANGES[1]!);
  assert.ok(renamed.copied);
  assert.deepEqual(renamed.fromBytes, renamed.fromText);
});
