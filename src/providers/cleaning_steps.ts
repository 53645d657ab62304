/**
 * Request cleaning per Anthropic-type preset, as data: what each endpoint rejects, removed before
 * sending. The rules are code in src/upstream/cleaning; each step says why. The catalog names
 * these lists; the config builder compiles them once.
 */

/**
 * Upstream model names a body step is not applied to, by prefix: a gateway that serves
 * Anthropic's models as well as others needs some steps for the others only. (Beta steps have
 * none: one header rule serves every model of a provider.)
 */
export interface ModelScope {
  readonly exceptModels?: readonly string[];
}

/** One request-cleaning rule by name, with its parameters and a one-line reason. */
export type CleaningStep =
  | {
    readonly rule: "keepOnlyBetas" | "dropBetas";
    readonly betas: readonly string[];
    readonly reason: string;
    readonly exceptModels?: never;
  }
  | ModelScope
    & (
      | {
        readonly rule: "keepTopLevel" | "dropTopLevel";
        readonly fields: readonly string[];
        readonly reason: string;
      }
      | {
        readonly rule: "dropToolFields";
        readonly fields: readonly string[];
        readonly reason: string;
      }
      | {
        readonly rule: "dropSchemaKeywords";
        readonly keywords: readonly string[];
        readonly reason: string;
      }
      | {
        readonly rule:
          | "stripCacheControl"
          | "dropServerTools"
          | "dropRedactedThinking"
          | "disableAbsentThinking"
          | "passBackToolTurnThinking"
          | "stripCcpThinking"
          | "stripUnverifiableThinking"
          | "foldSystemMessages"
          | "dropBillingHeader"
          | "rewriteToolIds"
          | "resolveDeferredTools";
        readonly reason: string;
      }
    );

/** The core Messages fields every compatible server implements. */
const CORE_FIELDS = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "tools",
  "tool_choice",
  "thinking",
];

// DeepSeek's and Qwen's endpoints are among those that reject a system role inside messages.
const FOLD_SYSTEM: CleaningStep = {
  rule: "foldSystemMessages",
  reason:
    'role "system" inside messages is Anthropic-only; others answer 400 "unknown variant system"',
};

// Its text changed on every request before Claude Code 2.1.181, so a prefix cache never hit.
const NO_BILLING: CleaningStep = {
  rule: "dropBillingHeader",
  reason: "Claude Code's attribution block is read by Anthropic only and defeats prefix caching",
};

const NO_REDACTED: CleaningStep = {
  rule: "dropRedactedThinking",
  reason:
    "redacted_thinking is encrypted for Anthropic; signed thinking stays (unverified, needed)",
};

// Gateways have answered 400 to newer betas such as effort-2025-11-24; these three pass widely.
const OLD_BETAS: CleaningStep = {
  rule: "keepOnlyBetas",
  betas: [
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "fine-grained-tool-streaming-2025-05-14",
  ],
  reason:
    "docs silent on anthropic-beta: keep long-standing betas, drop newer ones gateways 400 on",
};

// Anthropic answers 400 on `call_...` tool ids and on signatures it did not make.
const TOOL_IDS: CleaningStep = {
  rule: "rewriteToolIds",
  reason: "Anthropic accepts only toolu_/srvtoolu_ ids; ids other providers minted answer 400",
};
const CCP_THINKING: CleaningStep = {
  rule: "stripCcpThinking",
  reason: 'Anthropic verifies thinking signatures; ccp-made ones answer 400 "Invalid signature"',
};

// Claude Code defers tools (its placeholder, ToolSearch's finds) with `defer_loading` and loads them
// with `tool_reference` blocks, which only Anthropic expands.
const DEFERRED: CleaningStep = {
  rule: "resolveDeferredTools",
  reason: "no deferral: deferred tools are offered once loaded, tool_reference blocks become text",
};

/** What a `type: anthropic` provider without a preset gets: safe for any compatible server. */
export const DEFAULT_ANTHROPIC_CLEANING: readonly CleaningStep[] = [
  NO_BILLING,
  FOLD_SYSTEM,
  {
    ...CCP_THINKING,
    reason: "the server may relay to Anthropic, which rejects ccp-made signatures",
  },
  // A session another provider served (a /model switch, --continue --model) carries its call ids;
  // the new ids are stable and paired, so a server that never reaches Anthropic loses nothing.
  {
    ...TOOL_IDS,
    reason: "the server may relay to Anthropic, which 400s on tool ids other providers minted",
  },
];

/** The real Anthropic API: every field and beta is genuine there; only foreign history is fixed. */
export const ANTHROPIC_CLEANING: readonly CleaningStep[] = [TOOL_IDS, {
  rule: "stripUnverifiableThinking",
  reason: "Anthropic verifies thinking signatures: ccp-made ones, an empty one or none answer 400",
}];

// Anthropic reads a request without `thinking` as no thinking; these endpoints think unless told
// not to (DeepSeek, GLM 4.5 and later, MiniMax M3) and take the off switch (MiniMax M2 ignores it).
// Not Moonshot: some Kimi models think always and are said to refuse "disabled".
const SAY_NO_THINKING: CleaningStep = {
  rule: "disableAbsentThinking",
  reason: "thinks by default; a request without thinking (a side request of Claude Code) means off",
};

// Claude Code drops the thinking another model wrote when the model changes, and a model that
// did not think wrote none: endpoints that want reasoning back on tool-call turns get an empty
// block there.
const TOOL_TURN_THINKING: CleaningStep = {
  rule: "passBackToolTurnThinking",
  reason: "thinking on, a tool-call turn without a thinking block is a 400",
};

// No beta rule: DeepSeek ignores anthropic-beta.
/** DeepSeek's Anthropic API: its documented fields only. */
export const DEEPSEEK_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config", "container", "mcp_servers", "service_tier"],
    reason: "DeepSeek documents exactly these fields; context_management and newer ones are not",
  },
  {
    ...DEFERRED,
    reason: "DeepSeek documents tools as name, description, input_schema; no tool_reference",
  },
  FOLD_SYSTEM,
  {
    ...NO_REDACTED,
    reason: "DeepSeek lists redacted_thinking Not Supported; thinking must come back",
  },
  NO_BILLING,
  SAY_NO_THINKING,
  // After SAY_NO_THINKING: a request that says thinking is off needs none.
  {
    ...TOOL_TURN_THINKING,
    reason: 'thinking on, a tool-call turn without a thinking block is a 400 ("content[].thinking' +
      ' in the thinking mode must be passed back"); an empty one is accepted',
  },
];

// Other betas are kept: OpenRouter hands them to Anthropic for anthropic/* models.
/** OpenRouter: no context management; deferral for anthropic/* models only; Anthropic's checks. */
export const OPEN_ROUTER_CLEANING: readonly CleaningStep[] = [
  {
    rule: "dropBetas",
    betas: ["context-management-2025-06-27"],
    reason:
      'OpenRouter: 400 "No endpoints available that support \u2026 context management features"',
  },
  {
    rule: "dropTopLevel",
    fields: ["context_management"],
    reason: "the same 400 follows from the body field alone, even when the beta was dropped",
  },
  { ...FOLD_SYSTEM, reason: "OpenRouter routes to many providers; several reject system messages" },
  {
    ...DEFERRED,
    exceptModels: ["anthropic/"],
    reason: 'other models 400 "Deferred custom tools are only supported on Anthropic models"',
  },
  NO_BILLING,
  { ...TOOL_IDS, reason: "anthropic/* models are served by Anthropic, which 400s on foreign ids" },
  {
    ...CCP_THINKING,
    reason: "anthropic/* models are served by Anthropic, which verifies signatures",
  },
];

/** Fireworks: the features it declares unsupported. */
export const FIREWORKS_CLEANING: readonly CleaningStep[] = [
  {
    rule: "dropServerTools",
    reason: "Fireworks documents server tools (web search, \u2026) as unsupported",
  },
  {
    rule: "dropToolFields",
    fields: ["cache_control", "eager_input_streaming"],
    reason: "Fireworks documents cache_control and eager_input_streaming on tools as unsupported",
  },
  {
    rule: "dropTopLevel",
    fields: ["context_management", "inference_geo", "safeguards"],
    reason:
      "inference_geo is documented unsupported; context editing and safeguards are not documented",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// A beta API: it ignores server tools (so they are kept) and names no fields beyond the core.
/** FriendliAI's beta Messages API: the core fields only. */
export const FRIENDLIAI_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: CORE_FIELDS,
    reason: "beta Messages API, docs silent beyond the core fields: conservative allow-list",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// Z.AI and Zhipu publish no field list, so only the core fields are sure; GLM setups for Claude
// Code rely on output_config.effort.
/** Z.AI and Zhipu (GLM): the core fields plus output_config. */
export const GLM_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config"],
    reason: "Z.AI documents no field list: core fields plus output_config (effort), conservatively",
  },
  { ...DEFERRED, reason: "GLM reads a tool_reference result as the search finding nothing" },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
  SAY_NO_THINKING,
];

// MiniMax ignores context_management, container, mcp_servers, service_tier, top_k and
// stop_sequences rather than rejecting them: only what it should not be sent is dropped
// (context_management still goes with its beta, which the beta rule removes).
/** MiniMax: it ignores unknown fields, so only history and the user's safeguards are adjusted. */
export const MINIMAX_CLEANING: readonly CleaningStep[] = [
  {
    rule: "dropTopLevel",
    fields: ["safeguards"],
    reason:
      "Claude Code's auto-mode safeguards (the user's directories, git state) are Anthropic's",
  },
  {
    ...DEFERRED,
    reason: "MiniMax documents text and tool calls only; a deferred tool would be offered in full",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
  SAY_NO_THINKING,
];

// Moonshot publishes no field list for /anthropic; kimi-k3 reads output_config.effort; thinking
// must come back on tool turns.
/** Moonshot's Anthropic API: the core fields plus output_config. */
export const MOONSHOT_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config"],
    reason: "Moonshot publishes no field list: core fields plus output_config (kimi-k3 effort)",
  },
  { ...DEFERRED, reason: 'Moonshot answers 400 "Invalid request Error" to deferred tools' },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
  {
    ...TOOL_TURN_THINKING,
    reason: 'thinking on, a tool-call turn without a thinking block is a 400 ("thinking is ' +
      'enabled but reasoning_content is missing in assistant tool call message")',
  },
];

// LM Studio and llama.cpp name fewer fields than the core; all four local servers reuse their KV
// cache by prefix.
// llama.cpp compiles tool schemas into a grammar, and so do LM Studio and Ollama built on it.
const LOCAL_PATTERNS: CleaningStep = {
  rule: "dropSchemaKeywords",
  keywords: ["pattern"],
  reason: "llama.cpp's grammar builder refuses the whole request for a tool `pattern` it cannot " +
    "compile (\"Pattern must start with '^' and end with '$'\", escapes such as \\S)",
};

/** Local servers (LM Studio, llama.cpp): the core fields, no cache markers. */
export const LOCAL_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: CORE_FIELDS,
    reason: "local servers implement the core fields at most; the rest is dropped",
  },
  { ...DEFERRED, reason: "local servers implement no deferral: each tool sent is offered" },
  {
    rule: "stripCacheControl",
    reason:
      "local servers cache by prefix on their own; the markers are not in their documented fields",
  },
  {
    rule: "dropServerTools",
    reason: "a local model cannot run Anthropic's server-side tools (their history goes as text)",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  {
    ...NO_BILLING,
    reason: "LM Studio and Ollama tell Claude Code users to turn it off: it breaks their KV cache",
  },
  OLD_BETAS,
  LOCAL_PATTERNS,
];

// Ollama and vLLM read output_config.effort: with Claude Code's adaptive thinking it is what sets
// how much the model thinks (Ollama's think level), so dropping it left the model's default.
/** Ollama and vLLM: the local servers' cleaning, keeping output_config. */
export const LOCAL_EFFORT_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config"],
    reason: "Ollama and vLLM implement the core fields and output_config (effort); rest dropped",
  },
  ...LOCAL_CLEANING.slice(1),
];

// CLIProxyAPI is built for Claude Code traffic and relays to Anthropic (keys, OAuth) as well as
// Gemini and Codex. It assembles betas per upstream itself and Anthropic-bound traffic
// reads the attribution block, so both are kept.
/** CLIProxyAPI: what Anthropic rejects, since it may relay there. */
export const CLIPROXYAPI_CLEANING: readonly CleaningStep[] = [
  { ...TOOL_IDS, reason: "CLIProxyAPI may relay to Anthropic, which 400s on foreign tool ids" },
  { ...CCP_THINKING, reason: "CLIProxyAPI may relay to Anthropic, which verifies signatures" },
  {
    ...FOLD_SYSTEM,
    reason:
      "its Gemini/Codex translators expect user/assistant only (cf. rebuild-mid-system-message)",
  },
];
