/**
 * A DeepSeek-like Chat Completions server: each answer reasons (`reasoning_content`) and calls
 * Bash, so a test can see which reasoning ccp sends back on the next request.
 */

type Obj = Record<string, unknown>;

/** The server's `/v1` root, the bodies it was sent in order, and its stop. */
export interface ReasoningChat {
  url: string;
  bodies: Obj[];
  close: () => Promise<void>;
}

/** Starts it; `says(n)` gives the n-th answer's (from 1) reasoning and tool call id. */
export function startReasoningChat(
  says: (n: number) => { reasoning: string; callId: string },
): ReasoningChat {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const { reasoning, callId } = says(bodies.length);
    return Response.json({
      id: `chatcmpl-${bodies.length}`,
      object: "chat.completion",
      model: body.model,
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: null,
          reasoning_content: reasoning,
          tool_calls: [{
            id: callId,
            type: "function",
            function: { name: "Bash", arguments: '{"command":"ls"}' },
          }],
        },
        finish_reason: "tool_calls",
      }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/v1`, bodies, close: () => server.shutdown() };
}
