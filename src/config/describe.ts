/** Human-readable summary of a loaded Config for `ccp check`; never prints a whole secret. */

import type { Config, ModelSettings, ProviderConfig, Rates, Target, Transform } from "./types.ts";
import { redactKey, redactUrlSecrets } from "../core/secrets.ts";
import { DEFAULT_BACKOFF } from "../resilience/backoff.ts";
import { runsServerTools } from "../upstream/anthropic/real_anthropic.ts";

/** Formats a byte count the way the config file writes it. */
function formatBytes(bytes: number): string {
  for (
    const [unit, size] of [["GiB", 1_073_741_824], ["MiB", 1_048_576], ["KiB", 1_024]] as const
  ) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** Formats milliseconds as the shortest exact duration ("0" means none). */
function formatMs(ms: number): string {
  if (ms === 0) return "none";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Settings in a few words: `max output 32000, effort high, thinking off, no images`. */
function formatSettings(s: ModelSettings): string {
  const parts: string[] = [];
  if (s.maxOutputTokens !== undefined) parts.push(`max output ${s.maxOutputTokens}`);
  if (s.contextWindow !== undefined) parts.push(`context ${s.contextWindow}`);
  if (s.reasoningEffort !== undefined) parts.push(`effort ${s.reasoningEffort}`);
  if (s.thinking !== undefined) parts.push(`thinking ${s.thinking}`);
  // Values may carry secrets or bulk; the keys are enough to check the config.
  if (s.extraBody !== undefined) parts.push(`extra_body ${Object.keys(s.extraBody).join(", ")}`);
  for (const [what, ok] of Object.entries(s.supports ?? {})) if (!ok) parts.push(`no ${what}`);
  if (s.textToolCalls !== undefined) {
    parts.push(`text tool calls ${s.textToolCalls ? "on" : "off"}`);
  }
  if (s.price !== undefined) {
    const { above } = s.price;
    const tier = above ? `; a prompt past ${above.promptTokens} tokens: ${formatRates(above)}` : "";
    parts.push(`price per Mtok: ${formatRates(s.price)}${tier}`);
  }
  return parts.join(", ");
}

function formatRates({ input, output, cacheRead, cacheWrite }: Rates): string {
  const cache = [
    cacheRead !== undefined ? ` cache read $${cacheRead}` : "",
    cacheWrite !== undefined ? ` cache write $${cacheWrite}` : "",
  ].join("");
  return `in $${input} out $${output}${cache}`;
}

// Scenario routes say when they apply, checked in this order before the tiers.
function scenarioNote(name: string, config: Config): string {
  const long = config.routing?.longContextThreshold ?? 60_000;
  const think = config.routing?.thinkBudgetTokens ?? 32_000;
  const when: Readonly<Record<string, string>> = {
    subagent: "Claude Code subagents (cc_is_subagent=true)",
    web_search: "requests with a web_search tool",
    image: "an image in the last user message",
    long_context: `more than ${long} input tokens`,
    think: `effort high, xhigh or max, or a thinking budget of ${think}+ tokens`,
  };
  return Object.hasOwn(when, name) ? `   (scenario: ${when[name]})` : "";
}

function formatTransform(t: Transform): string {
  const parts: string[] = [];
  if (t.dropTools) parts.push(`drop tools ${t.dropTools.join(", ")}`);
  if (t.systemAppend !== undefined) parts.push(`append ${t.systemAppend.length} chars to system`);
  if (t.set) {
    const fields = Object.entries(t.set).map(([k, v]) => `${k}: ${JSON.stringify(v) ?? "null"}`);
    parts.push(`set ${fields.join(", ")}`);
  }
  return parts.join("; ");
}

/**
 * A chain with each target's settings and weight, for `ccp check`: "nim/z-ai/glm4.7 [effort high]
 * -> local/qwen3-coder" (an arrow); a weighted route "spread by weight: a/m (3) | b/m (1) | c/m
 * (failover only)".
 */
function detailedChain(chain: readonly Target[]): string {
  const spread = chain.some((t) => t.weight !== undefined);
  const items = chain.map((t) => {
    const model = t.clientModel ? "<client model>" : t.model;
    const settings = t.settings ? formatSettings(t.settings) : "";
    const weight = !spread ? "" : t.weight === 0 ? " (failover only)" : ` (${t.weight})`;
    return `${t.provider}/${model}${settings ? ` [${settings}]` : ""}${weight}`;
  });
  return spread ? `spread by weight: ${items.join(" | ")}` : items.join(" \u2192 ");
}

/** A configured `retry_delay`, beside the retries it paces (the built-in one goes unsaid). */
function retryDelayText(p: ProviderConfig): string {
  if (!p.retryDelay) return "";
  const base = p.retryDelay.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = p.retryDelay.maxMs ?? DEFAULT_BACKOFF.maxMs;
  return ` (waiting up to ${formatMs(base)}, doubling to ${formatMs(max)})`;
}

/** One provider as a few indented lines. */
function describeProvider(p: ProviderConfig): string[] {
  const origin = p.implicit ? "local preset, implicit" : p.preset ? `preset ${p.preset}` : "custom";
  // A passthrough provider sends the client's credentials in the headers they came in.
  const keys = p.auth === "passthrough"
    ? "client's own credentials, as sent (passthrough: a Claude plan login or the client's key)"
    : `${
      p.apiKeys.length === 0
        ? "none"
        : `${p.apiKeys.length} (${p.apiKeys.map(redactKey).join(", ")})`
    }${
      p.apiKeys.length < 2 ? "" : p.keyStrategy === "round_robin" ? ", round robin" : ", fill first"
    }; auth header: ${p.authHeader}`;
  const t = p.timeouts;
  const lines = [
    `  ${p.id}  [${origin}]`,
    `    ${p.type} at ${redactUrlSecrets(p.baseUrl)}`,
    `    keys: ${keys}` +
    (p.keyUsageLimit > 0 ? `; rotate after ${p.keyUsageLimit} requests` : ""),
    `    timeouts: connect ${formatMs(t.connectMs)}, first byte ${formatMs(t.firstByteMs)}, ` +
    `idle ${formatMs(t.idleMs)}, total ${formatMs(t.totalMs)}; retries ${p.maxRetries}` +
    retryDelayText(p) + `; fallback on ${p.fallbackOn.join(", ")}`,
  ];
  const extras: string[] = [];
  if (p.proxy) extras.push(`proxy ${redactUrlSecrets(p.proxy)}`);
  if (p.rateLimit) {
    extras.push(`rate limit ${p.rateLimit.requests}/${formatMs(p.rateLimit.windowMs)}`);
  }
  if (p.maxConcurrency !== undefined) extras.push(`max concurrency ${p.maxConcurrency}`);
  // Header values may carry secrets; names are enough to check the config.
  const headerNames = Object.keys(p.headers);
  if (headerNames.length > 0) extras.push(`headers ${headerNames.join(", ")}`);
  if (p.models.length > 0) extras.push(`models ${p.models.join(", ")}`);
  if (p.countTokens) extras.push("count_tokens forwarded");
  // Where a request's web search and fetch run: here, or with ccp's web_tools (or not at all).
  if (runsServerTools(p)) extras.push("server tools run upstream");
  else if (p.serverTools === false) extras.push("server tools not run upstream");
  if (extras.length > 0) lines.push(`    ${extras.join("; ")}`);
  for (const [model, settings] of Object.entries(p.modelSettings ?? {})) {
    lines.push(`    model ${model}: ${formatSettings(settings)}`);
  }
  return lines;
}

// With only clients:, "auth token not set" read as an open ccp: every request needs a token.
function tokenText(authToken: boolean, clients: number): string {
  if (clients === 0) return `auth token ${authToken ? "set" : "not set"}`;
  const named = `${clients} client token${clients === 1 ? "" : "s"} (clients:)`;
  // Without an operator's token, every client's token opens the views of every client's requests.
  return authToken
    ? `auth token set, and ${named}`
    : `auth token not set (every client's token opens /ui, /metrics and /v1/ccp/usage: set one ` +
      `to keep them to you); ${named}`;
}

/**
 * What a client may take, as `server.timeouts` and `max_connections` resolved: their defaults are
 * part of the contract, and this line is where a user (or a test) sees them.
 */
function clientLimitsText(s: Config["server"]): string {
  const t = s.clientTimeouts;
  const limits = `headers ${formatMs(t.headersMs)}, body ${formatMs(t.bodyMs)}, idle ` +
    `${formatMs(t.idleMs)}; at most ${s.maxConnections} connections`;
  // Without the guard only the body limit is ccp's; the others are a reverse proxy's to keep.
  return s.connectionGuard
    ? `Client limits: ${limits}`
    : `Client limits: body ${formatMs(t.bodyMs)} (connection_guard off: headers, idle and ` +
      "connections are left to a proxy in front)";
}

/** The text `ccp check` prints: source, server, providers, routes, aliases, warnings. */
export function describeConfig(config: Config): string {
  const source = config.source.kind === "file"
    ? `config file ${config.source.path}`
    : config.source.kind === "env" && config.source.style === "litellm"
    ? "environment variables in LiteLLM style (PREFERRED_PROVIDER, BIG_MODEL, SMALL_MODEL; " +
      "no config file, no MODEL variable)"
    : config.source.kind === "env"
    ? "environment variables (MODEL, MODEL_OPUS, \u2026; no config file found)"
    : "built-in default (no config file, no MODEL variable)";
  const s = config.server;
  const lines = [
    `Source: ${source}`,
    `Server: http://${s.host.includes(":") ? `[${s.host}]` : s.host}:${s.port}; ` +
    `${tokenText(s.authToken !== undefined, s.clients?.length ?? 0)}; log level ${s.logLevel}; ` +
    `max body ${formatBytes(s.maxBodyBytes)}`,
    clientLimitsText(s),
    "Providers:",
  ];
  const providers = Object.values(config.providers);
  for (const p of providers.filter((p) => !p.implicit)) lines.push(...describeProvider(p));
  const implicit = providers.filter((p) => p.implicit);
  if (implicit.length > 0) {
    lines.push(
      `  local presets named by routes: ${
        implicit.map((p) => `${p.id} (${redactUrlSecrets(p.baseUrl)})`).join(", ")
      }`,
    );
  }
  lines.push("Routes:");
  for (const [name, chain] of Object.entries(config.routes)) {
    lines.push(`  ${name} \u2192 ${detailedChain(chain)}${scenarioNote(name, config)}`);
  }
  const transforms = Object.entries(config.transforms ?? {});
  if (transforms.length > 0) {
    lines.push("Transforms:");
    for (const [name, t] of transforms) lines.push(`  ${name}: ${formatTransform(t)}`);
  }
  const affinity = config.routing?.sessionAffinityTtlMs;
  if (affinity !== undefined) {
    lines.push(
      `Session affinity: on (a session keeps its key and spread target for ` +
        `${formatMs(affinity)} after its last request)`,
    );
  }
  if (config.localAnswers === false) {
    lines.push("Local answers: off (quota probes and Warmup go upstream)");
  }
  const shared = config.shared;
  if (shared?.redis || shared?.postgres) {
    const engines = [
      ...(shared.redis
        ? [`Redis ${redactUrlSecrets(shared.redis)} (key prefix ${shared.prefix})`]
        : []),
      ...(shared.postgres
        ? [`PostgreSQL ${redactUrlSecrets(shared.postgres)} (usage ledger)`]
        : []),
    ];
    lines.push(
      `Shared with other instances: ${engines.join(", ")}; while one is away: ` +
        (shared.onUnavailable === "open" ? "serve on local state" : "answer 503"),
    );
  }
  if (s.cors) {
    const who = s.cors.origins.includes("*")
      ? "any web page (origins: *)"
      : `web pages of ${
        s.cors.origins.map((o) => o === "null" ? "null (sandboxed frames, file:// pages)" : o)
          .join(", ")
      }`;
    const open = s.authToken || s.clients?.length ? "" : "; no auth token: each of their pages " +
      "can use ccp and its provider keys";
    lines.push(`CORS: on; ${who} may call ccp from a browser${open}`);
  }
  if (s.clients && s.clients.length > 0) {
    lines.push("Clients:");
    for (const c of s.clients) {
      const routes = c.routes ? `routes ${c.routes.join(", ")}` : "every route";
      lines.push(`  ${c.name}: token ${redactKey(c.token)}; ${routes}`);
    }
  }
  const aliases = Object.entries(config.aliases);
  if (aliases.length > 0) {
    lines.push("Aliases:");
    for (const [name, chain] of aliases) lines.push(`  ${name} \u2192 ${detailedChain(chain)}`);
  }
  if (config.warnings.length > 0) {
    lines.push("Warnings:");
    for (const warning of config.warnings) lines.push(`  - ${warning}`);
  }
  return lines.join("\n");
}
