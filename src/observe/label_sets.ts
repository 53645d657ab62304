/** Prometheus label sets in the text exposition format, and a bounded cache of rendered ones. */

// Label values come from clients and configs: escape what the format reserves (rarely present).
function escape(value: string): string {
  if (!/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** `{name="value",...}` for `pairs` (nothing for none), values escaped. */
export function labels(pairs: Readonly<Record<string, string>>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/**
 * Label sets rendered once and looked up by their values: a server's requests repeat a few
 * provider/model/status combinations, and rendering one costs more than finding it. Bounded: an
 * unbounded variety (a client inventing model names) is rendered each time instead of kept.
 */
export class LabelSets {
  static readonly MAX = 10_000;
  // One level of maps per label, keyed by the values themselves: unambiguous whatever they
  // contain, and no key string built per lookup (JSON.stringify of the values was).
  readonly #rendered = new Map<string, unknown>();
  #size = 0;
  constructor(readonly names: readonly string[]) {}

  of(...values: string[]): string {
    let level = this.#rendered;
    const last = this.names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] ?? "";
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        if (this.#size >= LabelSets.MAX) return this.#render(values);
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const value = values[last] ?? "";
    let text = level.get(value) as string | undefined;
    if (text === undefined) {
      text = this.#render(values);
      if (this.#size < LabelSets.MAX) {
        level.set(value, text);
        this.#size++;
      }
    }
    return text;
  }

  #render(values: readonly string[]): string {
    return labels(Object.fromEntries(this.names.map((name, i) => [name, values[i] ?? ""])));
  }
}
