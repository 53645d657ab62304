/**
 * What the `server_tools` gateway tests share: Anthropic's answer to a web search (the search
 * call, its result and the text), as JSON and as a stream, the way a gateway relays it.
 */

import { encodeEvents, openingMessage, type SseEvent } from "../mocks/anthropic_fixtures.ts";

const USE = {
  type: "server_tool_use",
  id: "srvtoolu_01A",
  name: "web_search",
  input: { query: "moon distance" },
};
const RESULT = {
  type: "web_search_tool_result",
  tool_use_id: "srvtoolu_01A",
  content: [{
    type: "web_search_result",
    url: "https://example.com/moon",
    title: "The Moon",
    encrypted_content: "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5",
    page_age: "April 30, 2025",
  }],
};
const TEXT = "About 384,400 km.";

/** The answer's content blocks. */
export const SEARCHED = [USE, RESULT, { type: "text", text: TEXT }];

/** The answer's usage. */
export const USAGE = {
  input_tokens: 900,
  output_tokens: 40,
  server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
};

/** {@link SEARCHED} as Anthropic streams it. */
export function searchedEvents(): SseEvent[] {
  const events: SseEvent[] = [{
    event: "message_start",
    data: {
      type: "message_start",
      message: openingMessage("msg_01", "claude-sonnet-4-6", {
        input_tokens: 900,
        output_tokens: 1,
      }),
    },
  }];
  const at = (index: number, type: string, extra: Record<string, unknown>): SseEvent => ({
    event: type,
    data: { type, index, ...extra },
  });
  events.push(at(0, "content_block_start", { content_block: { ...USE, input: {} } }));
  events.push(at(0, "content_block_delta", {
    delta: { type: "input_json_delta", partial_json: JSON.stringify(USE.input) },
  }));
  events.push(at(0, "content_block_stop", {}));
  events.push(at(1, "content_block_start", { content_block: RESULT }));
  events.push(at(1, "content_block_stop", {}));
  events.push(at(2, "content_block_start", { content_block: { type: "text", text: "" } }));
  events.push(at(2, "content_block_delta", {
    delta: { type: "text_delta", text: TEXT },
  }));
  events.push(at(2, "content_block_stop", {}));
  events.push({
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: USAGE,
    },
  });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  return events;
}

/** The gateway's answer to a request with the search: streamed, or one JSON message. */
export function searchedAnswer(stream: boolean): Response {
  if (stream) {
    return new Response(encodeEvents(searchedEvents()), {
      headers: { "content-type": "text/event-stream" },
    });
  }
  return Response.json({
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-6",
    content: SEARCHED,
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: USAGE,
  });
}

/** The `content_block_*` events' data, in order. */
export function blockEvents(events: ReadonlyArray<{ event: string; data: unknown }>): unknown[] {
  return events.filter((e) => e.event.startsWith("content_block")).map((e) => e.data);
}
