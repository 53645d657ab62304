/**
 * `ccp check`'s lines on prices: which route and alias targets will cost $0 and which will show
 * no cost at all, so a user knows before a session what the status line, `/ui` and `ccp usage`
 * will say.
 */

import type { Config, Price } from "../config/types.ts";
import { settingsFor } from "../config/settings_merge.ts";
import { type Billing, billingOf, builtInPrice, pricedAtHost, priceOf } from "../usage/prices.ts";

// Why a target has the price it has, in a few words.
const BILLED: Readonly<Record<Billing, string>> = {
  free: "a free API",
  flat: "a flat-fee plan",
  local: "a local server",
};

/** The lines, or none when every target has a price above 0 (or is priced per request). */
export function priceLines(config: Config): string[] {
  const free = new Set<string>();
  const none = new Set<string>();
  for (const chain of [...Object.values(config.routes), ...Object.values(config.aliases)]) {
    for (const t of chain) {
      const provider = config.providers[t.provider];
      if (!provider) continue;
      const billing = billingOf(config, t.provider);
      // `provider/*` sends the client's model name: only a preset's billing is known before then.
      const model = t.clientModel ? "*" : t.model;
      const name = `${t.provider}/${model}`;
      if (t.clientModel && billing === undefined) continue;
      const own = !t.clientModel && settingsFor(provider, t.model, t.settings).price;
      const why = own
        ? "its price"
        : billing
        ? BILLED[billing]
        : whyBuiltIn(t.model, provider.preset);
      const price = t.clientModel
        ? billing === "free"
        : priceOf(config, t.provider, t.model, t.settings);
      // Named once per list: route variants of one model may be priced apart.
      const line = `${name} (${why})`;
      if (price === true || (price && isZero(price))) free.add(line);
      else if (!price) none.add(line);
    }
  }
  const lines: string[] = [];
  if (free.size > 0) lines.push(`  $0: ${[...free].join(", ")}`);
  if (none.size > 0) lines.push(`  no cost shown (no price): ${[...none].join(", ")}`);
  if (lines.length === 0) return [];
  return [
    "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):",
    ...lines,
  ];
}

function whyBuiltIn(model: string, preset: string | undefined): string {
  if (builtInPrice(model, preset)) return "a free variant";
  return pricedAtHost(model) ? "no price at this host" : "not in the built-in table";
}

function isZero(p: Price): boolean {
  return p.input === 0 && p.output === 0 && !p.cacheRead && !p.cacheWrite && !p.above;
}
