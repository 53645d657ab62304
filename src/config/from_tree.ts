/**
 * The pure core of YAML mode: a config file's parsed tree + environment + flags -> a validated,
 * frozen Config. The tree comes from the YAML parser (from_yaml.ts) or from the loader's cache of
 * parsed trees (tree_cache.ts), which spares a start the parser.
 */

import { findPreset, LOCAL_PRESET_IDS, type Preset, PRESET_IDS } from "../providers/catalog.ts";
import type { Config, ProviderConfig, Target } from "./types.ts";
import type { EnvMap } from "./env/map.ts";
import { expandTree } from "./expand.ts";
import { deepFreeze } from "./freeze.ts";
import { formatKeyPath, Problems } from "./issues.ts";
import { isEmptySettings, toModelSettings } from "./schema/model.ts";
import type { RouteItem } from "./schema/routes.ts";
import { implicitLocalProviders } from "./locals.ts";
import { fileAddressAt, fileAddressFix } from "./address_fix.ts";
import { buildProvider } from "./provider_build.ts";
import { foreignKeyWarnings } from "./key_owner.ts";
import { type ConfigFile, configFileSchema, type ProviderSection } from "./schema/config.ts";
import { parse } from "./schema/kit.ts";
import { resolveServer, type ServerFlags } from "./server.ts";
import { didYouMean } from "./suggest.ts";
import { variableNotes } from "./variable_notes.ts";
import { checkTarget, type KnownProviders } from "./targets.ts";
import { buildWebTools } from "./web_tools.ts";
import { buildBudgets, buildUsage } from "./budgets.ts";
import { buildRouting, buildTransforms, roleTypoWarnings, ruleWordWarnings } from "./routing.ts";
import { buildClients, clientNameWarnings } from "./clients.ts";
import { buildCors } from "./cors.ts";
import { buildTracing } from "./tracing.ts";

/** Everything the YAML core needs; no I/O happens inside. */
export interface YamlConfigInput {
  readonly text: string;
  /** The file as found (used in every message). */
  readonly file: string;
  /** Absolute path recorded as the config source; defaults to `file`. */
  readonly path?: string;
  readonly env: EnvMap;
  readonly flags?: ServerFlags;
}

/** The same with the text's parsed tree. */
export interface ParsedConfigInput extends YamlConfigInput {
  readonly tree: Record<string, unknown>;
}

const PROVIDER_ID = /^[A-Za-z0-9_.-]+$/;

/**
 * Picks the provider's preset: `preset:`, else its id when that is a preset id and no type is set
 * (so `ollama: {base_url: ...}` keeps the ollama preset). null means an unknown preset, already reported.
 */
function presetFor(
  id: string,
  own: ProviderSection,
  problems: Problems,
): Preset | undefined | null {
  if (own.preset !== undefined) {
    const preset = findPreset(own.preset);
    if (preset) return preset;
    const hint = didYouMean(own.preset, PRESET_IDS);
    problems.add(
      ["providers", id, "preset"],
      `unknown preset "${own.preset}" (${hint ? `${hint}; ` : ""}known: ${PRESET_IDS.join(", ")})`,
    );
    return null;
  }
  return own.type === undefined ? findPreset(id) : undefined;
}

/** Builds the configured providers in file order, reporting each problem at its key path. */
function buildConfigured(
  file: ConfigFile,
  problems: Problems,
  warnings: string[],
  unsetKeyOwners: ReadonlyMap<string, string>,
  raw: Record<string, unknown>,
): ProviderConfig[] {
  const out: ProviderConfig[] = [];
  for (const [id, own] of Object.entries(file.providers ?? {})) {
    if (!PROVIDER_ID.test(id)) {
      problems.add(["providers", id], "invalid provider id (use letters, digits, _ . -)");
      continue;
    }
    const preset = presetFor(id, own, problems);
    if (preset === null) continue;
    const built = buildProvider({
      id,
      preset,
      defaults: file.provider_defaults,
      own,
      implicit: false,
    });
    for (const p of built.problems) {
      problems.add(["providers", id, ...(p.key === "" ? [] : p.key.split("."))], p.message);
    }
    if (!built.provider) continue;
    const keyless = built.provider.apiKeys.length === 0 && built.provider.auth === "key";
    const missingKey = keyless ? missingKeyOf(id, preset, unsetKeyOwners.get(id)) : undefined;
    const rawBaseUrl = rawSection(raw, id).base_url;
    const addressFix = fileAddressFix(id, rawBaseUrl);
    const addressAt = fileAddressAt(id, rawBaseUrl);
    out.push({ ...built.provider, addressFix, addressAt, ...(missingKey ? { missingKey } : {}) });
    const keyPath = formatKeyPath(["providers", id, own.api_keys ? "api_keys" : "api_key"]);
    for (const warning of foreignKeyWarnings(built.provider)) {
      warnings.push(`${problems.source}: ${keyPath}: ${warning}`);
    }
    // Providers whose api_key named an unset ${VAR} already have a warning that says so.
    if (preset && !preset.local && preset.keyEnv && keyless && !unsetKeyOwners.has(id)) {
      warnings.push(
        `${problems.source}: ${formatKeyPath(["providers", id])}: no API key; ` +
          `add api_key: \${${preset.keyEnv}} ` +
          `(in YAML mode environment variables are read only through \${VAR})`,
      );
    }
  }
  return out;
}

/** A provider's section as written, before `${VAR}` was expanded ({} when it is not a mapping). */
function rawSection(raw: Record<string, unknown>, id: string): Record<string, unknown> {
  const providers = raw.providers;
  const own = providers && typeof providers === "object"
    ? (providers as Record<string, unknown>)[id]
    : undefined;
  return own && typeof own === "object" ? own as Record<string, unknown> : {};
}

/**
 * What a keyless provider's 401 should tell the user to set: the unset variable its `api_key`
 * reads (with the set variable it was likely meant to be), else an `api_key` entry.
 */
function missingKeyOf(
  id: string,
  preset: Preset | undefined,
  unset: string | undefined,
): string {
  if (unset) return unset;
  // A local preset needs no key, but a server started with one (vLLM's --api-key) answers 401;
  // its variable alone is not read with a config file, so the advice is the entry to write.
  const value = preset?.keyEnv ? ` \${${preset.keyEnv}}` : "";
  return `api_key:${value} under providers.${id} in the config file`;
}

/**
 * What to set when a provider that sends ccp's own key has none (`missingKeyOf`'s advice, else its
 * preset's variable); undefined when it has a key. `ccp check` names it, and so does a 401.
 */
export function missingKeyAdvice(provider: ProviderConfig): string | undefined {
  if (provider.apiKeys.length > 0 || provider.auth !== "key") return undefined;
  if (provider.missingKey) return provider.missingKey;
  const variable = provider.preset ? findPreset(provider.preset)?.keyEnv : undefined;
  return variable ?? `api_key under providers.${provider.id} in the config file`;
}

/** Checks every target of `routes` or `aliases`, each reported at its own key path. */
function buildChains(
  section: "routes" | "aliases",
  entries: Readonly<Record<string, readonly RouteItem[]>>,
  known: KnownProviders,
  problems: Problems,
): Record<string, Target[]> {
  const out: Record<string, Target[]> = {};
  for (const [name, items] of Object.entries(entries)) {
    const chain: Target[] = [];
    // One weight spreads the route: every target then has one (1 unless written).
    const spread = items.some((item) => item.weight !== undefined);
    if (spread && items.every((item) => item.weight === 0)) {
      problems.add([section, name], "every target has weight 0: give one a weight above 0");
    }
    for (const item of items) {
      const checked = checkTarget(item.target, known);
      if ("message" in checked) problems.add([section, name, ...item.path], checked.message);
      else {
        const settings = item.settings ? toModelSettings(item.settings) : {};
        const weighted = spread ? { ...checked, weight: item.weight ?? 1 } : checked;
        chain.push(isEmptySettings(settings) ? weighted : { ...weighted, settings });
      }
    }
    out[name] = chain;
  }
  return out;
}

/** Validates a parsed config file and builds the Config; throws ConfigError listing every problem. */
export function configFromTree(input: ParsedConfigInput): Config {
  const { file, env, tree } = input;
  const problems = new Problems(file);

  const expanded = expandTree(tree, env);
  for (const p of expanded.problems) problems.add(p.path, p.message);
  problems.throwIfAny();
  const cleaned = dropNullEntries(expanded.value) as Record<string, unknown>;

  const parsed = parse(configFileSchema, cleaned);
  if (!parsed.ok) {
    for (const issue of parsed.issues) problems.add(issue.path, issue.message);
    throw problems.error();
  }
  const config: ConfigFile = parsed.value;

  const { warnings, unsetKeyOwners } = variableNotes({
    file,
    text: input.text,
    env,
    tree: cleaned,
    unset: expanded.unset,
    blank: expanded.blank,
  });
  const configured = buildConfigured(config, problems, warnings, unsetKeyOwners, tree);
  const known: KnownProviders = {
    configured: Object.keys(config.providers ?? {}),
    usable: new Set([...Object.keys(config.providers ?? {}), ...LOCAL_PRESET_IDS]),
  };

  const routes = buildChains("routes", config.routes ?? {}, known, problems);
  const aliases = buildChains("aliases", config.aliases ?? {}, known, problems);
  const webTools = buildWebTools(config.web_tools, problems);
  const budgets = buildBudgets(
    config.budgets,
    // A local preset a route names needs no providers entry, so a budget may name it too.
    known.usable,
    problems,
    config.usage?.enabled !== false,
  );
  const implicit = namedLocalProviders(config, file, [routes, aliases], problems);
  const transforms = buildTransforms(config.transforms, {
    routes: new Set(Object.keys(routes)),
    providers: new Set([...Object.keys(config.providers ?? {}), ...LOCAL_PRESET_IDS]),
  }, problems);
  const routeNames = Object.keys(routes);
  const first = routeNames[0];
  if (first === undefined) {
    problems.add(["routes"], "missing: add at least routes.default: provider/model");
  }
  problems.throwIfAny();
  if (first !== undefined && routes.default === undefined) {
    warnings.push(`${file}: routes.default is missing; using routes.${first} as the default`);
  }
  // default first, so describe output and route listings read top-down.
  const orderedRoutes = { default: routes.default ?? routes[first ?? ""] ?? [], ...routes };

  const server = buildServer(input, config, problems);
  const clients = server.clients ?? [];
  const traced = buildTracing(config.tracing, env);
  for (const problem of traced.problems) problems.addLine(`${file}: ${problem}`);
  warnings.push(...traced.warnings);
  problems.throwIfAny();
  warnings.push(...ruleWordWarnings(file, Object.keys(routes), Object.keys(aliases)));
  warnings.push(...roleTypoWarnings(file, Object.keys(routes)));
  warnings.push(...clientNameWarnings({
    file,
    clients,
    budgets: config.budgets,
    routes: Object.keys(orderedRoutes),
    aliases: Object.keys(aliases),
  }));
  const providers: Record<string, ProviderConfig> = {};
  for (const provider of [...configured, ...implicit]) providers[provider.id] = provider;
  return deepFreeze({
    source: { kind: "file", path: input.path ?? file },
    server,
    providers,
    routes: orderedRoutes,
    aliases,
    ...(webTools ? { webTools } : {}),
    ...(budgets.length > 0 ? { budgets } : {}),
    usage: buildUsage(config.usage),
    routing: buildRouting(config.routing),
    ...(Object.keys(transforms).length > 0 ? { transforms } : {}),
    ...(config.local_answers === false ? { localAnswers: false } : {}),
    ...sharedOf(config),
    ...(traced.tracing ? { tracing: traced.tracing } : {}),
    warnings,
  });
}

/**
 * The local presets the file names in a route or alias but not under providers: each one exists
 * only when named, so any other local port stays out of a client's reach.
 */
function namedLocalProviders(
  config: ConfigFile,
  file: string,
  chains: readonly Record<string, Target[]>[],
  problems: Problems,
): ProviderConfig[] {
  const named = new Set(chains.flatMap((c) => Object.values(c)).flat().map((t) => t.provider));
  try {
    return implicitLocalProviders({
      skip: new Set([
        ...Object.keys(config.providers ?? {}),
        ...LOCAL_PRESET_IDS.filter((id) => !named.has(id)),
      ]),
      defaults: config.provider_defaults,
      // Only provider_defaults can break an implicit provider in YAML mode.
      describe: (key) => `${file}: ${formatKeyPath(["provider_defaults", ...key.split(".")])}`,
    });
  } catch (err) {
    problems.addLine((err as Error).message);
    return [];
  }
}

/** The server settings (flags, then environment, then file), with its clients and CORS. */
function buildServer(
  input: ParsedConfigInput,
  config: ConfigFile,
  problems: Problems,
): Config["server"] {
  const resolved = resolveServer({
    flags: input.flags ?? {},
    env: input.env,
    file: config.server,
    envOnly: false,
  });
  const clients = buildClients(config.clients, resolved.authToken, problems);
  const cors = buildCors(
    config.server?.cors,
    resolved.authToken !== undefined || clients.length > 0,
    problems,
  );
  return {
    ...resolved,
    ...(clients.length > 0 ? { clients } : {}),
    ...(cors ? { cors } : {}),
  };
}

/** `shared:` when it names a store: Postgres for usage, Redis for guard state. */
function sharedOf(config: ConfigFile): Pick<Config, "shared"> {
  const shared = config.shared;
  if (!shared || !(shared.postgres || shared.redis)) return {};
  return {
    shared: {
      ...(shared.postgres ? { postgres: shared.postgres } : {}),
      ...(shared.redis ? { redis: shared.redis } : {}),
      prefix: shared.prefix ?? "ccp:",
      onUnavailable: shared.on_unavailable ?? "open",
    },
  };
}

// Inside these (a model's `extra_body`, a transform's `set`) null means "remove this field from
// the request", so it is kept.
const KEEPS_NULLS = new Set(["extra_body", "set"]);

/**
 * Removes mapping entries whose value is null: `api_key:` left blank means "not set" (except
 * under the keys above).
 */
function dropNullEntries(tree: unknown): unknown {
  if (Array.isArray(tree)) return tree.map(dropNullEntries);
  if (tree === null || typeof tree !== "object") return tree;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (value !== null) out[key] = KEEPS_NULLS.has(key) ? value : dropNullEntries(value);
  }
  return out;
}
