/**
 * The one checker of Anthropic's streaming grammar the tests share: what a client of the Messages
 * API may rely on in the events ccp sends, whichever upstream it translated or relayed.
 */

import assert from "node:assert/strict";

/** One event as a client reads it: its SSE name and its parsed data. */
export interface GrammarEvent {
  readonly event: string;
  // deno-lint-ignore no-explicit-any
  readonly data: any;
}

/** How strict to be beyond the grammar itself. */
export interface GrammarOptions {
  /**
   * Tool input must be valid JSON (an upstream's cut arguments stay cut, as Anthropic's own cut
   * answers do, so fuzzed upstreams turn this off).
   */
  readonly toolJson?: boolean;
  /**
   * What ccp's translations add: every key Anthropic's API sends in message_start and
   * message_delta (see {@link assertMessageKeys}), input_tokens in message_delta, every thinking
   * block signed before it stops, and the open block stopped before an error. A relayed Anthropic
   * stream carries the upstream's own.
   */
  readonly ccp?: boolean;
}

/** The stop reasons Anthropic defines. */
export const STOP_REASONS: ReadonlySet<string> = new Set([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

/**
 * The keys Anthropic's API sends on every Message and its usage, null where it has nothing to say
 * (the Anthropic TypeScript SDK 1.17 types each as present, `T | null`), and on `message_delta`.
 */
export const MESSAGE_KEYS: readonly string[] = [
  "id",
  "type",
  "role",
  "model",
  "content",
  "stop_reason",
  "stop_sequence",
  "stop_details",
  "container",
  "diagnostics",
  "usage",
];
export const USAGE_KEYS: readonly string[] = [
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
  "cache_creation",
  "inference_geo",
  "output_tokens_details",
  "server_tool_use",
  "service_tier",
  "speed",
];
export const DELTA_KEYS: readonly string[] = [
  "stop_reason",
  "stop_sequence",
  "stop_details",
  "container",
];
export const DELTA_USAGE_KEYS: readonly string[] = [
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
  "output_tokens_details",
  "server_tool_use",
];

function assertKeys(value: unknown, keys: readonly string[], what: string): void {
  assert.ok(typeof value === "object" && value !== null, `${what} is an object`);
  const missing = keys.filter((k) => !Object.hasOwn(value, k));
  assert.deepEqual(missing, [], `${what} lacks keys Anthropic's API always sends`);
}

/**
 * A whole Message (a JSON answer, or message_start's with `end` false) as Anthropic's API sends
 * one: every key, ccp's truthful values where it cannot know more (no container, no cache
 * diagnostics, no inference region), and stop details exactly when the answer was a refusal.
 */
export function assertMessageKeys(
  value: unknown,
  { end = true }: { readonly end?: boolean } = {},
): void {
  // deno-lint-ignore no-explicit-any
  const message = value as any;
  assertKeys(message, MESSAGE_KEYS, "message");
  assertKeys(message.usage, USAGE_KEYS, "message usage");
  assert.equal(message.container, null, "message container");
  assert.equal(message.diagnostics, null, "message diagnostics");
  assert.equal(message.usage.inference_geo, null, "usage inference_geo");
  assert.equal(message.usage.service_tier, "standard", "usage service_tier");
  assert.equal(message.usage.speed, "standard", "usage speed");
  assert.equal(typeof message.usage.cache_creation?.ephemeral_5m_input_tokens, "number");
  assert.equal(typeof message.usage.cache_creation?.ephemeral_1h_input_tokens, "number");
  assert.equal(typeof message.usage.server_tool_use?.web_search_requests, "number");
  assertThinkingCount(message.usage.output_tokens_details, "message usage");
  if (!end) {
    assert.equal(message.stop_reason, null, "message_start stop_reason");
    assert.equal(message.stop_details, null, "message_start stop_details");
  } else assertStopDetails(message.stop_reason, message.stop_details);
}

function assertThinkingCount(details: unknown, what: string): void {
  if (details === null) return;
  assert.equal(
    typeof (details as { thinking_tokens?: unknown })?.thinking_tokens,
    "number",
    `${what} output_tokens_details.thinking_tokens`,
  );
}

function assertStopDetails(reason: unknown, details: unknown): void {
  if (reason === "refusal") {
    assert.equal((details as { type?: unknown })?.type, "refusal", "a refusal's stop_details");
  } else assert.equal(details, null, `stop_details of a ${reason} stop`);
}

/** The delta types each content block type takes; a type not here takes none. */
const DELTAS: Readonly<Record<string, readonly string[]>> = {
  text: ["text_delta", "citations_delta"],
  thinking: ["thinking_delta", "signature_delta"],
  tool_use: ["input_json_delta"],
  server_tool_use: ["input_json_delta"],
  mcp_tool_use: ["input_json_delta"],
};

/**
 * Checks `events` against the grammar: `message_start` first; content blocks with indexes from 0
 * in order, each started, given deltas of its own type only, and stopped before the next starts;
 * the input_json_delta pieces of a tool block joined are a JSON object (none at all is `{}`);
 * then one `message_delta` with a stop reason Anthropic defines and usage, then `message_stop`.
 * A `ping` may come anywhere before the end; an `error` ends the stream, at any point; nothing
 * follows the end.
 */
export function assertAnthropicGrammar(
  events: readonly GrammarEvent[],
  { toolJson = true, ccp = true }: GrammarOptions = {},
): void {
  let started = false, open = -1, next = 0, openType = "", json = "", signed = false;
  let ended = false, delta = false;
  events.forEach((e, i) => {
    const at = `event ${i} (${e.event})`;
    assert.ok(!ended, `nothing may follow the end: ${at}`);
    assert.equal(e.data?.type, e.event, `event name and data.type agree: ${at}`);
    const d = e.data;
    switch (e.event) {
      case "ping":
        break;
      case "message_start": {
        assert.ok(!started, "one message_start");
        assert.ok(events.slice(0, i).every((p) => p.event === "ping"), "message_start first");
        started = true;
        assert.equal(d.message?.type, "message", at);
        assert.equal(d.message?.role, "assistant", at);
        assert.ok(Array.isArray(d.message?.content), `message_start content: ${at}`);
        const u = d.message?.usage ?? {};
        assert.equal(typeof u.input_tokens, "number", "message_start usage.input_tokens");
        assert.equal(typeof u.output_tokens, "number", "message_start usage.output_tokens");
        if (ccp) {
          assert.equal(typeof u.cache_creation_input_tokens, "number");
          assert.equal(typeof u.cache_read_input_tokens, "number");
          assertMessageKeys(d.message, { end: false });
        }
        break;
      }
      case "content_block_start":
        assert.ok(started, `a block starts after message_start: ${at}`);
        assert.ok(!delta, `no block after message_delta: ${at}`);
        assert.equal(open, -1, `a block starts only when none is open: ${at}`);
        assert.equal(d.index, next, `indexes contiguous from 0: ${at}`);
        assert.equal(typeof d.content_block?.type, "string", at);
        open = d.index;
        next++;
        openType = d.content_block.type;
        json = "";
        signed = false;
        break;
      case "content_block_delta": {
        assert.ok(open !== -1 && d.index === open, `a delta for the open block: ${at}`);
        const t = d.delta?.type;
        assert.ok((DELTAS[openType] ?? []).includes(t), `${t} in a ${openType} block: ${at}`);
        if (t === "signature_delta") signed = true;
        else if (openType === "thinking") {
          assert.ok(!signed, `the signature is the last thinking delta: ${at}`);
        }
        if (t === "input_json_delta") {
          assert.equal(typeof d.delta.partial_json, "string", at);
          json += d.delta.partial_json;
        }
        if (t === "text_delta") assert.equal(typeof d.delta.text, "string", at);
        if (t === "thinking_delta") assert.equal(typeof d.delta.thinking, "string", at);
        break;
      }
      case "content_block_stop":
        assert.ok(open !== -1 && d.index === open, `stop the open block: ${at}`);
        if (ccp && openType === "thinking") assert.ok(signed, `thinking signed before it stops`);
        if (DELTAS[openType]?.includes("input_json_delta") && toolJson) {
          let input: unknown = {};
          try {
            if (json !== "") input = JSON.parse(json);
          } catch {
            assert.fail(`tool input is not JSON: ${json}`);
          }
          assert.ok(
            typeof input === "object" && input !== null && !Array.isArray(input),
            `tool input is an object: ${json}`,
          );
        }
        open = -1;
        break;
      case "message_delta":
        assert.ok(started && open === -1, `message_delta after every block stopped: ${at}`);
        assert.ok(!delta, "one message_delta");
        delta = true;
        assert.ok(STOP_REASONS.has(d.delta?.stop_reason), `stop_reason ${d.delta?.stop_reason}`);
        assert.equal(typeof d.usage?.output_tokens, "number", "message_delta usage.output_tokens");
        if (ccp) {
          assert.equal(typeof d.usage.input_tokens, "number");
          assertKeys(d.delta, DELTA_KEYS, "message_delta delta");
          assertKeys(d.usage, DELTA_USAGE_KEYS, "message_delta usage");
          assert.equal(d.delta.container, null, "message_delta container");
          assertStopDetails(d.delta.stop_reason, d.delta.stop_details);
          assertThinkingCount(d.usage.output_tokens_details, "message_delta usage");
        }
        break;
      case "message_stop":
        assert.ok(delta, "message_stop follows message_delta");
        ended = true;
        break;
      case "error":
        // Anthropic's own API may send one with a block open; ccp's translations stop a text or
        // thinking block first, and leave a tool call's open (its input may be cut anywhere).
        if (ccp && open !== -1) {
          assert.equal(
            openType,
            "tool_use",
            "the open text or thinking block stopped before the error",
          );
        }
        assert.equal(typeof d.error?.type, "string", "error.type");
        assert.equal(typeof d.error?.message, "string", "error.message");
        ended = true;
        break;
      default:
        assert.fail(`an event Anthropic does not define: ${at}`);
    }
  });
  assert.ok(ended, "the stream ends with message_stop or error");
}
