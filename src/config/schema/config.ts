/** Schema of the YAML config file, after `${VAR}` expansion. */

import {
  amount,
  byteSize,
  duration,
  flag,
  oneOf,
  originList,
  percentage,
  period,
  ratio,
  statusList,
  text,
  textList,
  tokenSize,
  wholeNumber,
} from "./fields.ts";
import { anything, list, type Output, record, section } from "./kit.ts";
import { modelSettingsSchema } from "./model.ts";
import { routeValue } from "./routes.ts";

const timeoutsSchema = section({
  connect: duration().optional(),
  first_byte: duration().optional(),
  idle: duration().optional(),
  total: duration().optional(),
});

/** The wait before a retry of one target: exponential from `base`, never above `max`. */
const retryDelaySchema = section({
  base: duration().optional(),
  max: duration().optional(),
});

const rateLimitSchema = section({
  requests: wholeNumber(1),
  window: duration(),
});

/** Provider keys that `provider_defaults` may also set (everything but identity). */
const sharedProviderShape = {
  api_key: text().optional(),
  api_keys: textList("keys").optional(),
  auth_header: oneOf(["x-api-key", "bearer", "x-goog-api-key", "none"], "auth_header").optional(),
  auth: oneOf(["key", "passthrough"], "auth mode").optional(),
  headers: record(text()).optional(),
  proxy: text().optional(),
  models: textList("model names").optional(),
  timeouts: timeoutsSchema.optional(),
  max_retries: wholeNumber(0).optional(),
  retry_delay: retryDelaySchema.optional(),
  rate_limit: rateLimitSchema.optional(),
  max_concurrency: wholeNumber(1).optional(),
  fallback_on: statusList().optional(),
  key_usage_limit: wholeNumber(0).optional(),
  key_strategy: oneOf(["fill_first", "round_robin"], "key strategy").optional(),
  count_tokens: flag().optional(),
  // Per upstream model ("*" = every model); in provider_defaults, for every provider's models.
  model_settings: record(modelSettingsSchema).optional(),
};

/** One entry under `providers:`. */
const providerSchema = section({
  preset: text().optional(),
  type: oneOf(["openai", "openai_responses", "anthropic", "gemini"], "type").optional(),
  base_url: text().optional(),
  // What the upstream behind base_url is (a gateway that relays to Anthropic), like its identity:
  // not a default for every provider.
  server_tools: flag().optional(),
  ...sharedProviderShape,
});

/**
 * `provider_defaults:` applies to every provider, below the provider's own keys: every key but
 * a provider's identity (preset, type, base_url), which would turn every provider into one.
 */
const providerDefaultsSchema = section(sharedProviderShape);

/** `server:` settings; flags and CCP_* variables override them. */
const serverSchema = section({
  host: text().optional(),
  port: wholeNumber(0, 65_535).optional(),
  auth_token: text().optional(),
  log_level: oneOf(["debug", "info", "warn", "error"], "log level").optional(),
  max_body_size: byteSize().optional(),
  /** What a client may take: to send its headers, its body, and between requests. */
  timeouts: section({
    headers: duration().optional(),
    body: duration().optional(),
    idle: duration().optional(),
  }).optional(),
  max_connections: wholeNumber(1).optional(),
  /** Accept connections in ccp to enforce the limits above (costs a little CPU per chunk). */
  connection_guard: flag().optional(),
  /** Largest non-streaming upstream answer ccp reads. */
  max_response_size: byteSize().optional(),
  /** Where the usage ledger is kept. */
  data_dir: text().optional(),
  log_format: oneOf(["text", "json"], "log format").optional(),
  log_file: text().optional(),
  /** `false`: a saved config file or `.env` is not reloaded (SIGHUP still reloads). */
  watch_config: flag().optional(),
  /** Browser clients: the web origins whose pages may call ccp (off when absent). */
  cors: section({ origins: originList() }).optional(),
});

/** `usage:` the ledger's settings. */
const usageSchema = section({
  /** `false` keeps no ledger (no usage reports, no budgets). */
  enabled: flag().optional(),
  retention: period().optional(),
});

/** One entry of `budgets:`. */
const budgetSchema = section({
  target: text().optional(),
  client: text().optional(),
  tokens: tokenSize().optional(),
  cost_usd: amount().optional(),
  per: oneOf(["day", "week", "month"], "budget period"),
  route_away_at: percentage().optional(),
});

/** `web_tools:` the search backend and the page fetcher's limits. */
const webToolsSchema = section({
  search: section({
    provider: oneOf(["searxng", "brave", "tavily"], "search provider"),
    base_url: text().optional(),
    api_key: text().optional(),
  }).optional(),
  fetch: section({
    allow_private_networks: flag().optional(),
    max_bytes: byteSize().optional(),
    timeout: duration().optional(),
  }).optional(),
});

/** `routing:` thresholds of the scenario routes, and session affinity. */
const routingSchema = section({
  long_context_threshold: tokenSize().optional(),
  think_budget_tokens: tokenSize().optional(),
  /** A client session keeps its key (and a spread route's target) while they stay healthy. */
  session_affinity: flag().optional(),
  session_affinity_ttl: duration().optional(),
});

/** One entry of `transforms:` (keyed by a route name or a provider id). */
const transformSchema = section({
  drop_tools: textList("tool names").optional(),
  system_append: text().optional(),
  set: record(anything()).optional(),
});

/** `shared:` engines that several instances share. */
const sharedSchema = section({
  redis: text().optional(),
  postgres: text().optional(),
  prefix: text().optional(),
  on_unavailable: oneOf(["open", "closed"], "on_unavailable mode").optional(),
});

/**
 * `tracing:` OpenTelemetry traces sent over OTLP/HTTP; each key here wins over its standard
 * `OTEL_*` variable.
 */
const tracingSchema = section({
  /** `false` turns tracing off even with the variables set; `true` needs an endpoint. */
  enabled: flag().optional(),
  /** The collector's base URL: `/v1/traces` is added. */
  endpoint: text().optional(),
  /** The full traces URL, used as it is. */
  traces_endpoint: text().optional(),
  headers: record(text()).optional(),
  service_name: text().optional(),
  resource_attributes: record(text()).optional(),
  sample_ratio: ratio().optional(),
  timeout: duration().optional(),
  /** `gzip` compresses each export's body; `none` (the default) sends it as it is. */
  compression: oneOf(["gzip", "none"], "compression").optional(),
});

/** One entry of `clients:`. */
const clientSchema = section({
  name: text(),
  token: text(),
  routes: textList("route names").optional(),
});

/** The whole file. */
export const configFileSchema = section({
  server: serverSchema.optional(),
  providers: record(providerSchema).optional(),
  provider_defaults: providerDefaultsSchema.optional(),
  routes: record(routeValue()).optional(),
  aliases: record(routeValue()).optional(),
  web_tools: webToolsSchema.optional(),
  usage: usageSchema.optional(),
  budgets: list(budgetSchema).optional(),
  routing: routingSchema.optional(),
  transforms: record(transformSchema).optional(),
  local_answers: flag().optional(),
  clients: list(clientSchema).optional(),
  shared: sharedSchema.optional(),
  tracing: tracingSchema.optional(),
});

/** One `clients:` entry as parsed. */
export type ClientSection = Output<typeof clientSchema>;

/** One `transforms:` entry as parsed. */
export type TransformSection = Output<typeof transformSchema>;

/** A provider entry as parsed (durations in ms, sizes in bytes, lists as arrays). */
export type ProviderSection = Output<typeof providerSchema>;

/** `provider_defaults` as parsed. */
export type ProviderDefaultsSection = Output<typeof providerDefaultsSchema>;

/** `server` as parsed. */
export type ServerSection = Output<typeof serverSchema>;

/** The whole file as parsed. */
export type ConfigFile = Output<typeof configFileSchema>;

/** `web_tools` as parsed. */
export type WebToolsSection = Output<typeof webToolsSchema>;

/** One `budgets:` entry as parsed. */
export type BudgetSection = Output<typeof budgetSchema>;

/** `tracing` as parsed. */
export type TracingSection = Output<typeof tracingSchema>;
