/**
 * Where a preset of the Anthropic protocol serves Chat Completions, for a provider that names the
 * preset with `type: openai` and no `base_url` of its own. The preset's root is its Anthropic
 * endpoint's (`https://openrouter.ai/api`, `.../anthropic`), under which no `/chat/completions`
 * answers, and some of these APIs take their key as a Bearer token there rather than `x-api-key`.
 */

import type { AuthHeader } from "../config/types.ts";

/** The Chat Completions root of a preset, as the provider documents it, and its key header. */
export interface ChatRoot {
  readonly baseUrl: string;
  readonly authHeader?: AuthHeader;
}

const ROOTS: Readonly<Record<string, ChatRoot>> = {
  open_router: { baseUrl: "https://openrouter.ai/api/v1" },
  deepseek: { baseUrl: "https://api.deepseek.com", authHeader: "bearer" },
  fireworks: { baseUrl: "https://api.fireworks.ai/inference/v1" },
  zai: { baseUrl: "https://api.z.ai/api/paas/v4" },
  zhipu: { baseUrl: "https://open.bigmodel.cn/api/paas/v4" },
  minimax: { baseUrl: "https://api.minimax.io/v1" },
  moonshot_anthropic: { baseUrl: "https://api.moonshot.ai/v1" },
  ollama: { baseUrl: "http://127.0.0.1:11434/v1" },
};

/** The Chat Completions root of `preset` when `type` moves it there from its own protocol. */
export function chatRootOf(
  preset: { readonly id: string; readonly type: string } | undefined,
  type: string | undefined,
): ChatRoot | undefined {
  if (preset === undefined || type !== "openai" || preset.type !== "anthropic") return undefined;
  return ROOTS[preset.id];
}
