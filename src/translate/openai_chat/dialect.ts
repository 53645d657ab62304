/**
 * Provider differences of OpenAI-compatible upstreams, as data. Generic translation
 * code reads these knobs and never branches on a provider's name; a provider that
 * needs something a knob cannot say lists a named quirk (see `quirks.ts`).
 * Model-specific values live in `models`: the first entries whose `match` is a
 * substring of the (lower-cased) upstream model name patch the dialect in order.
 */

import type { JsonObject } from "../../protocols/openai_chat.ts";
import { REASONING_ALLOWANCE } from "../reasoning/allowance.ts";
import type { OpenAIQuirkName } from "./quirks.ts";

/**
 * Which assistant turns get their reasoning sent back in its native field: none, those with tool
 * calls, every one, or every one between two user messages where a tool was called (`tool_spans`).
 */
export type ReasoningReplay = "none" | "tool_turns" | "tool_spans" | "all";

/** Native reasoning fields of Chat Completions dialects. */
export type ReasoningField = "reasoning_content" | "reasoning" | "reasoning_details";

/** How a provider turns reasoning on and off, one kind per request shape. */
export type ReasoningSwitch =
  /** The provider has no switch (or thinks by model choice); send nothing. */
  | { kind: "none" }
  /** Top-level `reasoning_effort` (OpenAI, Groq, xAI, Cerebras, Together gpt-oss). */
  | {
    kind: "reasoning_effort";
    levels: readonly string[];
    /**
     * Value sent when the client wants no thinking: the provider's off, or else the weakest
     * level of a model that always reasons (its default thinks longer).
     */
    off?: string;
    /** Level sent when thinking is asked for without an effort (else the provider decides). */
    unspecified?: string;
    /** Extra fields sent while reasoning is on (e.g. Groq `reasoning_format`). */
    onExtra?: JsonObject;
  }
  /** OpenRouter's `reasoning: {effort | max_tokens, enabled}` object. */
  | { kind: "openrouter_reasoning" }
  /** `chat_template_kwargs` switches (NVIDIA NIM, vLLM, llama.cpp, SGLang). */
  | { kind: "chat_template_kwargs"; on: JsonObject; off: JsonObject }
  /** Qwen / DashScope `enable_thinking` (+ `thinking_budget`); thinking needs streaming. */
  | { kind: "enable_thinking"; budget: boolean }
  /** DeepSeek / Kimi `thinking: {type: enabled|disabled}` (+ optional effort). */
  | { kind: "thinking_type"; levels?: readonly string[] }
  /** Together's `reasoning: {enabled}` for hybrid models. */
  | { kind: "reasoning_enabled" }
  /** Plain top-level fields for on and off (e.g. Cerebras GLM `disable_reasoning`). */
  | { kind: "fields"; on: JsonObject; off: JsonObject };

/** Every knob of an OpenAI-compatible dialect. */
export interface OpenAIDialect {
  /** Name used in error messages and `OPENAI_DIALECTS`. */
  readonly name: string;
  /** `role: "system"` messages may appear after other turns; otherwise merged into the first. */
  readonly systemMidConversation: boolean;
  readonly maxTokensField: "max_tokens" | "max_completion_tokens";
  /** Largest output the provider accepts; Claude Code asks for 32000-128000. */
  readonly maxOutputTokens?: number;
  /** Above `maxOutputTokens`: clamp to it, or omit the field and let the server decide. */
  readonly overLimit: "clamp" | "omit";
  readonly reasoningReplay: ReasoningReplay;
  /** Field used to replay reasoning whose origin recorded none (e.g. `<think>` tags). */
  readonly replayField: ReasoningField;
  /** Reasoning from another provider/model: dropped, or kept as plain text. */
  readonly foreignReasoning: "drop" | "text";
  readonly reasoningSwitch: ReasoningSwitch;
  /** What a request without `thinking` means: the off switch, or the provider default. */
  readonly thinkingAbsent: "off" | "default";
  /**
   * Tokens added to the output limit when the client did not ask for thinking but the model
   * reasons anyway (no off switch, or one the model ignores): its reasoning counts against the
   * limit, and a short one (auto mode's 64 tokens) would leave no room for the answer. 0: none.
   */
  readonly reasoningAllowance: number;
  /** JSON-Schema keywords removed from tool parameters (recursively, keywords only). */
  readonly schemaDropKeys: readonly string[];
  /**
   * What the provider checks tool parameters against: JSON Schema as it is, or Moonshot's subset
   * (see moonshot_schema.ts), which refuses shapes MCP servers send.
   */
  readonly schemaRules: "json_schema" | "moonshot";
  readonly supportsImages: boolean;
  /** PDFs as `file` content parts; otherwise a PDF becomes a placeholder text. */
  readonly supportsDocuments: boolean;
  /** A PDF's URL may stand in a `file` part's `file_data` (the provider fetches it). */
  readonly documentUrls: boolean;
  /**
   * How a client's JSON schema for the answer is sent: `response_format` of type
   * `json_schema`, or the older `json_object` mode (the schema then only in the prompt).
   */
  readonly jsonOutput: "json_schema" | "json_object";
  /** Send `stream_options: {include_usage: true}`. */
  readonly streamUsage: boolean;
  readonly acceptsTopK: boolean;
  readonly acceptsParallelToolCalls: boolean;
  /** `tool_choice` any/tool may be sent; otherwise they degrade to `auto`. */
  readonly forcedToolChoice: boolean;
  /** Spelling of "must call some tool". */
  readonly requiredToolChoice: "required" | "any";
  /** Max length of `user`; longer ids are hashed. `null`: never send `user`. */
  readonly userFieldMaxLength: number | null;
  /** Send `prompt_cache_key` (a hash of `metadata.user_id`, one per Claude Code session). */
  readonly promptCacheKey: boolean;
  /** Assistant turns need non-empty `content` even with tool calls (NIM, Mistral). */
  readonly needsNonEmptyAssistantContent: boolean;
  readonly maxStopSequences: number;
  /** Parse `<think>...</think>` inside streamed content into thinking blocks. */
  readonly thinkTags: boolean;
  /**
   * The model's chat template writes `<think>` into the prompt, so a server run without a
   * reasoning parser streams reasoning as content from the first token and only `</think>` marks
   * the answer. Reasoning the server parses out (its own field, first) turns this off.
   */
  readonly thinkOpenedByPrompt: boolean;
  /**
   * Turn tool calls written as text (`<tool_call>...</tool_call>`, `<function=...>`) into
   * tool_use blocks and remove chat-template control tokens (`<|im_end|>`): servers run
   * without a tool-call parser leave both in `content`. `model_settings.text_tool_calls` wins.
   */
  readonly textToolCalls: boolean;
  /** `completion_tokens` excludes reasoning tokens, so they are added to output. */
  readonly reasoningTokensSeparate: boolean;
  /** Named request quirks applied last, in order. */
  readonly quirks: readonly OpenAIQuirkName[];
  /** Per-model patches, matched by lower-case substring of the upstream model name. */
  readonly models: readonly ModelPatch[];
}

/**
 * A patch for models whose name contains `match`: `set` replaces knobs, `quirks` are added after
 * the dialect's own (a model's need never takes away what its host needs).
 */
export interface ModelPatch {
  readonly match: string;
  readonly set?: Partial<Omit<OpenAIDialect, "name" | "models" | "quirks">>;
  readonly quirks?: readonly OpenAIQuirkName[];
}

/**
 * Models that reason whatever the request says, by name wherever they are served: their
 * reasoning needs room beside a short answer. Names hold these words across hosts
 * (`deepseek-ai/DeepSeek-R1`, `deepseek-reasoner`, `Qwen/QwQ-32B`, `kimi-k2-thinking`,
 * `qwen3-235b-a22b-thinking-2507`, `openai/gpt-oss-120b`, `magistral-medium`, `kimi-k3`, and
 * `MiniMax-M2.7`, which keeps thinking when told not to).
 */
export const REASONING_ONLY_MODELS: readonly ModelPatch[] = [
  "deepseek-r1",
  "reasoner",
  "qwq",
  "thinking",
  "gpt-oss",
  "magistral",
  "kimi-k3",
  "minimax-m2",
].map((match) => ({ match, set: { reasoningAllowance: REASONING_ALLOWANCE.full } }));

/**
 * Models whose chat template opens the reasoning in the prompt (`<think>\n` after the assistant
 * tag): Qwen3's Thinking-2507 models, QwQ, and DeepSeek R1 with its distills.
 */
export const THINK_OPENED_BY_PROMPT: readonly ModelPatch[] = [
  "thinking-2507",
  "qwq",
  "deepseek-r1",
].map((match) => ({ match, set: { thinkOpenedByPrompt: true } }));

/**
 * gpt-5-pro always reasons, at `high` (its default): a request without thinking needs room for
 * that reasoning. The efforts it takes are in ../reasoning/efforts.ts, which every translator
 * reads, so the client's effort becomes `high` and no effort is sent when it asks for none.
 */
export const GPT5_PRO: ModelPatch = {
  match: "gpt-5-pro",
  set: { reasoningAllowance: REASONING_ALLOWANCE.full },
};

/**
 * Mistral's models refuse a user message right after tool results wherever they are served
 * (Mistral's own request validator also runs in NIM and in vLLM): a server that hosts them among
 * other models bridges that gap for them alone.
 */
export const MISTRAL_ROLE_ORDER: readonly ModelPatch[] = [
  "mistral",
  "devstral",
  "magistral",
  "codestral",
  "ministral",
].map((match) => ({ match, quirks: ["assistant_after_tool"] }));

/**
 * A generic, conservative OpenAI-compatible server (no preset): thinking is asked for with the
 * standard `reasoning_effort`; a server that does not take it says so with a 400, and ccp then
 * leaves it out for that provider and model.
 */
export const DEFAULT_OPENAI_DIALECT: OpenAIDialect = {
  name: "openai_compatible",
  systemMidConversation: false,
  maxTokensField: "max_tokens",
  maxOutputTokens: 16384,
  overLimit: "clamp",
  reasoningReplay: "none",
  replayField: "reasoning_content",
  foreignReasoning: "drop",
  reasoningSwitch: {
    kind: "reasoning_effort",
    levels: ["low", "medium", "high"],
    unspecified: "medium",
  },
  thinkingAbsent: "off",
  reasoningAllowance: 0,
  schemaDropKeys: ["$schema"],
  schemaRules: "json_schema",
  supportsImages: true,
  supportsDocuments: false,
  documentUrls: false,
  jsonOutput: "json_schema",
  streamUsage: true,
  acceptsTopK: false,
  acceptsParallelToolCalls: true,
  forcedToolChoice: true,
  requiredToolChoice: "required",
  userFieldMaxLength: null,
  promptCacheKey: false,
  needsNonEmptyAssistantContent: false,
  maxStopSequences: 4,
  thinkTags: true,
  thinkOpenedByPrompt: false,
  textToolCalls: false,
  reasoningTokensSeparate: false,
  quirks: [],
  models: [...REASONING_ONLY_MODELS, ...MISTRAL_ROLE_ORDER, GPT5_PRO, ...THINK_OPENED_BY_PROMPT],
};

/**
 * Applies the dialect's model patches for `model` and returns the effective dialect: `dialect`
 * itself when no patch matched, else a new object, the same one each time for this dialect and
 * model.
 */
export function dialectForModel(dialect: OpenAIDialect, model: string): OpenAIDialect {
  let known = FOR_MODEL.get(dialect);
  if (!known) FOR_MODEL.set(dialect, known = new Map());
  let out = known.get(model);
  if (out) return out;
  out = patchedFor(dialect, model);
  if (known.size < MAX_FOR_MODEL) known.set(model, out);
  return out;
}

// What each dialect (a preset's, or one built with the config) became for each model name: a
// request asks for it several times (its reasoning room, model settings, translation), and each
// ask matched the patches and spread them again. Bounded, since a client may name any model.
const FOR_MODEL = new WeakMap<OpenAIDialect, Map<string, OpenAIDialect>>();
const MAX_FOR_MODEL = 256;

function patchedFor(dialect: OpenAIDialect, model: string): OpenAIDialect {
  const name = model.toLowerCase();
  let out = dialect;
  for (const patch of dialect.models) {
    if (!name.includes(patch.match)) continue;
    out = { ...out, ...patch.set };
    const added = patch.quirks?.filter((quirk) => !out.quirks.includes(quirk)) ?? [];
    if (added.length > 0) out = { ...out, quirks: [...out.quirks, ...added] };
  }
  return out;
}
