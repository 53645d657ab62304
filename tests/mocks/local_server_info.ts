/**
 * The read-only endpoints where llama.cpp's llama-server, vLLM and LM Studio say what they run,
 * as each documents them: llama-server's `GET /props` (`default_generation_settings.n_ctx`, a
 * 503 `Loading model` in its OpenAI error shape until the model is loaded), vLLM's
 * `GET /v1/models` (`max_model_len` on each entry) and LM Studio's `GET /api/v0/models`
 * (`state` loaded or not-loaded, `max_context_length`, and `loaded_context_length` once loaded).
 */

/** What one server runs. */
export type ServerInfo =
  | { readonly kind: "llamacpp"; readonly nCtx?: number; readonly loading?: boolean }
  | { readonly kind: "vllm"; readonly models: Readonly<Record<string, number>> }
  | {
    readonly kind: "lmstudio";
    readonly models: Readonly<Record<string, { loaded?: number; maximum: number }>>;
  };

/** A running mock: its base URL (ending in `/v1`, as the presets' are) and what it was asked. */
export interface InfoServer {
  readonly baseUrl: string;
  readonly asked: string[];
  close(): Promise<void>;
}

function answer(info: ServerInfo, path: string): Response {
  if (info.kind === "llamacpp" && path === "/props") {
    if (info.loading) {
      return Response.json(
        { error: { code: 503, message: "Loading model", type: "unavailable_error" } },
        { status: 503 },
      );
    }
    return Response.json({
      default_generation_settings: { n_ctx: info.nCtx, params: { n_predict: -1 } },
      total_slots: 1,
      model_path: "/models/model.gguf",
    });
  }
  if (info.kind === "vllm" && path === "/v1/models") {
    return Response.json({
      object: "list",
      data: Object.entries(info.models).map(([id, max_model_len]) => ({
        id,
        object: "model",
        owned_by: "vllm",
        root: id,
        max_model_len,
      })),
    });
  }
  if (info.kind === "lmstudio" && path === "/api/v0/models") {
    return Response.json({
      object: "list",
      data: Object.entries(info.models).map(([id, m]) => ({
        id,
        object: "model",
        type: "llm",
        arch: "qwen3moe",
        compatibility_type: "gguf",
        quantization: "Q4_K_M",
        state: m.loaded !== undefined ? "loaded" : "not-loaded",
        max_context_length: m.maximum,
        ...(m.loaded !== undefined ? { loaded_context_length: m.loaded } : {}),
      })),
    });
  }
  return Response.json({ error: "Unexpected endpoint or method." }, { status: 404 });
}

/** Starts a mock of `info`'s server on an ephemeral port. */
export function startInfoServer(info: ServerInfo): InfoServer {
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    asked.push(`${req.method} ${path}`);
    return answer(info, path);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    asked,
    close: () => server.shutdown(),
  };
}
