/**
 * Keys whose first characters say which provider issued them. A key pasted into another
 * provider's variable meets a 401 that reads like a revoked key; ccp can tell at load, without
 * asking anyone, when the key carries another provider's mark. Only a preset at its own API root
 * is checked: OpenRouter's key is right for the anthropic preset pointed at OpenRouter.
 */

import type { ProviderConfig } from "./types.ts";
import { findPreset } from "../providers/catalog.ts";

interface Mark {
  readonly preset: string;
  readonly name: string;
  readonly prefix: string;
}

// The prefixes each provider documents for its keys; generic ones (`sk-`) say nothing.
const MARKS: readonly Mark[] = [
  { preset: "nvidia_nim", name: "NVIDIA NIM", prefix: "nvapi-" },
  { preset: "open_router", name: "OpenRouter", prefix: "sk-or-" },
  { preset: "anthropic", name: "Anthropic", prefix: "sk-ant-" },
  { preset: "groq", name: "Groq", prefix: "gsk_" },
  { preset: "gemini", name: "Gemini", prefix: "AIza" },
  { preset: "xai", name: "xAI", prefix: "xai-" },
  { preset: "cerebras", name: "Cerebras", prefix: "csk-" },
];

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/**
 * What to say about the provider's keys that carry another provider's mark: one sentence per
 * such key (`key 2` when it has several), none when all look right.
 */
export function foreignKeyWarnings(provider: ProviderConfig): string[] {
  const preset = provider.preset ? findPreset(provider.preset) : undefined;
  if (!preset || preset.local || hostOf(preset.baseUrl) !== hostOf(provider.baseUrl)) return [];
  const own = MARKS.find((mark) => mark.preset === preset.id);
  const warnings: string[] = [];
  provider.apiKeys.forEach((key, i) => {
    if (own && key.startsWith(own.prefix)) return;
    const other = MARKS.find((mark) => mark.preset !== preset.id && key.startsWith(mark.prefix));
    if (!other) return;
    // The message names providers, never a key's characters (not even the public prefix).
    const which = provider.apiKeys.length > 1 ? `key ${i + 1}` : "the key";
    const otherPreset = findPreset(other.preset);
    const home = otherPreset?.keyEnv
      ? `; one from ${other.name} goes in ${otherPreset.keyEnv}`
      : "";
    warnings.push(
      `${which} looks like one from ${other.name} by its first characters, not one for ` +
        `${preset.id}: paste ${preset.id}'s own key here${home}`,
    );
  });
  return warnings;
}
