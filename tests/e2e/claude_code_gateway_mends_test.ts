/**
 * Real Claude Code (`claude -p`) through ccp against an Anthropic-compatible gateway that leaves
 * the answer's last block, a Write call, without its `content_block_stop` (recorded-style stream
 * in tests/fixtures/anthropic/unclosed_last_block.sse, with the call made a Write): the call must
 * run, as it would against Anthropic. Skipped when `claude` is not installed.
 */

import { claude, ev, writeThroughGateway } from "../helpers/gateway_write.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

/** The fixture's turn with its Bash call made a Write of `content` to `target`. */
function unclosedWrite(target: string, content: string): string {
  const input = JSON.stringify({ file_path: target, content });
  const fixture = Deno.readTextFileSync(
    new URL("../fixtures/anthropic/unclosed_last_block.sse", import.meta.url),
  );
  const pieces = [input.slice(0, 20), input.slice(20)];
  return fixture
    .replace('"name":"Bash"', '"name":"Write"')
    .replace("I'll list the test files first.", "I'll write the file.")
    .replace(
      /"partial_json":"\{[^\n]*ls tests"/,
      `"partial_json":${JSON.stringify(pieces[0])}`,
    )
    .replace(/"partial_json":"\/[^\n]*"\}\}/, `"partial_json":${JSON.stringify(pieces[1])}}}`);
}

/** A short final answer, framed as Anthropic frames one. */
function finalAnswer(text: string): string {
  return [
    ev({
      type: "message_start",
      message: openingMessage("msg_final", "gw-model", { input_tokens: 9300, output_tokens: 0 }),
    }),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 3 },
    }),
    ev({ type: "message_stop" }),
  ].join("");
}

Deno.test({
  name: "real Claude Code runs a tool call whose block the gateway never stopped",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => writeThroughGateway({ call: unclosedWrite, final: finalAnswer }),
});
