/**
 * What Ollama says of the context it runs a model with. Ollama picks that context itself (4096
 * tokens below 24 GiB of VRAM; 2048 before 0.6.7) unless `OLLAMA_CONTEXT_LENGTH` or the model's
 * `num_ctx` says otherwise, and cuts a longer prompt from the front without an error: a Claude
 * Code session then loses its system prompt and tools and goes on as if nothing happened. Its
 * Anthropic endpoint takes no `num_ctx`, so ccp cannot ask for more; it can only read what the
 * server runs (`/api/ps`) and what the model could take (`/api/show`), and say so.
 */

import type { Config } from "../../config/types.ts";
import { isRecord } from "../../core/json.ts";
import { shownAddress } from "../../core/secrets.ts";
import type { FetchLike } from "../http/clients.ts";
import { readJsonCapped } from "../http/read_capped.ts";

/**
 * The context Claude Code needs: its system prompt and tool definitions alone take some 15k
 * tokens, and Ollama's own guide for coding tools asks for at least 64000.
 */
export const CLAUDE_CODE_CONTEXT = 64_000;

const ASK_MS = 2_000;

/**
 * The most of an answer read: `/api/show` holds the model's template, license and metadata, some
 * tens of KiB; a broken or hostile server at the configured address must not fill memory.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Per Ollama provider that a route or alias uses: the models it is asked for. */
export function ollamaModels(config: Config): Map<string, Set<string>> {
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

/**
 * The server root of an Ollama base URL (the preset's has no `/v1`; a `type: openai` one has),
 * without the query it may hold: what tells servers apart and what is shown, never asked
 * (`localServerUrl` builds the URLs asked).
 */
export function rootOf(baseUrl: string): string {
  return baseUrl.replace(/[?#].*$/s, "").replace(/\/+$/, "").replace(/\/v1$/, "");
}

/**
 * GET (or `init`) `url` within 2 s, its answer read to the end included (or until `init.signal`
 * aborts): its JSON, or undefined when it answers other than 2xx. An answer past
 * MAX_ANSWER_BYTES, or not JSON, is an error. A redirect is not followed (it is no answer): these
 * APIs have none, and the server ccp asks is the one its config names, not one it points to.
 */
export async function ask(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit = {},
): Promise<unknown> {
  const timeout = AbortSignal.timeout(ASK_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  const response = await fetchFn(url, { ...init, signal, redirect: "manual" });
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  // No setting governs this cap: a model's details are a few KiB, so more is no answer to use.
  return await readJsonCapped(
    response,
    MAX_ANSWER_BYTES,
    `Ollama at ${shownAddress(url)}`,
    "a model's details are a few KiB, so this is none: ccp does not check this context",
  );
}

/** Loaded model name -> the context it runs with, from `/api/ps`. */
export function loadedContexts(ps: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const models = isRecord(ps) && Array.isArray(ps.models) ? ps.models : [];
  for (const model of models) {
    if (!isRecord(model) || typeof model.name !== "string") continue;
    if (typeof model.context_length === "number") out.set(model.name, model.context_length);
  }
  return out;
}

/** The context `model` runs with, when loaded (a name without a tag is `:latest`). */
export function runningContext(
  loaded: ReadonlyMap<string, number>,
  model: string,
): number | undefined {
  return loaded.get(model) ?? loaded.get(`${model}:latest`);
}

/** The most context a model takes (`<arch>.context_length` in `/api/show`'s `model_info`). */
export function modelMaximum(show: unknown): number | undefined {
  const info = isRecord(show) && isRecord(show.model_info) ? show.model_info : {};
  for (const [key, value] of Object.entries(info)) {
    if (key.endsWith(".context_length") && typeof value === "number") return value;
  }
  return undefined;
}

/**
 * How to start an Ollama that is not running, said where nothing listens: with the context Claude
 * Code needs, since a plain `ollama serve` runs on a context that cuts its prompt without an error,
 * which a newcomer following the advice word for word would meet next.
 */
export const START_OLLAMA = "OLLAMA_CONTEXT_LENGTH=65536 ollama serve";

export const RAISE_THE_CONTEXT =
  `set OLLAMA_CONTEXT_LENGTH=65536 (or more, as memory allows) where \`ollama serve\` ` +
  "runs and restart it, or give the model `PARAMETER num_ctx 65536` in a Modelfile";

/** What to say of `model` running with `running` tokens of context, below what Claude Code needs. */
export function shortContextWarning(model: string, running: number): string {
  return `Ollama runs ${model} with a context of ${running} tokens: a longer prompt is ` +
    "cut from the front without an error, and Claude Code's system prompt and tools alone " +
    `take about 15k tokens. Claude Code needs at least ${CLAUDE_CODE_CONTEXT}: ${RAISE_THE_CONTEXT}.`;
}
