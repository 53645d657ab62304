/** The running total of one count: o200k text tokens (scaled at the end) and fixed Claude tokens. */
import type { Calibration } from "./calibration.ts";
import type { ModelProfile } from "./models.ts";
import type { TextCounter } from "./text_counter.ts";

/** Mutable accumulator threaded through the request walk. */
export interface Tally {
  readonly text: TextCounter;
  readonly profile: ModelProfile;
  readonly calibration: Calibration;
  /** o200k tokens of all counted text, converted to Claude tokens once at the end. */
  textTokens: number;
  /** Tokens already in Claude units: overheads, images, PDF pages. */
  fixed: number;
}

/** Add the tokens of a string; non-strings are ignored. */
export function addText(tally: Tally, value: unknown): void {
  if (typeof value === "string") tally.textTokens += tally.text.count(value);
}

/** JSON text of a value; never throws (cycles, BigInts and absurd nesting give ""). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/** Add the tokens of a value's JSON text (tool inputs, schemas, unknown blocks). */
export function addJson(tally: Tally, value: unknown): void {
  if (value === undefined) return;
  addText(tally, typeof value === "string" ? value : safeJson(value));
}
