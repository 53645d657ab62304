// deno-lint-ignore-file no-console -- a build script reports what it wrote
/**
 * Writes src/tokens/o200k_ranks.bin: the o200k_base byte-pair ranks and pre-token pattern in a
 * compact form (every token's bytes, in rank order, each after its length as a varint), taken
 * from gpt-tokenizer, whose own tables cost ~70 MB once loaded. Run it again only when
 * gpt-tokenizer's version changes (its version and licence are in README's Development section):
 *
 *   deno run --lock=dev.lock --allow-read --allow-write --allow-env scripts/build_o200k_table.ts
 */

import { O200K_TOKEN_SPLIT_REGEX, ranks } from "../tests/helpers/gpt_tokenizer.ts";
import { writeTable } from "../src/tokens/o200k.ts";

const encoder = new TextEncoder();
const table = ranks as (string | number[])[];
const parts: number[] = [];
for (const token of table) {
  const bytes = token === undefined
    ? new Uint8Array(0)
    : typeof token === "string"
    ? encoder.encode(token)
    : Uint8Array.from(token);
  let length = bytes.byteLength;
  while (length >= 0x80) {
    parts.push((length & 0x7f) | 0x80);
    length >>>= 7;
  }
  parts.push(length);
  for (const b of bytes) parts.push(b);
}
const packed = Uint8Array.from(parts);
const out = new URL("../src/tokens/o200k_ranks.bin", import.meta.url);
await Deno.writeFile(
  out,
  writeTable({ count: table.length, pattern: O200K_TOKEN_SPLIT_REGEX.source, packed }),
);
console.log(`${table.length} ranks, ${packed.length} bytes packed → ${out.pathname}`);
