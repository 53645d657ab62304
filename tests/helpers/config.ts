/** Builds Config objects for tests without touching files or the environment. */

import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { protocolParts } from "../../src/config/provider_build.ts";
import type { Config, ProviderConfig, Target } from "../../src/config/types.ts";
import type { EnvMap } from "../../src/config/env/map.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { LoadFlags } from "../../src/config/load.ts";
import { configWithoutFile } from "../../src/config/without_file.ts";
import { findPreset } from "../../src/providers/catalog.ts";

/**
 * A provider with ccp's defaults, overridden by `over`; its dialect and cleaning are resolved from
 * `over.preset` and the base URL as the config builder would, unless `over` gives them.
 */
export function provider(id: string, over: Partial<ProviderConfig> = {}): ProviderConfig {
  const baseUrl = over.baseUrl ?? "http://127.0.0.1:9";
  const preset = over.preset === undefined ? undefined : findPreset(over.preset);
  return {
    ...protocolParts({ preset, baseUrl }),
    id,
    type: "anthropic",
    baseUrl: "http://127.0.0.1:9",
    apiKeys: [],
    authHeader: "x-api-key",
    auth: "key",
    headers: {},
    models: [],
    timeouts: { connectMs: 10_000, firstByteMs: 600_000, idleMs: 120_000, totalMs: 0 },
    maxRetries: 3,
    fallbackOn: [429, 500, 502, 503, 504, 529],
    keyUsageLimit: 0,
    countTokens: true,
    implicit: false,
    ...over,
  };
}

/** Parses "provider/model" into a Target. */
export function target(text: string): Target {
  const slash = text.indexOf("/");
  const [provider, model] = [text.slice(0, slash), text.slice(slash + 1)];
  // As the config parser reads it: `provider/*` sends the client's own model name.
  return model === "*" ? { provider, model, clientModel: true } : { provider, model };
}

/** A whole config; routes and aliases are written as "provider/model" strings or lists. */
export function testConfig(options: {
  providers: ProviderConfig[];
  routes?: Record<string, string | string[]>;
  aliases?: Record<string, string | string[]>;
  authToken?: string;
  maxBodyBytes?: number;
  source?: Config["source"];
}): Config {
  const chains = (table: Record<string, string | string[]> = {}) =>
    Object.fromEntries(
      Object.entries(table).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(target)]),
    );
  return {
    source: options.source ?? { kind: "file", path: "test.yaml" },
    server: {
      host: "127.0.0.1",
      port: 0,
      authToken: options.authToken,
      maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
      clientTimeouts: { headersMs: 10_000, bodyMs: 60_000, idleMs: 75_000 },
      maxConnections: 1024,
      connectionGuard: false,
      maxResponseBytes: 32 * 1024 * 1024,
      logLevel: "error",
    },
    providers: Object.fromEntries(options.providers.map((p) => [p.id, p])),
    routes: chains(options.routes),
    aliases: chains(options.aliases),
    warnings: [],
  };
}

/** The ConfigError message `load` throws, failing the test when it loads instead. */
export function configErrorOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.message;
  }
  assert.fail("config loaded but should have been refused");
}

/**
 * The Config from text already read: YAML mode when `yaml` is given, else what
 * `configWithoutFile` picks from `env` alone. No file or env access.
 */
export function configFromSources(input: {
  flags: LoadFlags;
  env: EnvMap;
  yaml?: { text: string; file: string; path?: string };
}): Config {
  const { flags, env, yaml } = input;
  return yaml ? configFromYaml({ ...yaml, env, flags }) : configWithoutFile({ flags, env });
}
