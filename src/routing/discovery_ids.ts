/**
 * Model ids Claude Code's `/model` picker accepts. Its gateway model discovery
 * (`CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1`, `GET /v1/models`) keeps only ids that begin
 * with `claude` or `anthropic` (from 2.1.223, ids that contain either word), so ccp's own names
 * (`default`, `my-fast`, `nim/kimi-k2.5`) never reach the picker. `GET /v1/models` therefore also lists each name behind this prefix, and
 * routing removes the prefix again before it resolves the name.
 */

import type { Config } from "../config/types.ts";

/** Ids the picker keeps as they are (an alias named `claude-...` needs no twin). */
export const DISCOVERABLE = /^(?:claude|anthropic)/i;

/** The prefix of the discoverable twin of every other listed model id. */
export const DISCOVERY_PREFIX = "claude-ccp/";

/** The discoverable twin of a listed model id. */
export function discoveryId(id: string): string {
  return `${DISCOVERY_PREFIX}${id}`;
}

/**
 * The name a request's model stands for: without the discovery prefix, unless the config has a
 * provider of that name (then `claude-ccp/<model>` is an explicit provider/model, as always).
 */
export function withoutDiscoveryPrefix(model: string, config: Config): string {
  if (!model.startsWith(DISCOVERY_PREFIX)) return model;
  if (Object.hasOwn(config.providers, DISCOVERY_PREFIX.slice(0, -1))) return model;
  return model.slice(DISCOVERY_PREFIX.length);
}
