/**
 * `ccp check`'s lines on Ollama's context length. Ollama runs a model with a context it picks
 * itself (4096 tokens below 24 GiB of VRAM; 2048 before 0.6.7) unless `OLLAMA_CONTEXT_LENGTH` or
 * the model's `num_ctx` says otherwise, and cuts a longer prompt from the front without an
 * error: a Claude Code session then loses its system prompt and tools and goes on as if nothing
 * happened. Its Anthropic endpoint takes no `num_ctx`, so ccp cannot ask for more; it can only
 * say what the server runs (`/api/ps`) and what the model could take (`/api/show`).
 */

import type { Config } from "../config/types.ts";
import { isRecord } from "../core/json.ts";
import { environmentFetch, type FetchLike } from "../upstream/http/clients.ts";

/**
 * The context Claude Code needs: its system prompt and tool definitions alone take some 15k
 * tokens, and Ollama's own guide for coding tools asks for at least 64000.
 */
export const CLAUDE_CODE_CONTEXT = 64_000;

const ASK_MS = 2_000;

/** Per Ollama provider that a route or alias uses: the models it is asked for. */
function ollamaModels(config: Config): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const chain of [...Object.values(config.routes), ...Object.values(config.aliases)]) {
    for (const target of chain) {
      if (config.providers[target.provider]?.preset !== "ollama") continue;
      const models = out.get(target.provider) ?? new Set<string>();
      models.add(target.model);
      out.set(target.provider, models);
    }
  }
  return out;
}

/** The server root of an Ollama base URL (the preset's has no `/v1`; a `type: openai` one has). */
function rootOf(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

async function ask(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit = {},
): Promise<unknown> {
  const response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(ASK_MS) });
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return await response.json();
}

/** Loaded model name → the context it runs with, from `/api/ps`. */
function loadedContexts(ps: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const models = isRecord(ps) && Array.isArray(ps.models) ? ps.models : [];
  for (const model of models) {
    if (!isRecord(model) || typeof model.name !== "string") continue;
    if (typeof model.context_length === "number") out.set(model.name, model.context_length);
  }
  return out;
}

/** The most context a model takes (`<arch>.context_length` in `/api/show`'s `model_info`). */
function modelMaximum(show: unknown): number | undefined {
  const info = isRecord(show) && isRecord(show.model_info) ? show.model_info : {};
  for (const [key, value] of Object.entries(info)) {
    if (key.endsWith(".context_length") && typeof value === "number") return value;
  }
  return undefined;
}

const RAISE_THE_CONTEXT =
  `set OLLAMA_CONTEXT_LENGTH=65536 (or more, as memory allows) where \`ollama serve\` ` +
  "runs and restart it, or give the model `PARAMETER num_ctx 65536` in a Modelfile";

/** One model's line: what it runs with, or, not loaded yet, what it could take. */
async function modelLine(
  fetchFn: FetchLike,
  root: string,
  model: string,
  loaded: ReadonlyMap<string, number>,
): Promise<string> {
  const running = loaded.get(model) ?? loaded.get(`${model}:latest`);
  if (running !== undefined && running < CLAUDE_CODE_CONTEXT) {
    return `Warning: Ollama runs ${model} with a context of ${running} tokens: a longer prompt is ` +
      "cut from the front without an error, and Claude Code's system prompt and tools alone " +
      `take about 15k tokens. Claude Code needs at least ${CLAUDE_CODE_CONTEXT}: ${RAISE_THE_CONTEXT}.`;
  }
  if (running !== undefined) return `Ollama runs ${model} with a context of ${running} tokens`;
  const show = await ask(fetchFn, `${root}/api/show`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model }),
  }).catch(() => undefined);
  const maximum = modelMaximum(show);
  const takes = maximum === undefined ? "" : ` (the model takes up to ${maximum})`;
  return `Ollama has not loaded ${model}: \`ollama ps\` shows its context once it runs${takes}; ` +
    `Claude Code needs at least ${CLAUDE_CODE_CONTEXT} tokens, and Ollama's default is 4096`;
}

/** The lines, or none when no route uses an Ollama provider. */
export async function ollamaContextLines(
  config: Config,
  fetchFn: FetchLike = environmentFetch(),
): Promise<string[]> {
  const lines: string[] = [];
  for (const [id, models] of ollamaModels(config)) {
    const root = rootOf(config.providers[id]!.baseUrl);
    const ps = await ask(fetchFn, `${root}/api/ps`).catch(() => undefined);
    if (ps === undefined) {
      lines.push(
        `Ollama (provider "${id}" at ${root}) did not answer: its context was not checked`,
      );
      continue;
    }
    const loaded = loadedContexts(ps);
    for (const model of models) lines.push(await modelLine(fetchFn, root, model, loaded));
  }
  return lines;
}
