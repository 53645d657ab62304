import assert from "node:assert/strict";
import { anthropicSseEncoder, openAIStreamToAnthropicEvents } from "../_staged_pipe.ts";
import {
  assertWellFormed,
  BASE_OPTIONS,
  bytewise,
  fixture,
  normalizeIds,
  parseFrames,
  splitAt,
  translateChunks,
} from "../_stream_helpers.ts";
import { everyPointSpaced } from "../../helpers/bytes.ts";
import { seeded } from "../../helpers/random.ts";

const FILES = [...Deno.readDirSync(new URL("../../fixtures/openai/", import.meta.url))]
  .filter((e) => e.isFile && e.name.endsWith(".sse"))
  .map((e) => e.name)
  .sort();

Deno.test("property: any chunking of the same upstream bytes yields the identical, well-formed Anthropic stream", async (t) => {
  for (const file of FILES) {
    await t.step(file, async () => {
      const bytes = await fixture(file);
      const reference = normalizeIds(await translateChunks([bytes]));
      assertWellFormed(parseFrames(reference));
      // Every split point (a long fixture's points an event apart in one pass: everyPointSpaced
      // says why that checks each as alone), every byte alone, and random multi-way splits.
      for (const cuts of everyPointSpaced(bytes)) {
        assert.equal(
          normalizeIds(await translateChunks(splitAt(bytes, cuts))),
          reference,
          `split at ${cuts}`,
        );
      }
      assert.equal(normalizeIds(await translateChunks(bytewise(bytes))), reference, "bytewise");
      const random = seeded(bytes.length);
      for (let run = 0; run < 40; run++) {
        const cuts = Array.from(
          { length: 1 + Math.floor(random() * 12) },
          () => Math.floor(random() * bytes.length),
        );
        assert.equal(
          normalizeIds(await translateChunks(splitAt(bytes, cuts))),
          reference,
          `cuts ${cuts}`,
        );
      }
    });
  }
});

Deno.test("the staged pipe and the relay stage produce the same bytes", async (t) => {
  for (const file of FILES) {
    await t.step(file, async () => {
      const bytes = await fixture(file);
      for (const chunks of [[bytes], bytewise(bytes)]) {
        const staged = openAIStreamToAnthropicEvents(ReadableStream.from(chunks), BASE_OPTIONS)
          .pipeThrough(anthropicSseEncoder());
        const text = (await Array.fromAsync(staged.pipeThrough(new TextDecoderStream()))).join("");
        assert.equal(normalizeIds(text), normalizeIds(await translateChunks(chunks)));
      }
    });
  }
});
