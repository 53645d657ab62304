/**
 * The Anthropic-compatible endpoints of DeepSeek (`/anthropic/v1/messages`) and Moonshot (Kimi)
 * as strict as the real ones are about what Claude Code sends back: thinking is on unless the
 * request says `disabled`, and then every assistant turn that called a tool must carry a thinking
 * block (an empty one passes), or the answer is a 400 in the vendor's words (DeepSeek: "The
 * `content[].thinking` in the thinking mode must be passed back to the API."; Moonshot: "thinking
 * is enabled but reasoning_content is missing in assistant tool call message at index N"). A
 * thinking block without its `thinking` text is a 400 "missing field `thinking`";
 * `redacted_thinking` is not supported; every `tool_use` needs its `tool_result` in the next user
 * message; a model name the vendor does not serve is a 400. Errors come in the vendors'
 * OpenAI-style body. Answers are streamed as they stream them: a thinking block with its
 * signature, then text or parallel `tool_use` blocks with the vendor's ids (DeepSeek's
 * `call_00_…`, Kimi's `functions.Bash:0`).
 */

import {
  blockEvents,
  closingEvents,
  encodeEvents,
  jsonDeltas,
  openingMessage,
  type SseEvent,
  sseEvent,
  textDeltas,
} from "./anthropic_fixtures.ts";

type Obj = Record<string, unknown>;

/** The two vendors. */
export type Vendor = "deepseek" | "moonshot";

const VENDORS: Record<Vendor, {
  serves: (model: string) => boolean;
  unreturned: (index: number) => string;
  callId: (name: string, k: number) => string;
}> = {
  // DeepSeek maps names starting with `claude` to its own models.
  deepseek: {
    serves: (m) =>
      ["deepseek-v4-pro", "deepseek-flash", "deepseek-v4-flash"].includes(m) ||
      m.startsWith("claude"),
    unreturned: () =>
      "The `content[].thinking` in the thinking mode must be passed back to the API.",
    callId: (_, k) => `call_0${k}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
  },
  moonshot: {
    serves: (m) => m.startsWith("kimi-"),
    unreturned: (index) =>
      `thinking is enabled but reasoning_content is missing in assistant tool call message at index ${index}`,
    callId: (name, k) => `functions.${name}:${k}${crypto.randomUUID().slice(0, 4)}`,
  },
};

/** What the scripted model does next: think, then answer with text or call tools. */
export interface ThinkingStep {
  readonly thinking: string;
  readonly text?: string;
  readonly calls?: readonly { name: string; input: Obj }[];
}

/** A running mock: the bodies it was sent and the refusals it gave. */
export interface ThinkingAnthropicMock {
  readonly url: string;
  readonly bodies: Obj[];
  readonly refusals: string[];
  close(): Promise<void>;
}

const blocksOf = (m: Obj): Obj[] => Array.isArray(m.content) ? m.content as Obj[] : [];

/** What `vendor` refuses in `body`, in its words; undefined when it takes it. */
export function thinkingRefusal(vendor: Vendor, body: Obj): string | undefined {
  const model = String(body.model);
  if (!VENDORS[vendor].serves(model)) return `Model Not Exist: ${model}`;
  const thinkingOn = (body.thinking as Obj | undefined)?.type !== "disabled";
  const messages = (body.messages ?? []) as Obj[];
  for (const [i, m] of messages.entries()) {
    const blocks = blocksOf(m);
    if (blocks.some((b) => b.type === "redacted_thinking")) {
      return `messages[${i}]: unknown variant \`redacted_thinking\``;
    }
    const thinking = blocks.filter((b) => b.type === "thinking");
    if (thinking.some((b) => typeof b.thinking !== "string")) return "missing field `thinking`";
    const calls = blocks.filter((b) => b.type === "tool_use");
    if (m.role !== "assistant" || calls.length === 0) continue;
    if (thinkingOn && thinking.length === 0) {
      return VENDORS[vendor].unreturned(i);
    }
    const results = new Set(
      blocksOf(messages[i + 1] ?? {}).filter((b) => b.type === "tool_result").map((b) =>
        b.tool_use_id
      ),
    );
    const missing = calls.find((c) => !results.has(c.id));
    if (missing) {
      return `'tool_use' ids were found without 'tool_result' blocks immediately after: ${missing.id}`;
    }
  }
  return undefined;
}

function answer(vendor: Vendor, step: ThinkingStep, model: unknown, n: number): SseEvent[] {
  const usage = { input_tokens: 1200, output_tokens: 1 };
  const events: SseEvent[] = [
    sseEvent("message_start", { message: openingMessage(`msg_${vendor}_${n}`, model, usage) }),
    ...blockEvents(0, { type: "thinking", thinking: "", signature: "" }, [
      { type: "thinking_delta", thinking: step.thinking },
      { type: "signature_delta", signature: `${vendor}${n}-${crypto.randomUUID()}` },
    ]),
  ];
  let index = 1;
  if (step.text) {
    events.push(...blockEvents(index++, { type: "text", text: "" }, textDeltas([step.text])));
  }
  for (const [k, call] of (step.calls ?? []).entries()) {
    const id = VENDORS[vendor].callId(call.name, k);
    const input = JSON.stringify(call.input);
    const pieces = [input.slice(0, 7), input.slice(7)];
    events.push(
      ...blockEvents(
        index++,
        { type: "tool_use", id, name: call.name, input: {} },
        jsonDeltas(pieces),
      ),
    );
  }
  events.push(...closingEvents(step.calls?.length ? "tool_use" : "end_turn", 40));
  return events;
}

/** Starts `vendor`'s endpoint; `script` picks each answer from the request's messages. */
export function startThinkingAnthropic(
  vendor: Vendor,
  script: (messages: Obj[]) => ThinkingStep,
): ThinkingAnthropicMock {
  const bodies: Obj[] = [];
  const refusals: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const refusal = thinkingRefusal(vendor, body);
    if (refusal) {
      refusals.push(refusal);
      const error = {
        message: refusal,
        type: "invalid_request_error",
        param: null,
        code: "invalid_request_error",
      };
      return Response.json({ error }, { status: 400 });
    }
    const events = answer(vendor, script(body.messages as Obj[]), body.model, bodies.length);
    return new Response(encodeEvents(events), { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/anthropic`,
    bodies,
    refusals,
    close: () => server.shutdown(),
  };
}
