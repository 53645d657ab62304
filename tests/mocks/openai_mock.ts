/** An in-process mock of an OpenAI Chat Completions upstream that replays recorded SSE files. */

/** A request the mock received. */
export interface RecordedChatRequest {
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A running mock. */
export interface OpenAIMock {
  url: string;
  requests: RecordedChatRequest[];
  close(): Promise<void>;
}

/** Serves `sse` (raw Chat Completions SSE text) to streaming requests, `json` to the others. */
export function startOpenAIMock(
  reply: { sse?: string; json?: unknown; status?: number },
): OpenAIMock {
  const requests: RecordedChatRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    requests.push({ path: new URL(req.url).pathname, headers: req.headers, body });
    if (reply.status && reply.status >= 400) {
      return Response.json(reply.json ?? { error: { message: "mock failure" } }, {
        status: reply.status,
      });
    }
    if (body.stream && reply.sse !== undefined) {
      return new Response(reply.sse, { headers: { "content-type": "text/event-stream" } });
    }
    return Response.json(reply.json);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    close: () => server.shutdown(),
  };
}

/** One Chat Completions stream chunk as an SSE `data:` line, with `delta` and `finish`. */
export function chatChunk(
  delta: Record<string, unknown>,
  finish: string | null = null,
  id = "c",
): string {
  const head = { id, object: "chat.completion.chunk", created: 1, model: "m" };
  return `data: ${
    JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })
  }\n\n`;
}

/** A streamed Chat Completions answer: `chunks`, a usage-only chunk with `usage`, then [DONE]. */
export function chatStreamAnswer(
  chunks: readonly string[],
  usage: Record<string, unknown>,
): Response {
  const counted = { id: "c", object: "chat.completion.chunk", choices: [], usage };
  return new Response(`${chunks.join("")}data: ${JSON.stringify(counted)}\n\ndata: [DONE]\n\n`, {
    headers: { "content-type": "text/event-stream" },
  });
}
