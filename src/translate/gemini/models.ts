/**
 * What ccp must know per Gemini model family: its output-token limit and how its
 * thinking is switched (a token budget on 2.5 models, a level on Gemini 3 and later).
 * The limits and budget ranges are the ones the Gemini API holds each model to.
 */

import type { GeminiThinkingLevel } from "../../protocols/gemini.ts";

/** How a model's thinking is controlled. */
export type GeminiThinkingControl =
  | { readonly kind: "none" }
  | {
    readonly kind: "budget";
    readonly min: number;
    readonly max: number;
    /** `thinkingBudget: 0` turns thinking off (2.5 Pro cannot). */
    readonly canDisable: boolean;
  }
  | {
    readonly kind: "level";
    readonly levels: readonly GeminiThinkingLevel[];
    /** The level that stands for "off" (Flash's `minimal`); absent when there is none. */
    readonly off?: GeminiThinkingLevel;
  };

/** Capabilities of one model family. */
export interface GeminiModelInfo {
  readonly maxOutputTokens: number;
  readonly thinking: GeminiThinkingControl;
}

const BUDGET_PRO: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "budget", min: 128, max: 32768, canDisable: false },
};
const BUDGET_FLASH_LITE: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "budget", min: 512, max: 24576, canDisable: true },
};
const BUDGET_FLASH: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "budget", min: 1, max: 24576, canDisable: true },
};
const NO_THINKING: GeminiModelInfo = { maxOutputTokens: 8192, thinking: { kind: "none" } };
// Gemini 3 Pro takes only "low" and "high"; Flash models also "minimal" and "medium".
// An unsupported level is a 400.
const LEVEL_PRO: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "level", levels: ["low", "high"] },
};
// Gemini 3.1 Pro added "medium"; it has no "minimal" either.
const LEVEL_PRO_MEDIUM: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "level", levels: ["low", "medium", "high"] },
};
const LEVEL_FLASH: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "level", levels: ["minimal", "low", "medium", "high"], off: "minimal" },
};
// Gemini 3.7 Flash dropped "minimal" (a 400), and later Flash models (3.8, the -latest alias)
// kept it out.
const LEVEL_FLASH_NO_MINIMAL: GeminiModelInfo = {
  maxOutputTokens: 65536,
  thinking: { kind: "level", levels: ["low", "medium", "high"] },
};

/** First match wins; names are matched on the last path segment, lower-cased. */
const FAMILIES: ReadonlyArray<readonly [RegExp, GeminiModelInfo]> = [
  [/^gemini-2\.5-pro/, BUDGET_PRO],
  [/^gemini-2\.5-flash-lite/, BUDGET_FLASH_LITE],
  [/^gemini-2\.5-flash/, BUDGET_FLASH],
  [/^gemini-(1\.|2\.0)|^gemma-/, NO_THINKING],
  [/^gemini-3\.[1-9]\d*-pro/, LEVEL_PRO_MEDIUM],
  [
    /^gemini-(3\.([7-9]|\d{2,})|([4-9]|\d{2,})\.\d+)-flash(?!-lite)|^gemini-flash-latest/,
    LEVEL_FLASH_NO_MINIMAL,
  ],
  [/flash/, LEVEL_FLASH],
];

/** Capabilities of `model`; unknown names get Gemini 3 Pro's (the strictest level set). */
export function geminiModelInfo(model: string): GeminiModelInfo {
  const name = model.toLowerCase().split("/").pop() ?? "";
  for (const [pattern, info] of FAMILIES) if (pattern.test(name)) return info;
  return LEVEL_PRO;
}

/**
 * True for models that validate thought signatures on function calls (Gemini 3 and
 * later), i.e. every model that is not a 1.x/2.x Gemini or a Gemma.
 */
export function validatesThoughtSignatures(model: string): boolean {
  const name = model.toLowerCase().split("/").pop() ?? "";
  return !/^gemini-[12]\.|^gemma-/.test(name);
}

/**
 * False for models that refuse a request ending on a model turn (an assistant prefill): Gemini
 * 3.5 Flash-Lite, 3.6 Flash and every release after them, and 3.5 Flash and the 3 Flash
 * preview, which are now served by 3.6 Flash. Older models continue the turn; names ccp cannot
 * date count as new.
 */
export function continuesModelTurn(model: string): boolean {
  const name = model.toLowerCase().split("/").pop() ?? "";
  if (name.startsWith("gemma-")) return true;
  // The Gemini 3 Flash preview is now served by 3.6 Flash too.
  if (name.startsWith("gemini-3-flash")) return false;
  const version = /^gemini-(\d+)(?:\.(\d+))?-/.exec(name);
  if (!version) return false;
  const major = Number(version[1]);
  return major < 3 || (major === 3 && Number(version[2] ?? 0) < 5);
}
