/** Pieces of Ollama's native API (`/api/*`), as its API documents them, for mock servers. */

/** `GET /api/ps`: the models loaded now, each with the context it runs with. */
export function psAnswer(loaded: Record<string, number>): Response {
  return Response.json({
    models: Object.entries(loaded).map(([name, context_length]) => ({
      name,
      model: name,
      size: 1,
      digest: "d",
      expires_at: "2026-12-06T23:00:00Z",
      size_vram: 1,
      context_length,
    })),
  });
}

/**
 * An Ollama that runs qwen3-coder with its small default context: `/api/ps` says 4096, and its
 * Anthropic endpoint answers whatever it kept of the prompt (it cut the rest, with no error).
 */
export function startSmallContextOllama(): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/ps") return psAnswer({ "qwen3-coder:latest": 4096 });
    if (path === "/v1/messages") {
      return Response.json({
        id: "msg_0123456789abcdef01234567",
        type: "message",
        role: "assistant",
        model: "qwen3-coder",
        content: [{ type: "text", text: "Sure! What would you like me to help you with today?" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 4096, output_tokens: 14 },
      });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
