/**
 * The default mode's route and its start-up line, apart from the code that builds the default
 * Config: every start's log lines need the line's function, and only a start without a file the rest.
 */

import type { Config } from "./types.ts";
import { shownAddress } from "../core/secrets.ts";

/** The route every request takes in default mode. */
export const DEFAULT_TARGET = { provider: "ollama", model: "qwen3-coder" } as const;

/** The start-up line for default mode: what is used, and how to configure something else. */
export function defaultModeNotice(config: Config, command = "ccp"): string {
  const ollama = config.providers[DEFAULT_TARGET.provider];
  // OLLAMA_BASE_URL may hold a password, or a key in its query under any name.
  const where = ollama ? ` at ${shownAddress(ollama.baseUrl)}` : "";
  return `No config file and no MODEL variable: using the built-in default, ` +
    `${DEFAULT_TARGET.provider}/${DEFAULT_TARGET.model}${where}. ` +
    `Run "${command} init" to write a commented config.yaml, or set MODEL=provider/model ` +
    `(e.g. MODEL=open_router/qwen/qwen3-coder with OPENROUTER_API_KEY).`;
}
