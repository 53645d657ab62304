/** The validated, normalised configuration every other module reads. Built once, then frozen. */

import type { OpenAIDialect } from "../translate/openai_chat/dialect.ts";
import type { Cleaning } from "../upstream/cleaning/types.ts";

/** Wire protocol an upstream speaks. */
export type WireProtocol = "openai" | "openai_responses" | "anthropic" | "gemini";

/** How ccp presents a provider's key upstream. */
export type AuthHeader = "x-api-key" | "bearer" | "x-goog-api-key" | "none";

/** Log verbosity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Upstream timeouts in milliseconds; 0 means none. */
export interface Timeouts {
  readonly connectMs: number;
  readonly firstByteMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
}

/** Reasoning effort a model setting may ask for, weakest first ("none" turns thinking off). */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

/** What a model accepts; `false` makes ccp rewrite requests so the upstream never sees it. */
export interface ModelSupports {
  readonly images?: boolean;
  /** PDFs: `false` replaces them with a note; `true` sends `file` parts on `openai` providers. */
  readonly documents?: boolean;
  readonly tools?: boolean;
  readonly thinking?: boolean;
}

/** Per-model settings (`model_settings` under a provider, or a route variant); all optional. */
export interface ModelSettings {
  /** `max_tokens` is capped at this. */
  readonly maxOutputTokens?: number;
  /** `max_tokens` is lowered so prompt + output fit in this window. */
  readonly contextWindow?: number;
  readonly reasoningEffort?: ReasoningEffort;
  /** Force the provider's thinking switch on or off, whatever the client asked. */
  readonly thinking?: "on" | "off";
  /** Deep-merged into the final upstream JSON body (`null` removes a field). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly supports?: ModelSupports;
  /**
   * Recover tool calls a model writes as text (`<tool_call>...`, `<function=...>`) and remove
   * chat-template control tokens (`openai` providers; on by default for local presets).
   */
  readonly textToolCalls?: boolean;
  /** What the model costs; the built-in price table covers well-known models. */
  readonly price?: Price;
}

/** A rolling-window request limit. */
export interface RateLimit {
  readonly requests: number;
  readonly windowMs: number;
}

/** One upstream provider, built-in preset and YAML entries alike. */
export interface ProviderConfig {
  /** The id used as the prefix in "id/model". */
  readonly id: string;
  /** Catalog entry it came from, if any. */
  readonly preset?: string;
  /** How it speaks Chat Completions (`type: openai`): its preset's dialect, else the generic one. */
  readonly dialect: OpenAIDialect;
  /** What is removed from a request before an Anthropic-compatible endpoint sees it. */
  readonly cleaning: Cleaning;
  readonly type: WireProtocol;
  /** API root as the provider documents it (no trailing slash). */
  readonly baseUrl: string;
  /** Keys in rotation order; empty when the provider needs none. */
  readonly apiKeys: readonly string[];
  readonly authHeader: AuthHeader;
  /** `passthrough` sends the client's own credentials upstream (anthropic type only). */
  readonly auth: "key" | "passthrough";
  readonly headers: Readonly<Record<string, string>>;
  readonly proxy?: string;
  /** Model names advertised by GET /v1/models. */
  readonly models: readonly string[];
  readonly timeouts: Timeouts;
  readonly maxRetries: number;
  /**
   * The wait before a retry (exponential from `baseMs`, at most `maxMs`; a `Retry-After` wins);
   * what is absent keeps the dispatcher's default (1 s, 30 s).
   */
  readonly retryDelay?: { readonly baseMs?: number; readonly maxMs?: number };
  readonly rateLimit?: RateLimit;
  readonly maxConcurrency?: number;
  /** Upstream statuses that move a request to the next target of its route. */
  readonly fallbackOn: readonly number[];
  /** Rotate to the next key after this many successful requests; 0 = never. */
  readonly keyUsageLimit: number;
  /** How requests spread over the keys; absent means `fill_first`. */
  readonly keyStrategy?: KeyStrategy;
  /** Whether POST /v1/messages/count_tokens may be forwarded to this provider. */
  readonly countTokens: boolean;
  /**
   * `server_tools`: whether the upstream runs Anthropic's server tools (web search and fetch,
   * ...) itself, so they reach it untouched. Absent: only the real Anthropic API does.
   */
  readonly serverTools?: boolean;
  /** True for local presets that exist without being configured. */
  readonly implicit: boolean;
  /**
   * What to set when the provider has no key, where the preset's key variable is not the answer
   * (a config file reads variables only through `${VAR}`): said with the upstream's 401.
   */
  readonly missingKey?: string;
  /**
   * What to change when nothing listens at the base URL (`set OLLAMA_BASE_URL to where it
   * listens`), said where it was read from; absent: its base_url.
   */
  readonly addressFix?: string;
  /**
   * Where the base URL is written, said where its scheme or port is the wrong one
   * (`OLLAMA_BASE_URL`, `providers.box.base_url in the config file`); absent: its base_url.
   */
  readonly addressAt?: string;
  /** Upstream model name (or "*" for every model) -> its settings; the exact name wins per key. */
  readonly modelSettings?: Readonly<Record<string, ModelSettings>>;
}

/**
 * `fill_first`: one key until it is refused (or `keyUsageLimit` is reached), then the next;
 * `round_robin`: each request the next usable key in turn.
 */
export type KeyStrategy = "fill_first" | "round_robin";

/** A resolved destination: provider id plus the upstream model name. */
export interface Target {
  readonly provider: string;
  readonly model: string;
  /**
   * Share of new requests (and sessions) this target takes first, when its route spreads by
   * weight: set on every target of such a route (0 = failover only), absent on ordered routes.
   */
  readonly weight?: number;
  /** A route variant's settings; they override the provider's `model_settings` for this target. */
  readonly settings?: ModelSettings;
  /** Send the client's own model name upstream instead of `model` (LiteLLM-style passthrough). */
  readonly clientModel?: boolean;
}

/** Where the config came from, for start-up messages and `ccp check`. */
export type ConfigSource =
  | { readonly kind: "file"; readonly path: string }
  | {
    readonly kind: "env";
    /** Which variables set it up; absent means free-claude-code's MODEL* variables. */
    readonly style?: "litellm";
  }
  | { readonly kind: "default" };

/** Limits on a client: sending headers, sending the body, staying idle between requests. */
export interface ClientTimeouts {
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly idleMs: number;
}

/** Server settings after flags, CCP_* variables, config file and defaults are merged. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly authToken?: string;
  /** Request bodies above this many bytes get 413. */
  readonly maxBodyBytes: number;
  /** What a client may take, in milliseconds (0 = no limit). */
  readonly clientTimeouts: ClientTimeouts;
  /** Connections held at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Enforce header/idle timeouts and the connection limit by accepting connections in ccp. */
  readonly connectionGuard: boolean;
  /** Non-streaming upstream answers above this many bytes fail with 502. */
  readonly maxResponseBytes: number;
  readonly logLevel: LogLevel;
  /** Where the usage ledger lives (`--data-dir`, `CCP_DATA_DIR`, `server.data_dir`). */
  readonly dataDir?: string;
  /** `text` (one readable line per request) or `json` (one object per line). */
  readonly logFormat?: LogFormat;
  /** Log lines go to this file instead of standard error. */
  readonly logFile?: string;
  /** False: saving the config file or its `.env` does not reload it (absent: it does). */
  readonly watchConfig?: boolean;
  /** Named client tokens, beside (or instead of) `authToken`, which is the client `default`. */
  readonly clients?: readonly ClientConfig[];
  /** Browser clients (CORS): absent, no page of another origin may read ccp's answers. */
  readonly cors?: CorsConfig;
}

/** The web origins whose pages may call ccp from a browser. */
export interface CorsConfig {
  /** `scheme://host[:port]`, lower case, default ports left out; `*` for any origin. */
  readonly origins: readonly string[];
}

/** A named client: its token, and the routes it may use (all when absent). */
export interface ClientConfig {
  readonly name: string;
  readonly token: string;
  /** Route, scenario route or alias names, or `explicit` for provider/model choices. */
  readonly routes?: readonly string[];
}

/** How log lines are written. */
export type LogFormat = "text" | "json";

/** USD per million tokens of each kind. */
export interface Price extends Rates {
  /** Prices for a prompt longer than `promptTokens` (Gemini Pro past 200k, GPT-5.4 past 272k). */
  readonly above?: PriceTier;
}

/** USD per million tokens of each kind; cache tokens without a price of their own cost as input. */
export interface Rates {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
}

/** The rates of a whole request whose prompt (input and cache tokens) passed `promptTokens`. */
export interface PriceTier extends Rates {
  readonly promptTokens: number;
}

/** A calendar period a budget is counted over (UTC; weeks start on Monday). */
export type BudgetPeriod = "day" | "week" | "month";

/** A spending limit on a provider, a provider/model, or a named client. */
export interface BudgetConfig {
  /** What it limits: `{provider}`, `{provider, model}` or `{client}`. */
  readonly provider?: string;
  readonly model?: string;
  readonly client?: string;
  /** Input + output + cache tokens, or cost in USD: exactly one is set. */
  readonly tokens?: number;
  readonly costUsd?: number;
  readonly per: BudgetPeriod;
  /** Fraction of the budget (0-1] at which requests are routed away. */
  readonly routeAwayAt: number;
}

/** When the `long_context` and `think` scenario routes apply. */
export interface RoutingConfig {
  /** Input tokens above which `long_context` takes a request. */
  readonly longContextThreshold: number;
  /** `thinking.budget_tokens` from which `think` takes a request. */
  readonly thinkBudgetTokens: number;
  /**
   * Session affinity: a client session keeps its key and spread target for this long after its
   * last request (ms); absent when `session_affinity` is off.
   */
  readonly sessionAffinityTtlMs?: number;
}

/** A declared change to requests of a route or to a provider. */
export interface Transform {
  /** Tools (by name) removed from the request. */
  readonly dropTools?: readonly string[];
  /** Text added at the end of the system prompt. */
  readonly systemAppend?: string;
  /** Top-level request fields set (or removed with null), e.g. `temperature`. */
  readonly set?: Readonly<Record<string, unknown>>;
}

/** Engines several ccp instances share. */
export interface SharedConfig {
  /** `postgres://...`: the usage ledger (instead of the embedded store). */
  readonly postgres?: string;
  /** `redis://...`: guard state shared between instances. */
  readonly redis?: string;
  /** Key prefix in Redis, so deployments can share one server. */
  readonly prefix: string;
  /** `open`: keep serving on local state while an engine is away; `closed`: answer 503. */
  readonly onUnavailable: "open" | "closed";
}

/** The usage ledger's settings. */
export interface UsageConfig {
  /** `false`: no ledger is kept. */
  readonly enabled: boolean;
  /** Records older than this are removed. */
  readonly retentionMs: number;
}

/** A web search backend: SearXNG, Brave or Tavily. */
export interface WebSearchConfig {
  readonly provider: "searxng" | "brave" | "tavily";
  /** The backend's API root; Brave and Tavily have a default, SearXNG needs one. */
  readonly baseUrl?: string;
  readonly apiKey?: string;
}

/** Limits of the pages ccp fetches for `web_fetch`. */
export interface WebFetchConfig {
  /** Lets `web_fetch` reach loopback, private, link-local and metadata addresses. */
  readonly allowPrivateNetworks: boolean;
  /** A page is cut after this many bytes. */
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** `web_tools`: ccp runs Anthropic's web search and fetch server tools for other providers. */
export interface WebToolsConfig {
  /** Absent: `web_search` calls answer with the error code `unavailable`. */
  readonly search?: WebSearchConfig;
  readonly fetch: WebFetchConfig;
}

/** How spans are queued and batched (OpenTelemetry's batch span processor settings). */
export interface TraceBatchSettings {
  /** Spans waiting at most (`OTEL_BSP_MAX_QUEUE_SIZE`). */
  readonly maxQueue?: number;
  /** Spans per export request, at most the queue's size (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`). */
  readonly maxBatch?: number;
  /** How long a span waits for its batch to fill (`OTEL_BSP_SCHEDULE_DELAY`). */
  readonly delayMs?: number;
  /** How long one batch's export may take, its retries included; 0: no bound (`OTEL_BSP_EXPORT_TIMEOUT`). */
  readonly exportTimeoutMs?: number;
}

/** Where and how request traces are sent (OTLP/HTTP with JSON); absent when tracing is off. */
export interface TracingConfig {
  /** The full URL spans are posted to (`.../v1/traces`). */
  readonly url: string;
  /** Sent with every export (a collector's key): never shown, logged or exported. */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  /** More resource attributes (`deployment.environment`, ...), `service.name` apart. */
  readonly resource: Readonly<Record<string, string>>;
  /** Share of new traces kept, from 0 to 1. */
  readonly sampleRatio: number;
  /** A caller's `traceparent` decides instead when it came with one. */
  readonly parentBased: boolean;
  /** How long one export request may take. */
  readonly timeoutMs: number;
  /** How each export's body is sent: gzip-compressed (`Content-Encoding: gzip`) or as it is. */
  readonly compression: "gzip" | "none";
  /** The batch processor's settings its `OTEL_BSP_*` variables gave; the others keep defaults. */
  readonly batch: TraceBatchSettings;
  /** Where the collector came from: the `tracing:` block's endpoint, or the `OTEL_*` variables. */
  readonly from: "config" | "environment";
  /**
   * Set when the block's `enabled: true` keeps tracing on: then `OTEL_TRACES_EXPORTER=none` and
   * `OTEL_SDK_DISABLED=true` do not turn it off, and only the block can.
   */
  readonly enabledByBlock?: true;
  /**
   * The names of the headers the OTEL_* variables set that are not sent, by variable: they go to
   * the variables' collector only, and the block names another.
   */
  readonly leftOut?: Readonly<Record<string, readonly string[]>>;
}

/** The whole configuration. */
export interface Config {
  readonly source: ConfigSource;
  readonly server: ServerConfig;
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  /** Route name (default, opus, sonnet, haiku, or any other) -> ordered failover chain. */
  readonly routes: Readonly<Record<string, readonly Target[]>>;
  /** Exact model name -> ordered failover chain. */
  readonly aliases: Readonly<Record<string, readonly Target[]>>;
  /** Absent: web server tools are removed from requests and the answer says so. */
  readonly webTools?: WebToolsConfig;
  /** Spending limits read from the usage ledger; absent when none are set. */
  readonly budgets?: readonly BudgetConfig[];
  readonly usage?: UsageConfig;
  /** Thresholds of the scenario routes; defaults apply when absent. */
  readonly routing?: RoutingConfig;
  /** Request changes per route name or provider id. */
  readonly transforms?: Readonly<Record<string, Transform>>;
  /** Answer Claude Code's quota probe and Warmup requests without a model (default true). */
  readonly localAnswers?: boolean;
  /** Engines shared with other ccp instances. */
  readonly shared?: SharedConfig;
  /** OpenTelemetry traces of requests; absent when off. */
  readonly tracing?: TracingConfig;
  /**
   * Proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...) set in ccp's `.env` files and not in the
   * process environment; absent when there are none.
   */
  readonly dotenvProxies?: Readonly<Record<string, string>>;
  /** Non-fatal remarks found while loading (shown at start and by `ccp check`). */
  readonly warnings: readonly string[];
}
