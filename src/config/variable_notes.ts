/**
 * What a config file's `${VAR}` references tell the user before any request: a variable that is
 * unset or blank where the file reads it (with the set variable it was likely meant to be), and
 * the model variables set for a file that never reads them.
 */

import { findPreset } from "../providers/catalog.ts";
import { type EnvMap, envValue } from "./env/map.ts";
import { MODEL_VARIABLES } from "./env/mode_names.ts";
import type { UnsetReference } from "./expand.ts";
import { formatKeyPath } from "./issues.ts";
import { setVariableLike } from "./suggest.ts";

/** The references to judge, as expanding the file's tree found them. */
export interface VariableUse {
  /** The file as found (used in every message). */
  readonly file: string;
  /** The file's text, where `${MODEL}` and its kin would have to appear. */
  readonly text: string;
  readonly env: EnvMap;
  /** The expanded tree, for the preset of a provider whose key reads as "". */
  readonly tree: Record<string, unknown>;
  readonly unset: readonly UnsetReference[];
  readonly blank: readonly UnsetReference[];
}

/** The warnings to log, and each keyless provider's variable to name when its upstream says 401. */
export interface VariableNotes {
  readonly warnings: string[];
  /**
   * Provider id -> the unset (or blank) variable its api_key reads, with the set one it likely
   * meant. Of a key list's variables the first is named (api_keys[0], not the last one read).
   */
  readonly unsetKeyOwners: ReadonlyMap<string, string>;
}

/** Judges the `${VAR}` references of one config file. */
export function variableNotes(use: VariableUse): VariableNotes {
  const { file, env } = use;
  const likeNote = (ref: UnsetReference) => {
    const like = setVariableLike(ref.name, env) ?? presetKeySet(ref, use.tree, env);
    if (!like) return "";
    // A list variable belongs in the list field: `api_key: ${K_API_KEYS}` would send
    // "k1,k2" as one key.
    const field = ref.path.at(-1) === "api_key" && like.endsWith("_KEYS") ? "api_keys: " : "";
    return ` (${like} is set: did you mean ${field}\${${like}}?)`;
  };
  const warnings = use.unset.map((ref) =>
    `${file}: ${formatKeyPath(ref.path)}: \${${ref.name}} is not set, so it reads as ""${
      likeNote(ref)
    }`
  );
  // The README's `MODEL=... ccp` after `ccp init`: the file wins and the variable is dropped.
  const unread = [...Object.keys(MODEL_VARIABLES), "MODEL_FALLBACKS"].filter((name) =>
    // `${MODEL}` or `${MODEL:-...}`; `${MODEL_HAIKU}` does not read MODEL.
    envValue(env, name) !== undefined && !new RegExp(`\\$\\{${name}(?:\\}|:-)`).test(use.text)
  );
  if (unread.length > 0) {
    warnings.push(
      `${unread.join(", ")}: set but not read: ${file} is in use, and a config file reads ` +
        `variables only through \${VAR} (routes: {default: "\${MODEL}"}); or remove the file`,
    );
  }
  warnings.push(...unreadAddresses(use));
  // A key variable left empty (`OPENROUTER_API_KEY=` in the .env ccp init writes) is the same
  // mistake as an unset one: the file already reads it, so the advice is the variable, not an
  // api_key entry to add.
  const blankKeys = use.blank.filter(isKeyPath);
  for (const ref of blankKeys) {
    warnings.push(
      `${file}: ${formatKeyPath(ref.path)}: \${${ref.name}} is set but empty, so it reads as ""`,
    );
  }
  const unsetKeyOwners = new Map<string, string>();
  const owned = [
    ...use.unset.filter(isKeyPath).map((ref) =>
      [
        String(ref.path[1]),
        `${ref.name}, which ${formatKeyPath(ref.path)} reads${likeNote(ref)}`,
      ] as const
    ),
    ...blankKeys.map((ref) =>
      [
        String(ref.path[1]),
        `${ref.name}, which ${formatKeyPath(ref.path)} reads (it is empty)`,
      ] as const
    ),
  ];
  for (const [id, said] of owned) if (!unsetKeyOwners.has(id)) unsetKeyOwners.set(id, said);
  return { warnings, unsetKeyOwners };
}

/**
 * A preset's base-URL variable (NVIDIA_NIM_BASE_URL) set for a file whose entry of that preset
 * writes no base_url: the variable moved the address before `ccp init` (without a file), and now
 * the preset's own address is used without a word.
 */
function unreadAddresses(use: VariableUse): string[] {
  const providers = use.tree.providers;
  if (typeof providers !== "object" || providers === null) return [];
  return Object.entries(providers as Record<string, unknown>).flatMap(([id, entry]) => {
    const { preset, base_url } = (entry ?? {}) as { preset?: unknown; base_url?: unknown };
    const found = typeof preset === "string" ? findPreset(preset) : undefined;
    const name = found?.baseUrlEnv;
    if (!found || !name || base_url !== undefined) return [];
    if (envValue(use.env, name) === undefined) return [];
    if (new RegExp(`\\$\\{${name}(?:\\}|:-)`).test(use.text)) return [];
    return [
      `${use.file}: providers.${id}: ${name} is set but not read, so it goes to the ${preset} ` +
      `preset's ${found.baseUrl}: a config file reads variables only through \${VAR} ` +
      `(base_url: \${${name}} under it)`,
    ];
  });
}

function isKeyPath(ref: UnsetReference): boolean {
  return ref.path[0] === "providers" && /^api_keys?$/.test(String(ref.path[2]));
}

/**
 * For a `${VAR}` at a provider's api_key that reads as "": its preset's own key variable, when
 * that one is set (`${NVIDIA_KEY}` where NVIDIA_NIM_API_KEY holds the key), whatever the spelling.
 */
function presetKeySet(
  ref: UnsetReference,
  tree: Record<string, unknown>,
  env: EnvMap,
): string | undefined {
  const id = ref.path[1];
  if (!isKeyPath(ref) || typeof id !== "string") return undefined;
  const providers = tree.providers as Record<string, { preset?: unknown }> | undefined;
  const presetId = providers?.[id]?.preset;
  const keyEnv = typeof presetId === "string" ? findPreset(presetId)?.keyEnv : undefined;
  return keyEnv !== undefined && envValue(env, keyEnv) !== undefined ? keyEnv : undefined;
}
