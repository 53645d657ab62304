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
