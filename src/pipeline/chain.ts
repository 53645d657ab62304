/** A route's chain as the dispatcher walks it, and the context windows along it. */

import type { Config, ModelSettings } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { UpstreamError } from "../core/errors.ts";
import { ChainWindows, type LocalWindows, type Unsendable } from "../resilience/chain_windows.ts";
import type { DispatchTarget } from "../resilience/outcome.ts";
import { cutsPrompts, isLocalServer, type ServerWindows } from "../resilience/server_windows.ts";
import type { Resolution } from "../routing/resolve.ts";
import type { ChainRequest } from "../upstream/transport.ts";
import { RAISE_THE_CONTEXT } from "../upstream/ollama/context.ts";

/**
 * The settings route variants give targets, kept by the very target objects; and, for targets on
 * a local server whose config declares no window, what ccp learned of that server's.
 */
export class ChainVariants extends Map<DispatchTarget, ModelSettings> {
  /** Targets on a local server: a refusal of `max_tokens` is sent again fitted (see refit). */
  readonly locals = new Set<DispatchTarget>();
  /** Local targets without a declared window; their server's refusals teach it. */
  readonly undeclared = new Set<DispatchTarget>();
  /** Those whose window (learned or declared) their server cuts a longer prompt to (Ollama). */
  readonly cutting = new Set<DispatchTarget>();
  /** Those on a server that cuts, whose window is not known yet: asked before sending. */
  readonly unknown: DispatchTarget[] = [];
  readonly #windows: ServerWindows | undefined;
  /** Told when a refusal of `max_tokens` is to be sent again fitted (the record says so). */
  refits: { resent(): void } | undefined;

  constructor(windows?: ServerWindows) {
    super();
    this.#windows = windows;
  }

  /** Notes what the server of local `target` is known to run it with (no declared window). */
  learnt(target: DispatchTarget, variant: ModelSettings | undefined): void {
    const { provider, model } = target;
    this.locals.add(target);
    if (settingsFor(provider, model, variant).contextWindow !== undefined) {
      // Ollama cuts a prompt over a declared window too (one given as README advises, the very
      // context it runs): such a prompt is not sent either.
      if (cutsPrompts(provider)) this.cutting.add(target);
      return;
    }
    this.undeclared.add(target);
    const learned = this.#windows?.of(provider, model);
    if (!learned) {
      if (provider.preset === "ollama" && this.#windows?.beforeUnknown) this.unknown.push(target);
      return;
    }
    // A learned window stands where a declared one would: max_tokens is fitted into it too.
    this.set(target, { ...variant, contextWindow: learned.tokens });
    if (learned.cuts) this.cutting.add(target);
  }

  /** Has the servers of {@link unknown} targets asked, and takes what they said. */
  async ask(request: Pick<ChainRequest, "inputTokens">): Promise<void> {
    const ask = this.#windows!.beforeUnknown!;
    const targets = this.unknown.splice(0);
    await Promise.all(targets.map((t) => ask(t.provider, t.model, () => request.inputTokens())));
    for (const t of targets) {
      if (this.#windows!.of(t.provider, t.model)) this.learnt(t, this.get(t));
    }
  }

  /** Says that `target` was not sent a prompt for its learned window, which may be out of date. */
  unsent(target: DispatchTarget): void {
    if (this.undeclared.has(target)) this.#windows?.onUnsent?.(target.provider, target.model);
  }

  /** What the chain's windows tell this store, when any target is a local one. */
  local(): LocalWindows | undefined {
    const windows = this.#windows;
    if (!windows || this.locals.size === 0) return undefined;
    return {
      local: (t) => this.locals.has(t),
      cuts: (t) => this.cutting.has(t),
      learn: (t, limit) => {
        if (!this.undeclared.has(t)) return;
        windows.learn(t.provider, t.model, limit);
        // The request's later attempts at `t` fit max_tokens into it too.
        const variant = this.get(t);
        if (variant?.contextWindow !== limit) this.set(t, { ...variant, contextWindow: limit });
      },
      refit: (t, max) => {
        // The cap comes from the server's own count: ccp's count (another tokenizer's, often
        // over it) is not to cut it further, so the re-send fits no window of its own.
        const { contextWindow: _, ...variant } = this.get(t) ?? {};
        const own = settingsFor(t.provider, t.model, variant).maxOutputTokens;
        this.set(t, { ...variant, maxOutputTokens: Math.min(max, own ?? max) });
        this.refits?.resent();
      },
    };
  }
}

/** The chain's targets, and the settings variants and learned windows give them. */
export function chainOf(resolution: Resolution, config: Config, windows?: ServerWindows): {
  chain: DispatchTarget[];
  variants: ChainVariants;
} {
  const variants = new ChainVariants(windows);
  const chain = resolution.chain.map((t) => {
    const target: DispatchTarget = { provider: config.providers[t.provider]!, model: t.model };
    if (t.settings) variants.set(target, t.settings);
    // Hosted providers are not looked at further: nothing more is done on their requests.
    if (isLocalServer(target.provider)) variants.learnt(target, t.settings);
    return target;
  });
  return { chain, variants };
}

/**
 * The windows of a chain of several targets, or of one on a local server, else undefined (one
 * target answers its refusal as before). The prompt's count is used only when it costs nothing
 * more: made for routing (`long_context`), or needed by the first target's own request, which
 * counts it anyway to fit `max_tokens` into its declared (or learned) `context_window` (the count
 * is one, shared with it). A count walks the whole history, cached or not; without one, a target
 * is passed only after a refusal. First, a server that cuts (Ollama) is asked the window of a
 * target it has not said one for (it counts the prompt only when the model is not loaded yet).
 * Throws Anthropic's `prompt is too long` when every target is a server that would cut the prompt
 * to a window it surely cannot fit.
 */
export async function chainWindows(
  chain: readonly DispatchTarget[],
  variants: ReadonlyMap<DispatchTarget, ModelSettings>,
  request: Pick<ChainRequest, "inputTokens" | "countedInputTokens">,
): Promise<ChainWindows | undefined> {
  if (variants instanceof ChainVariants && variants.unknown.length > 0) await variants.ask(request);
  const local = variants instanceof ChainVariants ? variants.local() : undefined;
  if (chain.length < 2 && !local) return undefined;
  const windows = new Map(
    chain.map((t) => [t, settingsFor(t.provider, t.model, variants.get(t)).contextWindow]),
  );
  const windowOf = (t: DispatchTarget) => windows.get(t);
  if (windows.get(chain[0]!) === undefined && request.countedInputTokens === undefined) {
    return new ChainWindows(chain, windowOf, undefined, local);
  }
  // A count that fails passes nothing: every target is sent the request, as before.
  const tokens = await request.inputTokens().catch(() => undefined);
  const made = new ChainWindows(chain, windowOf, tokens, local);
  if (made.unsendable) {
    const chainVariants = variants as ChainVariants;
    chainVariants.unsent(made.unsendable.target);
    throw promptTooLong(made.unsendable, chainVariants.undeclared.has(made.unsendable.target));
  }
  return made;
}

/**
 * Anthropic's refusal of an over-long prompt, whose first words Claude Code compacts on, for a
 * prompt ccp did not send: Ollama would have cut it from the front and answered off-topic.
 */
function promptTooLong(
  { target, window, promptTokens }: Unsendable,
  learned: boolean,
): UpstreamError {
  const context = learned
    ? `Ollama runs ${target.model} with a context of ${window} tokens and`
    : `the context_window of ${target.model} is ${window} tokens, and Ollama`;
  return new UpstreamError(
    "invalid_request_error",
    `prompt is too long: ${promptTokens} tokens > ${window} maximum (ccp's count; not sent: ` +
      `${context} cuts a longer prompt from the front without an error). To give it more ` +
      `context, ${RAISE_THE_CONTEXT}${learned ? "" : ", and raise its context_window with it"}.`,
    // Named in the request's record: its log line, and the Ollama warning (once per model).
    { status: 400, target: { provider: target.provider.id, model: target.model } },
  );
}
