import assert from "node:assert/strict";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import { encodeAnthropicEvents } from "../../src/translate/anthropic/sse.ts";

const delta = (text: string): AnthropicStreamEvent => ({
  type: "content_block_delta",
  index: 0,
  delta: { type: "text_delta", text },
});

Deno.test("translated events are encoded as UTF-8 text, each chunk apart, small ones from one buffer", () => {
  const first = encodeAnthropicEvents([delta("héllo ✓")]);
  const second = encodeAnthropicEvents([delta("😀"), { type: "content_block_stop", index: 0 }]);
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.equal(
    text(first),
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":' +
      '{"type":"text_delta","text":"héllo ✓"}}\n\n',
  );
  assert.equal(
    text(second),
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":' +
      '{"type":"text_delta","text":"😀"}}\n\nevent: content_block_stop\ndata: ' +
      '{"type":"content_block_stop","index":0}\n\n',
  );
  // One stream chunk is not one ArrayBuffer: the collector's sweep of each cost more than the copy.
  assert.equal(first.buffer, second.buffer);
  assert.ok(first.byteOffset + first.byteLength <= second.byteOffset);
  const large = encodeAnthropicEvents([delta("x".repeat(3000))]);
  assert.equal(large.byteLength, large.buffer.byteLength);
});
