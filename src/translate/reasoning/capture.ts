/**
 * Collects, for one thinking block, which fields its reasoning arrived in and the
 * merged OpenRouter `reasoning_details` items, then mints the block's ccp signature.
 */

import { isRecord, ownValue, setOwn } from "../../core/json.ts";
import {
  encodeCcpSignature,
  type ReasoningProvenance,
  type ReasoningSource,
} from "./provenance.ts";

type Item = Record<string, unknown>;

const CONCAT_KEYS = new Set(["text", "summary", "data"]);

/** Readable text of `reasoning_details` items (encrypted items have none). */
export function textOfReasoningDetails(details: readonly unknown[]): string {
  let out = "";
  for (const item of details) {
    if (!isRecord(item)) continue;
    if (typeof item.text === "string") out += item.text;
    else if (typeof item.summary === "string") out += item.summary;
  }
  return out;
}

/** Provenance of one thinking block under construction. */
export class ReasoningCapture {
  readonly #fields: ReasoningSource[] = [];
  readonly #items: Item[] = [];
  readonly #byIndex = new Map<number, Item>();
  #call: Item | undefined;
  /** Reasoning text kept for the signature (the block itself shows none); pieces, joined once. */
  #text: string[] | undefined;

  /** Records the `extra_content` of the tool call this block stands before. */
  carryCall(extra: Item): void {
    this.#call = extra;
  }

  /** Keeps a piece of reasoning text in the signature, for a block that shows none. */
  keepText(text: string): void {
    (this.#text ??= []).push(text);
  }

  /** Records that reasoning arrived through `source`, with any detail items. */
  add(source: ReasoningSource, details?: readonly unknown[]): void {
    if (!this.#fields.includes(source)) this.#fields.push(source);
    if (!details) return;
    if (!this.#fields.includes("reasoning_details")) this.#fields.push("reasoning_details");
    for (const piece of details) {
      if (!isRecord(piece)) continue;
      const index = typeof piece.index === "number" ? piece.index : undefined;
      const target = index !== undefined ? this.#byIndex.get(index) : undefined;
      if (!target) {
        const copy = { ...piece };
        this.#items.push(copy);
        if (index !== undefined) this.#byIndex.set(index, copy);
        continue;
      }
      // Streamed detail items arrive as fragments of the same index: text concatenates. (Its
      // own member only: a `constructor` or `toString` every object inherits would keep it out.)
      for (const [key, value] of Object.entries(piece)) {
        const prev = ownValue(target, key);
        if (CONCAT_KEYS.has(key) && typeof value === "string" && typeof prev === "string") {
          target[key] = prev + value;
        } else if (prev === undefined || prev === null || (key === "signature" && value)) {
          setOwn(target, key, value);
        }
      }
    }
  }

  /** The signature for the finished block; `server` tags the server that made it. */
  signature(provider: string, model: string, server?: string): string {
    const record: ReasoningProvenance = {
      provider,
      ...(server !== undefined ? { server } : {}),
      protocol: "openai_chat",
      model,
      fields: [...this.#fields],
      ...(this.#items.length > 0 ? { details: this.#items } : {}),
      ...(this.#call ? { call: this.#call } : {}),
      ...(this.#text ? { text: this.#text.join("") } : {}),
    };
    return encodeCcpSignature(record);
  }
}
