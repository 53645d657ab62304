/** The commented `config.yaml` and `.env` files that `ccp init` writes (they must load as they are). */

import { PRESETS } from "../providers/catalog.ts";

/** One comment line per preset: id, protocol, key variable and default API root. */
function presetLines(): string {
  return PRESETS.map((p) => {
    const key = p.keyEnv ? p.keyEnv : "no key";
    const url = p.baseUrl || "(base_url required)";
    return `#   ${p.id.padEnd(19)}${p.type.padEnd(17)}${key.padEnd(26)}${url}`;
  }).join("\n");
}

/** The config.yaml template: a local Ollama route works out of the box; hosted examples are commented. */
export const CONFIG_YAML_TEMPLATE = `# ccp configuration. Validate it with "ccp check".
# Values may use \${VAR} or \${VAR:-default}: they are expanded from the environment and the .env
# files next to this file and in the working directory. With this file in use, environment
# variables reach the config ONLY through \${VAR} references. Write $\${ for a literal "\${".
# Precedence: command-line flags > CCP_* variables > this file > built-in defaults.

server:
  host: 127.0.0.1              # a non-loopback host requires auth_token
  port: 8082
  auth_token: \${CCP_AUTH_TOKEN:-}   # clients send it as x-api-key, Bearer or anthropic-auth-token
  log_level: info              # debug | info | warn | error
  max_body_size: 32MiB         # larger request bodies get 413 (also 10MB, 512KiB, bytes)
  # cors:                      # browser clients (off by default): pages of these origins may
  #   origins: [http://localhost:5173]   # call ccp (the Anthropic SDK's dangerouslyAllowBrowser)

# Providers: id -> settings. The id is the prefix in "id/model".
# A preset fills type, base_url and auth; keys written beside it override the preset.
# Presets (id, wire protocol, key variable, default API root):
${presetLines()}
# A route or alias may name lmstudio, llamacpp, ollama, vllm or cliproxyapi (e.g. "vllm/my-model",
# at its default address) without an entry here. A client's own "provider/model" reaches only the
# providers listed here or named by a route or alias; any other gets 400.
providers:
  ollama:
    preset: ollama
    base_url: \${OLLAMA_BASE_URL:-http://127.0.0.1:11434}

  # nim:
  #   preset: nvidia_nim
  #   api_key: \${NVIDIA_NIM_API_KEY}
  # openrouter:
  #   preset: open_router
  #   api_key: \${OPENROUTER_API_KEY}       # several: api_keys: [k1, k2], or "k1,k2" in one variable
  #   key_usage_limit: 0                   # rotate keys after N requests; 0 = only on 401/429
  #   key_strategy: fill_first             # or round_robin: each request the next key in turn

  # Every provider key, on a hand-written OpenAI-compatible server:
  # local:
  #   type: openai                         # openai (Chat Completions) | openai_responses | anthropic | gemini
  #   base_url: http://127.0.0.1:9999/v1   # the API root as the server documents it
  #   api_key: \${LOCAL_API_KEY:-none}      # or api_keys: [k1, k2]
  #   auth_header: bearer                  # x-api-key | bearer | x-goog-api-key | none
  #   auth: key                            # passthrough = forward the client's own login or key (a Claude plan; anthropic only)
  #   headers: { X-Extra: "1" }
  #   proxy: http://proxy:3128             # http, https or socks5
  #   models: [qwen3-coder]                # advertised by GET /v1/models
  #   timeouts: { connect: 10s, first_byte: 600s, idle: 120s, total: 0 }   # 0 = none
  #   max_retries: 3
  #   retry_delay: { base: 1s, max: 30s }  # wait before a retry: doubling from base, at most max
  #   rate_limit: { requests: 40, window: 60s }
  #   max_concurrency: 5
  #   fallback_on: [429, 500, 502, 503, 504, 529]   # statuses that move on to the next target
  #   key_usage_limit: 0
  #   count_tokens: false                  # forward /v1/messages/count_tokens upstream
  #   server_tools: false                  # true: it runs Anthropic's web search/fetch itself (a gateway to Anthropic)
  #   model_settings:                      # per upstream model; "*" = every model (exact name wins)
  #     "*": { max_output_tokens: 32k }    # caps max_tokens (Claude Code asks for up to 128000)
  #     qwen3-coder:
  #       context_window: 128k             # max_tokens shrinks so prompt + output fit
  #       reasoning_effort: high           # none | minimal | low | medium | high | xhigh | max
  #       thinking: on                     # on | off: force the provider's thinking switch
  #       extra_body: { top_k: 20 }        # deep-merged into the upstream JSON (null removes)
  #       supports: { images: false, documents: false, tools: true }   # false = rewrite requests
  #       text_tool_calls: true            # <tool_call> text -> tool_use

# Applied to every provider, below each provider's own keys (any key above but preset, type, base_url, server_tools).
provider_defaults:
  # timeouts: { idle: 60s }
  # max_retries: 3

# What a request's model resolves to: "provider/model" (split at the first "/"), or a list that is
# tried in order when a target fails. Model names containing opus, haiku, sonnet or fable use those
# routes; everything else uses default.
routes:
  default: ollama/qwen3-coder
  # opus: nim/moonshotai/kimi-k2.5
  # sonnet: [ollama/qwen3-coder, nim/z-ai/glm4.7]
  # haiku: ollama/qwen3-coder
  # A variant: {target: ..., any model_settings key} overrides the provider's settings for it.
  # haiku: { target: ollama/qwen3-coder, thinking: off }
  # A weight on a target spreads new requests by weight (weight 0 = failover only):
  # sonnet: [{ target: nim/z-ai/glm4.7, weight: 3 }, openrouter/z-ai/glm-4.7]

# Exact model names -> target (checked before routes). Variants let one upstream model appear
# as several Claude Code models.
aliases:
  # my-fast: ollama/qwen3-coder
  # kimi-high: { target: nim/moonshotai/kimi-k2.5, reasoning_effort: high }

# Keep each Claude Code session on its key and spread target while they stay usable (their
# prompt caches stay warm), for this long after its last request.
# routing:
#   session_affinity: true
#   session_affinity_ttl: 1h

# Claude Code's WebSearch and WebFetch on every model: ccp runs the searches and fetches itself.
# Without this section those tools are removed and the answer says web search is not configured.
# web_tools:
#   search: { provider: searxng, base_url: http://127.0.0.1:8888 }   # searxng | brave | tavily
#   # search: { provider: brave, api_key: \${BRAVE_API_KEY} }
#   fetch: { allow_private_networks: false, max_bytes: 5MiB, timeout: 20s }

# Traces of each request (OpenTelemetry, OTLP/HTTP JSON) to Jaeger, Tempo, Honeycomb, Langfuse or a
# collector. The OTEL_EXPORTER_OTLP_* variables work too; a key here wins over its variable.
# tracing:
#   endpoint: http://127.0.0.1:4318          # /v1/traces is added; traces_endpoint: used as given
#   headers: { x-honeycomb-team: \${HONEYCOMB_API_KEY} }
#   service_name: ccp
#   sample_ratio: 100%                       # share of new traces kept (0.25 or 25%)
#   timeout: 10s
#   compression: gzip                        # gzip or none (the default)
`;

/** The .env template: secrets live here, config.yaml refers to them with \${VAR}. */
export const DOTENV_TEMPLATE =
  `# Environment for ccp. The real environment wins over this file; ./.env wins over
# the one in the config dir. config.yaml reads these only through \${VAR} references.

# Token clients must send (x-api-key, Authorization: Bearer or anthropic-auth-token).
# CCP_AUTH_TOKEN=change-me

# Overrides for flags (below the flags themselves):
# CCP_HOST=127.0.0.1
# CCP_PORT=8082
# CCP_LOG_LEVEL=info
# (CCP_CONFIG picks this file's directory, so it is read only from the environment or ./.env.)

# Provider keys (reference them in config.yaml, e.g. api_key: \${NVIDIA_NIM_API_KEY}).
${[...new Set(PRESETS.filter((p) => p.keyEnv && !p.local).map((p) => `# ${p.keyEnv}=`))].join("\n")}

# Without a config.yaml, ccp also runs from free-claude-code style variables alone:
# MODEL=nvidia_nim/z-ai/glm4.7       # provider_id/model/name; a comma list is a failover chain
# MODEL_OPUS=                        # blank tiers use MODEL
# MODEL_SONNET=
# MODEL_HAIKU=
# MODEL_FABLE=
# NVIDIA_NIM_API_KEYS=key1,key2      # *_API_KEYS: several keys, split on commas or spaces
# OLLAMA_BASE_URL=http://127.0.0.1:11434
# ANTHROPIC_AUTH_TOKEN=              # the proxy's token in that mode (below CCP_AUTH_TOKEN)
# ENABLE_MODEL_THINKING=             # true/false forces thinking on/off; unset = as the client asks
# ENABLE_OPUS_THINKING=              # per tier; blank = ENABLE_MODEL_THINKING
# ENABLE_SONNET_THINKING=
# ENABLE_HAIKU_THINKING=
# REASONING_POLICY=client            # client | off | low | medium | high | xhigh | max; wins over ENABLE_*
# REASONING_OPUS=inherit             # per tier (also _SONNET, _HAIKU, _FABLE); inherit = REASONING_POLICY

# Or the LiteLLM-based proxies' variables (used when no MODEL* variable is set):
# PREFERRED_PROVIDER=openai          # openai | google | anthropic
# BIG_MODEL=gpt-4.1                  # sonnet, opus and default
# SMALL_MODEL=gpt-4.1-mini           # haiku
# OPENAI_BASE_URL=
# MAX_OUTPUT_TOKENS=0                # 0 = no cap
`;
