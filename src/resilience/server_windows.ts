/**
 * The context windows local model servers said they run each model with, for targets whose
 * config declares none: Ollama's (`/api/ps`, `/api/show`), llama.cpp's, vLLM's and LM Studio's
 * (asked when `ccp code` starts, or read from their refusal of a prompt as too long). A learned
 * window does what a declared `context_window` does: `max_tokens` is fitted into it, and a chain
 * passes a target the prompt surely cannot fit. Ollama's differs in one way: Ollama cuts a longer
 * prompt from the front without an error, so a prompt surely over it is never sent there.
 */

import { findPreset } from "../providers/catalog.ts";
import type { ProviderConfig } from "../config/types.ts";
import { serverKey } from "./server_key.ts";

/** A window a server said it runs a model with. */
export interface ServerWindow {
  readonly tokens: number;
  /** The server cuts a longer prompt without an error (Ollama) rather than refusing it. */
  readonly cuts: boolean;
}

// Clients may name any model of a provider: past this many, the oldest are forgotten.
const MAX_WINDOWS = 256;

/** Whether a provider is a model server run by the user (its preset is a local one). */
export function isLocalServer(provider: ProviderConfig): boolean {
  return provider.preset !== undefined && findPreset(provider.preset)?.local === true;
}

/** Whether `provider`'s server cuts a prompt longer than its window without an error (Ollama). */
export function cutsPrompts(provider: ProviderConfig): boolean {
  return provider.preset === "ollama";
}

/**
 * Windows per local server and model, kept across config reloads; bounded. Kept by server
 * (server_key.ts): a reload that renames the provider keeps them, and one that points it at
 * another server does not take the old one's there.
 */
export class ServerWindows {
  readonly #byTarget = new Map<string, ServerWindow>();
  /**
   * Told of each prompt not sent for a window its server cuts to: that window may be out of date
   * (the server restarted with more context), and is to be asked again.
   */
  onUnsent: ((provider: ProviderConfig, model: string) => void) | undefined;
  /**
   * Asked before a request to a model whose window is not known, on a server that cuts (Ollama):
   * it may learn the window before the prompt goes (`tokens` counts the prompt when needed).
   */
  beforeUnknown:
    | ((provider: ProviderConfig, model: string, tokens: () => Promise<number>) => Promise<void>)
    | undefined;

  /** Whether nothing was learned yet (then no request looks further). */
  get empty(): boolean {
    return this.#byTarget.size === 0;
  }

  /** Records the window `provider`'s server runs `model` with. */
  learn(provider: ProviderConfig, model: string, tokens: number): void {
    if (!Number.isInteger(tokens) || tokens <= 0) return;
    const id = keyOf(provider, model);
    this.#byTarget.delete(id);
    if (this.#byTarget.size >= MAX_WINDOWS) {
      this.#byTarget.delete(this.#byTarget.keys().next().value!);
    }
    const cuts = cutsPrompts(provider);
    this.#byTarget.set(id, { tokens, cuts });
  }

  /** Forgets what `provider`'s server runs `model` with (it no longer says). */
  forget(provider: ProviderConfig, model: string): void {
    this.#byTarget.delete(keyOf(provider, model));
  }

  /** The window learned for `model` of `provider`, when its server said one. */
  of(provider: ProviderConfig, model: string): ServerWindow | undefined {
    return this.#byTarget.get(keyOf(provider, model));
  }
}

function keyOf(provider: ProviderConfig, model: string): string {
  return `${serverKey(provider)}\n${model}`;
}
