/**
 * `ccp check`'s lines on prices: which route and alias targets will cost $0, which will show no
 * cost at all, which cost what their upstream reports, and which cost more for a long prompt, so
 * a user knows before a session what the status line, `/ui` and `ccp usage` will say.
 */

import type { Config, Price, Target } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import {
  type Billing,
  billingOf,
  builtInPrice,
  costReports,
  pricedAtHost,
  priceOf,
} from "../usage/prices.ts";

// Why a target has the price it has, in a few words.
const BILLED: Readonly<Record<Billing, string>> = {
  free: "a free API",
  flat: "a flat-fee plan",
  local: "a local server",
};

/** The targets of each kind, each named once (route variants of one model may be priced apart). */
interface Kinds {
  readonly free: Set<string>;
  readonly none: Set<string>;
  readonly reported: Set<string>;
  /** Said by an answer not streamed; a streamed one at the table's price. */
  readonly unstreamed: Set<string>;
  /** Providers with such a target the table does not price. */
  readonly unpricedStreams: Set<string>;
  readonly tiered: Set<string>;
}

/** The lines, or none when every target has a price above 0 that does not grow with the prompt. */
export function priceLines(config: Config): string[] {
  const kinds: Kinds = {
    free: new Set(),
    none: new Set(),
    reported: new Set(),
    unstreamed: new Set(),
    unpricedStreams: new Set(),
    tiered: new Set(),
  };
  for (const chain of [...Object.values(config.routes), ...Object.values(config.aliases)]) {
    for (const t of chain) sort(config, t, kinds);
  }
  const lines: string[] = [];
  const list = (head: string, names: Set<string>) => {
    if (names.size > 0) lines.push(`  ${head}: ${[...names].join(", ")}`);
  };
  list("$0", kinds.free);
  list("no cost shown (no price)", kinds.none);
  list("what each answer says it cost", kinds.reported);
  list(
    "what an answer not streamed says it cost (a streamed one, as Claude Code's are: the table's " +
      "price)",
    kinds.unstreamed,
  );
  for (const id of kinds.unpricedStreams) {
    lines.push(
      `    type: openai on provider "${id}" has every answer say what it cost, streamed or not`,
    );
  }
  list("more past a prompt size (the whole request)", kinds.tiered);
  if (lines.length === 0) return [];
  return [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    ...lines,
  ];
}

/** Notes `t` under the kind its price makes it, if any. */
function sort(config: Config, t: Target, kinds: Kinds): void {
  const provider = config.providers[t.provider];
  if (!provider) return;
  // `provider/*` sends the client's model name: only its preset is known before then.
  const model = t.clientModel ? "*" : t.model;
  const name = `${t.provider}/${model}`;
  const own = !t.clientModel && settingsFor(provider, t.model, t.settings).price;
  // The upstream's own figure is the cost of every answer that carries one, unless the user
  // set a price.
  const reports = own ? undefined : costReports(config, t.provider);
  if (reports === "every") {
    kinds.reported.add(name);
    return;
  }
  if (reports === "unstreamed") {
    const priced = t.clientModel || priceOf(config, t.provider, t.model, t.settings);
    if (priced) return void kinds.unstreamed.add(name);
    const why = whyBuiltIn(t.model, provider.preset);
    kinds.unstreamed.add(`${name} (streamed: no cost shown, ${why})`);
    kinds.unpricedStreams.add(t.provider);
    return;
  }
  const billing = billingOf(config, t.provider);
  if (t.clientModel && billing === undefined) return;
  const why = own ? "its price" : billing ? BILLED[billing] : whyBuiltIn(t.model, provider.preset);
  const price = t.clientModel
    ? billing === "free"
    : priceOf(config, t.provider, t.model, t.settings);
  if (price === true || (price && isZero(price))) kinds.free.add(`${name} (${why})`);
  else if (!price) kinds.none.add(`${name} (${why})`);
  else if (price.above) kinds.tiered.add(`${name} (past ${size(price.above.promptTokens)})`);
}

function whyBuiltIn(model: string, preset: string | undefined): string {
  if (builtInPrice(model, preset)) return "a free variant";
  return pricedAtHost(model) ? "no price at this host" : "not in the built-in table";
}

function isZero(p: Price): boolean {
  return p.input === 0 && p.output === 0 && !p.cacheRead && !p.cacheWrite && !p.above;
}

/** A prompt size as people say it: `200k tokens`. */
function size(tokens: number): string {
  return tokens % 1000 === 0 ? `${tokens / 1000}k tokens` : `${tokens} tokens`;
}
