/**
 * claude-code-router v1 config.json -> a ccp config, as data (render.ts writes it as YAML). Pure:
 * no files, no environment; literal keys come back separately so they go to .env, not the YAML.
 */

import { convertProvider } from "./provider.ts";
import { LOG_LEVELS, MAPPED_KEYS, ROUTER_KEYS, UNMAPPED_KEYS } from "./tables.ts";
import { ccpText, isEmptyValue, isObject, type Json, secretRef, type State } from "./text.ts";

/** A CCR config that cannot be converted at all; the message is for the user. */
export class CcrError extends Error {}

/** Ordered `key: value` pairs of one YAML mapping; values are plain JSON data. */
export type Fields = Array<readonly [string, unknown]>;

/** One `providers:` entry. */
export interface DraftProvider {
  readonly id: string;
  /** Comment lines written above the entry (no secrets). */
  readonly comments: string[];
  readonly fields: Fields;
  /** model_settings by model ("*" = all). */
  readonly modelSettings: Record<string, Record<string, unknown>>;
}

/** One `routes:` entry. */
export interface DraftRoute {
  readonly name: string;
  readonly targets: string[];
  readonly comment?: string;
  /** Route-variant settings (model_settings keys) written beside the target. */
  readonly variant?: Record<string, unknown>;
  /** One weight per target: the route spreads its requests over them. */
  readonly weights?: number[];
}

/** The whole converted config. */
export interface Draft {
  readonly server: Fields;
  readonly providers: DraftProvider[];
  readonly providerDefaults: Fields;
  readonly routes: DraftRoute[];
  readonly routing: Fields;
  /** Literal secrets for the .env file, by variable name. */
  readonly secrets: Array<{ readonly name: string; readonly value: string }>;
  /** Variables the CCR config read from the environment, still read so. */
  readonly envRefs: string[];
  /** What was not carried over, and why: one line each. */
  readonly notCarried: string[];
  /** `aliases:` entries (exact model names), for peers that had them. */
  readonly aliases?: DraftRoute[];
  /** Another peer's wording for the written files; absent: claude-code-router's. */
  readonly peer?: DraftPeer;
}

/** How the written files name the peer a draft came from. */
export interface DraftPeer {
  /** As in "read from the environment, as <name> did". */
  readonly name: string;
  /** The command that wrote the files. */
  readonly command: string;
  /** Comment lines after the first three of config.yaml. */
  readonly intro: string[];
  /** The comment above provider_defaults. */
  readonly defaultsComment: string;
}

/** Converts the Router section into routes (and the long-context threshold). */
function convertRouter(
  router: Json,
  byName: ReadonlyMap<string, string>,
  skipped: ReadonlySet<string>,
  state: State,
): { routes: DraftRoute[]; routing: Fields } {
  const routes: DraftRoute[] = [];
  const routing: Array<readonly [string, unknown]> = [];
  for (const [key, value] of Object.entries(router)) {
    if (key === "longContextThreshold") {
      if (typeof value === "number" && value >= 1) routing.push(["long_context_threshold", value]);
      continue;
    }
    const place = ROUTER_KEYS[key];
    if (!place) {
      state.notCarried.push(`Router.${key}: no ccp route of that kind; not carried over`);
      continue;
    }
    const values = (Array.isArray(value) ? value : [value]).filter(
      (v): v is string => typeof v === "string" && v.trim() !== "",
    );
    const targets: string[] = [];
    for (const v of values) {
      const comma = v.indexOf(",");
      const provider = comma < 0 ? "" : v.slice(0, comma).trim().toLowerCase();
      const model = v.slice(comma + 1).trim();
      const id = byName.get(provider);
      if (id !== undefined && model !== "") targets.push(`${id}/${ccpText(model)}`);
      else {
        const why = skipped.has(provider)
          ? "its provider was left out"
          : comma < 0
          ? 'expected "provider,model"'
          : `no provider named ${JSON.stringify(v.slice(0, comma).trim())}`;
        state.notCarried.push(`Router.${key} ${JSON.stringify(v)}: ${why}; not carried over`);
      }
    }
    if (targets.length > 0) {
      routes.push({ name: place.route, targets, ...(place.note ? { comment: place.note } : {}) });
    }
  }
  return { routes, routing };
}

/** Converts the top-level server keys. */
function convertServer(top: Json, state: State): Fields {
  const server: Array<readonly [string, unknown]> = [];
  const apiKey = typeof top.APIKEY === "string" ? top.APIKEY.trim() : "";
  const host = typeof top.HOST === "string" ? top.HOST.trim() : "";
  if (host !== "") {
    if (apiKey === "" && !/^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/.test(host)) {
      // CCR itself forced 127.0.0.1 without APIKEY; ccp refuses such a host outright.
      state.notCarried.push(`HOST ${host}: without APIKEY CCR listened on 127.0.0.1, as ccp will`);
    } else server.push(["host", ccpText(host)]);
  }
  const port = typeof top.PORT === "string" ? Number(top.PORT) : top.PORT;
  if (typeof port === "number" && Number.isInteger(port) && port >= 0 && port <= 65_535) {
    server.push(["port", port]);
  }
  if (apiKey !== "") server.push(["auth_token", secretRef(apiKey, "CCP_AUTH_TOKEN", state)]);
  const level = typeof top.LOG_LEVEL === "string" ? LOG_LEVELS[top.LOG_LEVEL.toLowerCase()] : "";
  if (level) server.push(["log_level", level]);
  return server;
}

/** Converts a parsed CCR v1 config.json; throws CcrError when there is nothing to convert. */
export function convertCcr(config: unknown): Draft {
  if (!isObject(config)) throw new CcrError("expected a JSON object at the top level");
  const providersRaw = config.Providers ?? config.providers;
  if (!Array.isArray(providersRaw)) {
    throw new CcrError(
      "no Providers list: not a claude-code-router v1 config.json (v2 keeps its settings " +
        "in config.sqlite and has no file to migrate from)",
    );
  }
  const state: State = { notCarried: [], secrets: [], envRefs: new Set(), ids: new Set() };
  const server = convertServer(config, state);
  const providers: DraftProvider[] = [];
  const byName = new Map<string, string>();
  const skipped = new Set<string>();
  providersRaw.forEach((raw, i) => {
    const done = convertProvider(raw, i, config, state);
    if (done) {
      providers.push(done.provider);
      byName.set(done.name.toLowerCase(), done.provider.id);
    } else if (isObject(raw) && typeof raw.name === "string") {
      skipped.add(raw.name.trim().toLowerCase());
    }
  });
  if (providers.length === 0) throw new CcrError("no provider could be converted");
  const router = isObject(config.Router) ? config.Router : {};
  const { routes, routing } = convertRouter(router, byName, skipped, state);
  if (!routes.some((r) => r.name === "default")) {
    const first = providers.find((p) => p.fields.some(([k]) => k === "models"));
    const model = (first?.fields.find(([k]) => k === "models")?.[1] as string[] | undefined)?.[0];
    if (!first || model === undefined) {
      throw new CcrError("no Router.default and no provider lists a model to use instead");
    }
    routes.unshift({
      name: "default",
      targets: [`${first.id}/${model}`],
      comment: "CCR had no usable Router.default: the first provider's first model",
    });
  } else routes.sort((a, b) => (a.name === "default" ? -1 : b.name === "default" ? 1 : 0));

  const providerDefaults: Array<readonly [string, unknown]> = [];
  const timeout = typeof config.API_TIMEOUT_MS === "string"
    ? Number(config.API_TIMEOUT_MS)
    : config.API_TIMEOUT_MS;
  if (typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0) {
    const ms = Math.round(timeout);
    providerDefaults.push(["timeouts", {
      first_byte: ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`,
    }]);
  }
  for (const [key, value] of Object.entries(config)) {
    // A switch left off or an empty value asks for nothing, so nothing is lost.
    if (MAPPED_KEYS.has(key) || isEmptyValue(value) || (key === "LOG" && value === true)) continue;
    const instead = UNMAPPED_KEYS[key];
    state.notCarried.push(`${key}: ${instead ?? "unknown to ccp"}; not carried over`);
  }
  return {
    server,
    providers,
    providerDefaults,
    routes,
    routing,
    secrets: state.secrets,
    envRefs: [...state.envRefs],
    notCarried: state.notCarried,
  };
}
