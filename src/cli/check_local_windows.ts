/**
 * `ccp check`'s lines on the context window of llama.cpp, vLLM and LM Studio models that routes
 * name (Ollama has its own, check_ollama.ts: it cuts a long prompt where these refuse it). Each
 * server says the window it runs a model with: llama-server's `/props` (`n_ctx` of a slot), vLLM's
 * `/v1/models` (`max_model_len`), LM Studio's `/api/v0/models` (`loaded_context_length`, or
 * `max_context_length` for a model not loaded). Claude Code knows none of them: without the
 * model's `context_window` in the config, it compacts only after the server refused a prompt as
 * too long, and ccp cannot fit `max_tokens` into the window (vLLM then refuses every request
 * whose `max_tokens` does not fit, and Claude Code sends it again with fewer).
 */

import { settingsFor } from "../config/settings_merge.ts";
import type { Config, ProviderConfig, Target } from "../config/types.ts";
import { isRecord } from "../core/json.ts";
import { shownAddress } from "../core/secrets.ts";
import { fetchFor, type FetchLike } from "../upstream/http/clients.ts";
import { localServerUrl } from "../upstream/http/endpoints.ts";
import { ask, CLAUDE_CODE_CONTEXT } from "../upstream/ollama/context.ts";

type Preset = "llamacpp" | "vllm" | "lmstudio";

const SERVER_NAMES: Readonly<Record<Preset, string>> = {
  llamacpp: "llama.cpp",
  vllm: "vLLM",
  lmstudio: "LM Studio",
};

/** What a server says of one model's window. */
type Window =
  | { readonly kind: "runs"; readonly tokens: number }
  | { readonly kind: "not_loaded"; readonly maximum?: number }
  | { readonly kind: "unknown" };

/** A routed model: its provider, the server kind, and the window the config declares for it. */
interface Routed {
  readonly provider: string;
  readonly preset: Preset;
  readonly model: string;
  readonly declared?: number;
}

function isLocalPreset(preset: string | undefined): preset is Preset {
  return preset === "llamacpp" || preset === "vllm" || preset === "lmstudio";
}

/** Every target of the config's routes and aliases. */
const everyTarget = (config: Config): Target[] =>
  [...Object.values(config.routes), ...Object.values(config.aliases)].flat();

/**
 * Each llama.cpp, vLLM or LM Studio model of `targets` (by default, every one a route or alias
 * names), once per declared window.
 */
function routedModels(config: Config, targets: readonly Target[] = everyTarget(config)): Routed[] {
  const seen = new Map<string, Routed>();
  for (const target of targets) {
    const provider = config.providers[target.provider];
    // A `type: openai` entry speaks Chat Completions; these servers' answers are the same.
    if (!provider || !isLocalPreset(provider.preset) || target.model === "*") continue;
    const declared = target.settings?.contextWindow ??
      settingsFor(provider, target.model).contextWindow;
    // A route variant may declare another window than the provider's settings: each is checked.
    const key = `${target.provider}/${target.model}/${declared ?? ""}`;
    if (seen.has(key)) continue;
    seen.set(key, {
      provider: target.provider,
      preset: provider.preset,
      model: target.model,
      ...(declared !== undefined ? { declared } : {}),
    });
  }
  return [...seen.values()];
}

const positive = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined;

/** The entry of an OpenAI-style model list (`{data: [{id, ...}]}`) for `model`. */
function listed(list: unknown, model: string): Record<string, unknown> | undefined {
  const data = isRecord(list) && Array.isArray(list.data) ? list.data : [];
  return data.find((m): m is Record<string, unknown> => isRecord(m) && m.id === model);
}

/** What the server of `routed` says of its window; throws when it cannot be reached. */
async function windowOf(fetchFn: FetchLike, baseUrl: string, routed: Routed): Promise<Window> {
  switch (routed.preset) {
    case "llamacpp": {
      // One model per server: its slots' context, whatever name the route gives it.
      const props = await ask(fetchFn, localServerUrl(baseUrl, "/props"));
      const settings = isRecord(props) ? props.default_generation_settings : undefined;
      const tokens = positive(isRecord(settings) ? settings.n_ctx : undefined);
      return tokens !== undefined ? { kind: "runs", tokens } : { kind: "unknown" };
    }
    case "vllm": {
      const tokens = positive(
        listed(await ask(fetchFn, localServerUrl(baseUrl, "/models", true)), routed.model)
          ?.max_model_len,
      );
      return tokens !== undefined ? { kind: "runs", tokens } : { kind: "unknown" };
    }
    case "lmstudio": {
      const entry = listed(
        await ask(fetchFn, localServerUrl(baseUrl, "/api/v0/models")),
        routed.model,
      );
      if (!entry) return { kind: "unknown" };
      const loaded = positive(entry.loaded_context_length);
      if (entry.state === "loaded" && loaded !== undefined) return { kind: "runs", tokens: loaded };
      const maximum = positive(entry.max_context_length);
      if (entry.state === "not-loaded") {
        return maximum !== undefined ? { kind: "not_loaded", maximum } : { kind: "not_loaded" };
      }
      return { kind: "unknown" };
    }
  }
}

/** How to give each server's model more context. */
const RAISE: Readonly<Record<Preset, string>> = {
  llamacpp: "Start llama-server with a larger --ctx-size (-c 65536, as memory allows; with " +
    "--parallel N each request gets a share of it)",
  vllm: "Start vLLM with a larger --max-model-len (65536, as the model and memory allow)",
  lmstudio: "Load the model with a larger context length (`lms load <model> --context-length " +
    "65536`, or Context Length in the app's load settings)",
};

/** The `model_settings` entry to write, in the config's own words. */
const settingToWrite = (r: Routed, tokens: number) =>
  `model_settings: {"${r.model}": {context_window: ${tokens}}} under provider "${r.provider}"`;

/** The line for one model. */
function line(r: Routed, window: Window): string | undefined {
  const server = `${SERVER_NAMES[r.preset]} (provider "${r.provider}")`;
  if (window.kind === "unknown") {
    // llama-server answers 503 until its model is loaded; the others list what they serve.
    return r.preset === "llamacpp"
      ? `${server} did not say its context (it answers so while it loads its model): run ` +
        "`ccp check` again once the model is loaded"
      : undefined;
  }
  if (window.kind === "not_loaded") {
    const takes = window.maximum === undefined ? "" : ` (the model takes up to ${window.maximum})`;
    return `${server} has not loaded ${r.model}: it loads it on the first request, with the ` +
      `context length set in LM Studio for it${takes}; \`lms ps\` shows it once loaded, and ` +
      "`ccp check` then says what to write as its context_window";
  }
  const runs = `${server} runs ${r.model} with a context of ${window.tokens} tokens`;
  if (window.tokens < CLAUDE_CODE_CONTEXT) {
    return `Warning: ${runs}: Claude Code's system prompt and tools alone take about 15k, and it ` +
      `needs at least ${CLAUDE_CODE_CONTEXT} not to compact all the time. ${RAISE[r.preset]}. ` +
      (r.declared === window.tokens
        ? `Its context_window (${r.declared}) matches what it runs with`
        : `Give the model what it runs with as its context_window: ${
          settingToWrite(r, window.tokens)
        }`);
  }
  // Enough context with none declared is advice, not a fault: no "Warning:" before it.
  if (r.declared === undefined) {
    return `${runs}, and the config gives it no context_window: Claude Code then ` +
      "compacts only after the server refused a prompt as too long, and ccp cannot fit " +
      `max_tokens into the window. Add ${settingToWrite(r, window.tokens)}`;
  }
  if (r.declared > window.tokens) {
    return `Warning: ${runs}, less than its context_window of ${r.declared}: Claude Code ` +
      "compacts too late and the server refuses the prompts in between. Write " +
      settingToWrite(r, window.tokens);
  }
  return `${runs} (context_window ${r.declared})`;
}

/** How a provider's server is asked: the way ccp's requests go (directly, whatever HTTP_PROXY says). */
const fetchOf = (provider: ProviderConfig): FetchLike => fetchFor(provider, fetch);

/** The lines, or none when no route names a llama.cpp, vLLM or LM Studio model. */
export async function localWindowLines(config: Config): Promise<string[]> {
  const lines: string[] = [];
  // A server that cannot be reached is said once, not once per model.
  const unreachable = new Set<string>();
  for (const routed of routedModels(config)) {
    if (unreachable.has(routed.provider)) continue;
    const provider = config.providers[routed.provider]!;
    const baseUrl = provider.baseUrl;
    const window = await windowOf(fetchOf(provider), baseUrl, routed).catch(() => undefined);
    if (window === undefined) {
      unreachable.add(routed.provider);
      // Its address as written may hold a password, or a key in its query under any name: shown
      // without them.
      const at = shownAddress(baseUrl);
      lines.push(
        `${SERVER_NAMES[routed.preset]} (provider "${routed.provider}" at ${at}) did not ` +
          "answer: its context window was not checked",
      );
      continue;
    }
    const said = line(routed, window);
    if (said !== undefined) lines.push(said);
  }
  return lines;
}

/** The windows the servers run models with that the config declares none for, and what to say. */
export interface LearnedWindows {
  /** `provider/model` -> the window its server runs it with. */
  readonly windows: ReadonlyMap<string, number>;
  /**
   * What to add to the config for those models (and how to give one more context): the line at
   * each index is said of the window at that index of `windows`.
   */
  readonly lines: readonly string[];
}

/**
 * Asks the servers of `targets` (those of llama.cpp, vLLM and LM Studio with no declared
 * context_window) what window they run the model with. A server that does not say (not running,
 * still loading, the model not loaded) is left out: nothing is said of it here.
 */
export async function learnWindows(
  config: Config,
  targets: readonly Target[],
): Promise<LearnedWindows> {
  const windows = new Map<string, number>();
  const lines: string[] = [];
  for (const routed of routedModels(config, targets)) {
    const name = `${routed.provider}/${routed.model}`;
    if (routed.declared !== undefined || windows.has(name)) continue;
    const provider = config.providers[routed.provider]!;
    const baseUrl = provider.baseUrl;
    const window = await windowOf(fetchOf(provider), baseUrl, routed).catch(() => undefined);
    if (window?.kind !== "runs") continue;
    windows.set(name, window.tokens);
    const short = window.tokens < CLAUDE_CODE_CONTEXT
      ? ` Claude Code needs at least ${CLAUDE_CODE_CONTEXT} not to compact all the time. ` +
        `${RAISE[routed.preset]}.`
      : "";
    lines.push(
      `${SERVER_NAMES[routed.preset]} (provider "${routed.provider}") runs ${routed.model} with ` +
        `a context of ${window.tokens} tokens, which Claude Code now compacts by and ccp fits ` +
        `max_tokens into. Add ${settingToWrite(routed, window.tokens)} to keep it so when the ` +
        `server does not answer at start.${short}`,
    );
  }
  return { windows, lines };
}
