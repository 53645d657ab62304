/** GET /v1/models: every route name, alias and provider model, in Anthropic's list shape. */

import type { Context } from "hono";
import type { Config } from "../../config/types.ts";
import { ProxyError } from "../../core/errors.ts";
import { DISCOVERABLE, DISCOVERY_PREFIX, discoveryId } from "../../routing/discovery_ids.ts";
import { resolveRoute, RouteRefused } from "../../routing/resolve.ts";
import { formatChain } from "../../routing/target_text.ts";
import { credentialsOf, tokenSuffix } from "../auth.ts";
import type { AppEnv } from "../deps.ts";

/** One entry of the Anthropic models list. */
export interface ModelEntry {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
  lifecycle: "active";
  deprecated_at: null;
  retires_at: null;
  line: null;
  capabilities: null;
  max_input_tokens: null;
  max_tokens: null;
}

/**
 * An entry with every field Anthropic's model object has: the SDKs type them as always there, so
 * a client that keeps the `active` models, or reads a limit, finds them. Every name ccp lists is
 * served, so active; ccp knows no line (the name does not say), capabilities or limits of its own
 * for a route, so those are null, as Anthropic's API says of what it does not know.
 */
function modelEntry(id: string, displayName: string, createdAt: string): ModelEntry {
  return {
    type: "model",
    id,
    display_name: displayName,
    created_at: createdAt,
    lifecycle: "active",
    deprecated_at: null,
    retires_at: null,
    line: null,
    capabilities: null,
    max_input_tokens: null,
    max_tokens: null,
  };
}

/** One name a client may put in `model`: a route or alias and its targets, or a provider's model. */
export type ModelRow =
  | { readonly id: string; readonly kind: "route" | "alias"; readonly chain: string }
  | {
    readonly id: string;
    readonly kind: "model";
    readonly provider: string;
    readonly model: string;
  };

/** Routes, aliases, then `provider/model` entries, each name once (the first one wins). */
export function modelRows(config: Config): ModelRow[] {
  const seen = new Set<string>();
  const out: ModelRow[] = [];
  const add = (row: ModelRow) => {
    if (seen.has(row.id)) return;
    seen.add(row.id);
    out.push(row);
  };
  for (const [id, targets] of Object.entries(config.routes)) {
    add({ id, kind: "route", chain: formatChain(targets) });
  }
  for (const [id, targets] of Object.entries(config.aliases)) {
    add({ id, kind: "alias", chain: formatChain(targets) });
  }
  for (const provider of Object.values(config.providers)) {
    for (const model of provider.models) {
      add({ id: `${provider.id}/${model}`, kind: "model", provider: provider.id, model });
    }
  }
  return out;
}

/** Lists what a client may put in `model`: routes, aliases, then `provider/model` entries. */
function listModels(config: Config, createdAt: string): ModelEntry[] {
  return modelRows(config).map((row) =>
    modelEntry(
      row.id,
      // Clients show only the display name in their pickers: it names the thing and where it goes.
      row.kind === "model" ? `${row.model} (${row.provider})` : `${row.id} (${row.chain})`,
      createdAt,
    )
  );
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

/**
 * Builds the handler for GET /v1/models/{id} (the SDKs' `models.retrieve`): a listed id as the
 * list shows it; any other name as a request for that model would be routed (ccp serves every
 * name its rules resolve, so an SDK user checking a model before using it is not told it is
 * missing when a request for it would be served); 404 for a name a request would be refused for.
 * Under a routing prefix, or with a token suffix, every name is where that override sends it.
 */
export function modelHandler(
  config: () => Config,
  startedAt: Date,
): (c: Context<AppEnv>) => Response {
  const createdAt = startedAt.toISOString().replace(/\.\d{3}Z$/, "Z");
  return (c) => {
    const raw = c.env.path.slice("/v1/models/".length);
    let id: string;
    try {
      // The SDKs escape a `/` inside the id (`nim%2Fkimi-k2.5`); a bare one is read the same.
      id = decodeURIComponent(raw);
    } catch {
      id = raw;
    }
    const current = config();
    // A routing prefix or token suffix decides before any name (as for POST /v1/messages).
    const urlPrefix = c.env.routePrefix;
    const suffix = tokenSuffix(credentialsOf(c.env, c.req.raw.headers), c.env.identity?.token);
    if (urlPrefix === undefined && suffix === undefined) {
      const listed = listModels(current, createdAt);
      const own = listed.find((m) => m.id === id);
      if (own) return c.json(own);
      const twin = id.startsWith(DISCOVERY_PREFIX)
        ? listed.find((m) => m.id === id.slice(DISCOVERY_PREFIX.length))
        : undefined;
      if (twin) return c.json(discoverable(twin));
    }
    try {
      // A bare request for that model: no scenario route matches one, long_context included
      // (its count is given, so a threshold below a bare request's size is not asked for one).
      const resolution = resolveRoute({
        request: { model: id, max_tokens: 1, messages: [{ role: "user", content: "." }] },
        urlPrefix,
        tokenSuffix: suffix,
        inputTokens: 0,
      }, current);
      const chain = formatChain(resolution.chain);
      return c.json(modelEntry(id, `${id} (${chain})`, createdAt));
    } catch (err) {
      if (!(err instanceof RouteRefused)) throw err;
      throw new ProxyError("not_found_error", `Model ${JSON.stringify(id)}: ${err.message}`);
    }
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
