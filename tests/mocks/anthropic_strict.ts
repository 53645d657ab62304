/**
 * An Anthropic Messages upstream that refuses what the real API refuses in a history another
 * model had a hand in: a thinking block whose signature it did not issue, a tool id outside
 * `toolu_…`, a result without its call, a tool turn that lost its leading thinking block while
 * thinking is on a budget.
 */

import { encodeEvents, type SseEvent, sseEvent as ev } from "./anthropic_fixtures.ts";

type Obj = Record<string, unknown>;

/** A running strict upstream. */
export interface StrictAnthropic {
  readonly url: string;
  /** Bodies received, refused ones too. */
  readonly bodies: Obj[];
  /** Why each refused request was refused. */
  readonly problems: string[];
  close(): Promise<void>;
}

type Block = Obj & { type: string };

/**
 * What the real Messages API refuses in `body` that a model switch could bring about, or
 * undefined; `signed` holds the signatures this server made.
 */
export function anthropicProblem(body: Obj, signed: Set<string>): string | undefined {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const uses = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content as Block[]) {
      if (b.type === "thinking" && !signed.has(String(b.signature))) {
        return `messages.${i}: Invalid \`signature\` in \`thinking\` block`;
      }
      if (b.type === "tool_use") {
        if (!/^toolu_[a-zA-Z0-9_-]+$/.test(String(b.id))) return `messages.${i}: tool id ${b.id}`;
        uses.add(String(b.id));
      }
      if (b.type === "tool_result" && !uses.has(String(b.tool_use_id))) {
        return `messages.${i}: tool_result for ${b.tool_use_id} without its tool_use`;
      }
    }
  }
  // With thinking on a budget, the assistant turn of a tool loop in progress must start with
  // thinking (adaptive thinking may answer without).
  const thinking = body.thinking as { type?: string } | undefined;
  const last = messages.findLast((m) => m.role === "assistant");
  const first = Array.isArray(last?.content) ? (last.content as Block[])[0] : undefined;
  const inLoop = JSON.stringify(messages.at(-1)?.content ?? "").includes("tool_result");
  if (thinking?.type === "enabled" && inLoop && first?.type !== "thinking") {
    return "Expected `thinking` or `redacted_thinking`, but found `" + first?.type + "`";
  }
  return undefined;
}

/**
 * An Anthropic upstream that refuses what {@link anthropicProblem} finds: a Bash call (`echo
 * two`) with signed thinking, then, once its result is back, the answer "Anthropic saw two.".
 */
export function startStrictAnthropic(): StrictAnthropic {
  const bodies: Obj[] = [];
  const signed = new Set<string>();
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const problem = anthropicProblem(body, signed);
    if (problem) {
      problems.push(problem);
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message: problem } },
        { status: 400 },
      );
    }
    const messages = body.messages as Obj[];
    const signature = `anth-sig-${bodies.length}`;
    signed.add(signature);
    // Claude Code may put a system message after the user's (the model's name, after a switch).
    const lastUser = messages.findLast((m) => m.role === "user");
    const afterTool = JSON.stringify(lastUser?.content).includes('"tool_use_id":"toolu_anth_');
    const events: SseEvent[] = [
      ev("message_start", {
        message: {
          id: `msg_${bodies.length}`,
          type: "message",
          role: "assistant",
          model: body.model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 800, output_tokens: 1 },
        },
      }),
      ev("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }),
      ev("content_block_delta", {
        index: 0,
        delta: { type: "thinking_delta", thinking: "Anthropic plans two." },
      }),
      ev("content_block_delta", { index: 0, delta: { type: "signature_delta", signature } }),
      ev("content_block_stop", { index: 0 }),
    ];
    if (afterTool) {
      events.push(
        ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
        ev("content_block_delta", {
          index: 1,
          delta: { type: "text_delta", text: "Anthropic saw two." },
        }),
        ev("content_block_stop", { index: 1 }),
      );
    } else {
      events.push(
        ev("content_block_start", {
          index: 1,
          content_block: {
            type: "tool_use",
            id: `toolu_anth_${bodies.length}`,
            name: "Bash",
            input: {},
          },
        }),
        ev("content_block_delta", {
          index: 1,
          delta: {
            type: "input_json_delta",
            partial_json: JSON.stringify({ command: "echo two", description: "Say two" }),
          },
        }),
        ev("content_block_stop", { index: 1 }),
      );
    }
    events.push(
      ev("message_delta", {
        delta: { stop_reason: afterTool ? "end_turn" : "tool_use", stop_sequence: null },
        usage: { output_tokens: 30 },
      }),
      ev("message_stop", {}),
    );
    return new Response(encodeEvents(events), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}
