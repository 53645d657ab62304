/** GET /v1/models: every route name, alias and provider model, in Anthropic's list shape. */

import type { Context } from "hono";
import type { Config, Target } from "../../config/types.ts";
import { DISCOVERABLE, discoveryId } from "../../routing/discovery_ids.ts";
import { formatTarget } from "../../routing/resolve.ts";

/** One entry of the Anthropic models list. */
export interface ModelEntry {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
}

/** Lists what a client may put in `model`: routes, aliases, then `provider/model` entries. */
export function listModels(config: Config, createdAt: string): ModelEntry[] {
  const seen = new Set<string>();
  const out: ModelEntry[] = [];
  const add = (id: string, display: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ type: "model", id, display_name: display, created_at: createdAt });
  };
  const chain = (targets: readonly Target[]) => targets.map(formatTarget).join(" → ");
  for (const [name, targets] of Object.entries(config.routes)) {
    add(name, `${name} (${chain(targets)})`);
  }
  for (const [name, targets] of Object.entries(config.aliases)) {
    add(name, `${name} (${chain(targets)})`);
  }
  for (const provider of Object.values(config.providers)) {
    for (const model of provider.models) {
      add(`${provider.id}/${model}`, `${model} (${provider.id})`);
    }
  }
  return out;
}

/**
 * Builds the handler for GET /v1/models: every entry at once (`has_more: false`) unless the
 * client pages with `limit`, `after_id` or `before_id` as Anthropic's API allows (Claude Code's
 * model discovery asks for `limit=1000`).
 */
export function modelsHandler(config: () => Config, startedAt: Date): (c: Context) => Response {
  const createdAt = startedAt.toISOString().replace(/\.\d{3}Z$/, "Z");
  return (c) => {
    const listed = listModels(config(), createdAt);
    // To Claude Code, each entry again under an id its /model picker keeps
    // (routing/discovery_ids.ts); any other client gets the list as it is.
    const all = CLAUDE_CODE.test(c.req.header("user-agent") ?? "")
      ? [...listed, ...listed.filter((m) => !DISCOVERABLE.test(m.id)).map(discoverable)]
      : listed;
    const asked = c.req.query("limit");
    const limit = asked === undefined ? all.length : clamp(Number(asked), 1, 1000);
    const after = c.req.query("after_id");
    const before = c.req.query("before_id");
    let start = 0;
    let end = all.length;
    if (after) start = all.findIndex((m) => m.id === after) + 1;
    if (before) end = Math.max(0, all.findIndex((m) => m.id === before));
    const page = before && !after
      ? all.slice(Math.max(start, end - limit), end)
      : all.slice(start, Math.min(end, start + limit));
    const hasMore = before && !after ? end - limit > start : start + limit < end;
    return c.json({
      data: page,
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
    });
  };
}

// Claude Code's model discovery says `claude-code/<version>`; its requests `claude-cli/<version>`.
const CLAUDE_CODE = /^claude-(?:code|cli)\//i;

function discoverable(entry: ModelEntry): ModelEntry {
  return { ...entry, id: discoveryId(entry.id) };
}

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return 20;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
