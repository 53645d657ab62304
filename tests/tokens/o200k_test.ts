/**
 * ccp's compact o200k table counts exactly what gpt-tokenizer (the table's source) counts, over
 * prose, code, JSON, many scripts, emoji, control characters and random text, and the table
 * holds gpt-tokenizer's ranks and pattern as they are.
 */

import assert from "node:assert/strict";
import { countTokens, O200K_TOKEN_SPLIT_REGEX, ranks } from "../helpers/gpt_tokenizer.ts";
import { TABLE_FILE } from "../../src/tokens/bpe.ts";
import {
  O200kCounter,
  readTable,
  TABLE_MAGIC,
  unpackTokens,
  writeTable,
} from "../../src/tokens/o200k.ts";
import { claudeCodeRequest } from "../translate/_claude_code_request.ts";

const table = readTable(await Deno.readFile(TABLE_FILE));
const counter = new O200kCounter(table);
const PLAIN = { disallowedSpecial: new Set<string>() };

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789",
  " \n\t\r{}[]():;,.'\"`~!@#$%^&*-_=+/\\|<>?",
  "àéîõüçñßøåæœ",
  "Привет мир как дела",
  "مرحبا بالعالم",
  "שלום עולם",
  "日本語のテキスト漢字",
  "한국어 텍스트",
  "हिन्दी पाठ",
  "ไทย",
  "😀🎉👍🏽🇫🇷‍",
  "\u0000\u0001\u001f\u007f\u00a0\u2028\ufffd",
];

function randomText(next: () => number, length: number): string {
  let out = "";
  while (out.length < length) {
    const alphabet = [...ALPHABETS[Math.floor(next() * ALPHABETS.length)]!];
    const run = 1 + Math.floor(next() * 12);
    for (let i = 0; i < run; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  }
  return out;
}

Deno.test("o200k: the compact table counts exactly what gpt-tokenizer counts", async () => {
  const texts: string[] = [
    "",
    "hello world",
    "I'LL we've they're DON'T you'd",
    "<|endoftext|> and <|im_start|> are plain text here",
    "   \n\n\t  x  \r\n",
    "1234567890 3.14159 1e10 ０１２",
  ];
  const request = JSON.stringify(claudeCodeRequest("sig"), null, 2);
  texts.push(request, ...request.split("\n"));
  for (const file of ["README.md", "src/tokens/o200k.ts"]) {
    const text = await Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
    texts.push(text, ...text.split("\n"));
  }
  const next = random(42);
  for (let i = 0; i < 2000; i++) texts.push(randomText(next, 1 + Math.floor(next() * 200)));
  const wrong = texts.filter((t) => counter.count(t) !== countTokens(t, PLAIN));
  assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} of ${texts.length} texts differ`);
});

Deno.test("o200k: the table holds gpt-tokenizer's ranks and pattern", () => {
  const source = ranks as (string | number[])[];
  assert.equal(table.count, source.length);
  assert.equal(table.pattern, O200K_TOKEN_SPLIT_REGEX.source);
  const { bytes, offsets } = unpackTokens(table.packed, table.count);
  const encoder = new TextEncoder();
  for (let rank = 0; rank < table.count; rank++) {
    const token = source[rank];
    const expected = typeof token === "string"
      ? encoder.encode(token)
      : Uint8Array.from(token ?? []);
    assert.deepEqual(bytes.subarray(offsets[rank], offsets[rank + 1]), expected, `rank ${rank}`);
  }
  assert.equal(offsets[table.count], bytes.length);
});

Deno.test("o200k: the table file reads back what was written, and a file that is not one is refused", () => {
  const small = { count: 2, pattern: "\\p{L}+|é", packed: Uint8Array.from([1, 97, 2, 195, 169]) };
  const back = readTable(writeTable(small));
  assert.equal(back.count, 2);
  assert.equal(back.pattern, small.pattern);
  assert.deepEqual(back.packed, small.packed);
  assert.throws(
    () => readTable(new TextEncoder().encode("export const RANKS = ...")),
    /not an o200k/,
  );
  assert.throws(() => readTable(new TextEncoder().encode(TABLE_MAGIC.slice(0, 5))), /not an o200k/);
  // A file cut short, or with bytes past its last rank, is refused rather than counted wrong.
  const file = writeTable(small);
  assert.throws(
    () => new O200kCounter(readTable(file.subarray(0, file.length - 2))),
    /ends inside/,
  );
  assert.throws(() => readTable(file.subarray(0, TABLE_MAGIC.length + 10)), /cut short/);
  const longer = writeTable({ ...small, packed: Uint8Array.from([...small.packed, 0, 0]) });
  assert.throws(() => new O200kCounter(readTable(longer)), /past its last rank/);
});

Deno.test("o200k: a rank whose length reads as 2^31 or more is refused, not read as an unused rank", () => {
  // A varint's fifth byte reaches bit 31: a 32-bit shift makes the length negative.
  const huge = [0x80, 0x80, 0x80, 0x80, 0x08];
  const tables = [
    { count: 3, packed: [...huge, 1, 97, 1, 98] }, // before two good ranks
    { count: 2, packed: [1, 97, ...huge] }, // the last rank
  ];
  for (const { count, packed } of tables) {
    const table = { count, pattern: "\\p{L}+", packed: Uint8Array.from(packed) };
    assert.throws(() => new O200kCounter(table), /ends inside rank/, `${packed}`);
  }
});
