import assert from "node:assert/strict";
import { geminiTranslation } from "../../../src/translate/gemini/stream.ts";
import {
  assertWellFormed,
  bytewise,
  normalizeIds,
  parseFrames,
  relayChunks,
  splitAt,
} from "../_stream_helpers.ts";
import { everyPointSpaced } from "../../helpers/bytes.ts";
import { seeded } from "../../helpers/random.ts";

const DIR = new URL("../../fixtures/gemini/", import.meta.url);
const FILES = [...Deno.readDirSync(DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".sse"))
  .map((e) => e.name)
  .sort();

async function translate(chunks: Uint8Array[]): Promise<string> {
  const out = relayChunks(
    chunks,
    geminiTranslation({
      clientModel: "claude-opus-5-5",
      inputTokens: 1234,
      provider: "gem",
      upstreamModel: "gemini-2.5-flash",
      messageId: "msg_fixture",
    }),
  );
  return normalizeIds((await Array.fromAsync(out.pipeThrough(new TextDecoderStream()))).join(""));
}

Deno.test("property: any chunking of the same Gemini bytes yields the identical, well-formed Anthropic stream", async (t) => {
  assert.ok(FILES.length >= 10, "fixtures found");
  for (const file of FILES) {
    await t.step(file, async () => {
      const bytes = await Deno.readFile(new URL(file, DIR));
      const reference = await translate([bytes]);
      assertWellFormed(parseFrames(reference));
      // Every split point (CRLF and multi-byte UTF-8 split included; a long fixture's points
      // an event apart in one pass: everyPointSpaced says why that checks each as alone), bytewise,
      // random cuts.
      for (const cuts of everyPointSpaced(bytes)) {
        assert.equal(await translate(splitAt(bytes, cuts)), reference, `split at ${cuts}`);
      }
      assert.equal(await translate(bytewise(bytes)), reference, "bytewise");
      const random = seeded(bytes.length);
      for (let run = 0; run < 40; run++) {
        const cuts = Array.from(
          { length: 1 + Math.floor(random() * 12) },
          () => Math.floor(random() * bytes.length),
        );
        assert.equal(await translate(splitAt(bytes, cuts)), reference, `cuts ${cuts}`);
      }
    });
  }
});
