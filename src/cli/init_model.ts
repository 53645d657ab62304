/**
 * `ccp init` after the Quick start: `MODEL=nvidia_nim/... NVIDIA_NIM_API_KEY=... ccp code` works,
 * the user runs `ccp init` to add a second model, and the config file, which from then on is read
 * instead of MODEL, used to send everything to a local Ollama. With MODEL* variables set, init
 * writes their routes and the providers they name into the template, each key read through its
 * variable (never written into the file).
 */

import { configFromEnv } from "../config/env/mode.ts";
import { MODEL_VARIABLES } from "../config/env/mode_names.ts";
import { envValue } from "../config/env/map.ts";
import { CONFIG_YAML_TEMPLATE } from "../config/template.ts";
import { findPreset } from "../providers/catalog.ts";
import { formatChain, formatTarget } from "../routing/target_text.ts";
import type { Target } from "../config/types.ts";
import { shownAddress } from "../core/secrets.ts";

/** The template carrying the MODEL* routes, and what init says about it; undefined without them. */
export interface ModelTemplate {
  readonly text: string;
  /** `default -> nvidia_nim/moonshotai/kimi-k2.5`, one per route written. */
  readonly routes: readonly string[];
  /** Key variables the file reads (set now, perhaps only in this shell). */
  readonly keyVariables: readonly string[];
  /** The MODEL* variables whose routes were written: the file is read instead of them now. */
  readonly modelVariables: readonly string[];
  /**
   * The local servers the routes name, other than Ollama (whose entry the template has): each
   * with its address and the variable that moves it (`llamacpp at http://127.0.0.1:8080/v1
   * (LLAMACPP_BASE_URL)`). No key is needed for them.
   */
  readonly localServers: readonly string[];
}

/** The template's Ollama, where it is looked for: said in the next steps, as other servers are. */
export function ollamaServer(env: Readonly<Record<string, string>>): string {
  const ollama = findPreset("ollama")!;
  // The variable may hold a password, or a key in its query under any name.
  const where = shownAddress(envValue(env, ollama.baseUrlEnv) ?? ollama.baseUrl);
  return `ollama at ${where}${ollama.baseUrlEnv ? ` (${ollama.baseUrlEnv})` : ""}`;
}

const TEMPLATE_ROUTE = "routes:\n  default: ollama/qwen3-coder\n";
// The template's Ollama entry, for its default route: left as a comment when MODEL names no Ollama
// model, so the file's providers are the ones its routes use.
const TEMPLATE_OLLAMA =
  "  ollama:\n    preset: ollama\n    base_url: ${OLLAMA_BASE_URL:-http://127.0.0.1:11434}\n";
const TEMPLATE_PROVIDERS_END = "\n  # nim:\n";

function chainText(chain: readonly Target[]): string {
  const items = chain.map(formatTarget);
  return items.length === 1 ? items[0]! : `[${items.join(", ")}]`;
}

/** The template with the routes MODEL* give, or undefined when none is set or they do not load. */
export function modelTemplate(env: Readonly<Record<string, string>>): ModelTemplate | undefined {
  const set = Object.entries(MODEL_VARIABLES).filter(([name]) => envValue(env, name) !== undefined);
  if (set.length === 0) return undefined;
  let config;
  try {
    config = configFromEnv({ env });
  } catch {
    // A MODEL that does not load is reported by `ccp check` and start-up; the plain template
    // is still a file to edit.
    return undefined;
  }
  const routeNames = ["default", ...set.map(([, route]) => route).filter((r) => r !== "default")];
  const routes = routeNames.flatMap((route) => {
    const chain = config.routes[route];
    return chain && chain.length > 0 ? [{ route, chain }] : [];
  });
  const named = new Set(routes.flatMap(({ chain }) => chain.map((t) => t.provider)));
  const providerLines: string[] = [];
  const keyVariables: string[] = [];
  const localServers: string[] = [];
  for (const id of named) {
    const preset = findPreset(id);
    if (!preset) continue;
    // The template's own Ollama entry serves it: no entry to add, but no key to ask for either.
    if (id === "ollama") {
      localServers.push(ollamaServer(env));
      continue;
    }
    const baseUrl = envValue(env, preset.baseUrlEnv);
    providerLines.push(`  ${id}:`, `    preset: ${id}`);
    // CLIProxyAPI runs here but checks the api-keys of its own config, unlike the model servers.
    const keyed = preset.keyEnv !== undefined && (!preset.local || id === "cliproxyapi");
    if (keyed) {
      providerLines.push(`    api_key: \${${preset.keyEnv}}`);
      keyVariables.push(preset.keyEnv);
    }
    // A local server's entry names its address by variable, as the template's Ollama does: the
    // file reads no other variable, so LLAMACPP_BASE_URL and the like would move nothing.
    if ((baseUrl !== undefined || preset.local) && preset.baseUrlEnv) {
      providerLines.push(`    base_url: \${${preset.baseUrlEnv}:-${preset.baseUrl}}`);
    }
    if (preset.local && !keyed) {
      const where = shownAddress(baseUrl ?? preset.baseUrl);
      localServers.push(`${id} at ${where}${preset.baseUrlEnv ? ` (${preset.baseUrlEnv})` : ""}`);
    }
  }
  const routeText = routes.map(({ route, chain }) => `  ${route}: ${chainText(chain)}`);
  let text = CONFIG_YAML_TEMPLATE.replace(
    TEMPLATE_ROUTE,
    `routes:\n  # From ${set.map(([name]) => name).join(", ")} when ccp init ran:\n` +
      `${routeText.join("\n")}\n`,
  );
  if (!named.has("ollama")) {
    text = text.replace(TEMPLATE_OLLAMA, TEMPLATE_OLLAMA.replace(/^ {2}( *)/gm, "  # $1"));
  }
  if (providerLines.length > 0) {
    text = text.replace(
      TEMPLATE_PROVIDERS_END,
      `\n${providerLines.join("\n")}\n${TEMPLATE_PROVIDERS_END}`,
    );
  }
  return {
    text,
    routes: routes.map(({ route, chain }) => `${route} \u2192 ${formatChain(chain)}`),
    keyVariables,
    modelVariables: set.map(([name]) => name),
    localServers,
  };
}
