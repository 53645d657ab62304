/**
 * An Anthropic-compatible upstream (not Anthropic itself) that keeps every request body it is
 * sent and answers each with what the test decides, or else a one-word message.
 */

type Obj = Record<string, unknown>;

/** The server's address, the bodies it was sent in order, and its stop. */
export interface RecordingUpstream {
  url: string;
  bodies: Obj[];
  close: () => Promise<void>;
}

/** Starts the upstream; `answer` gives the response to a body, undefined for the message. */
export function startRecordingUpstream(
  answer: (body: Obj) => Response | undefined = () => undefined,
): RecordingUpstream {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    return answer(body) ?? Response.json({
      id: `msg_${bodies.length}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}

/** Anthropic's 400 for a request it refuses, with `message`. */
export function invalidRequest(message: string): Response {
  return Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
    status: 400,
  });
}
