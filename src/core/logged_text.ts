/**
 * What ccp keeps of an upstream's error text for its log and its shared state: the request content
 * a validating server quoted back left out, and the excerpt bounded. The client that sent the
 * request still gets the upstream's words whole (it wrote that text); the log is read by others.
 *
 * FastAPI and pydantic servers (vLLM, SGLang, LiteLLM-style gateways) answer a request they cannot
 * validate with its items: `{'type': 'missing', 'loc': ..., 'msg': ..., 'input': <the request's
 * part>, 'ctx': ...}`, as JSON or as Python's repr inside a message string, or pydantic's own
 * `[type=string_type, input_value=<the part>, input_type=dict]`. `msg` already says what was wrong
 * (pydantic words it from `ctx`), so both members are left out whole.
 *
 * Other echoes (prose that quotes the prompt, JSON encoded twice, vLLM's `(parameter=...,
 * value=...)`) have no shape to find: given the request's text, every run of it the error text
 * holds is left out too, first, so that the shapes above are then found around its marks.
 */

import type { RequestText } from "./request_text.ts";

/** The longest excerpt of an upstream's error text that is logged. */
export const MAX_LOGGED = 300;

// A member that quotes the request, in a JSON object or a Python dict, with what precedes it.
const MEMBER = /([{,])\s*(["'])(?:input|ctx)\2\s*:\s*/g;
// pydantic's ValidationError text; its repr may be cut by pydantic, so it ends at `input_type=`
// (or, cut again by the upstream, at the end of its line).
const INPUT_VALUE = /input_value=(?:.*?, (?=input_type=)|.*$)/gm;

const CLOSERS = new Set(["}", "]", ")"]);

/**
 * `text` without the runs of `request`'s text it holds and recognised echoes of the request, cut
 * to {@link MAX_LOGGED} characters.
 */
export function loggedText(text: string, request?: RequestText): string {
  const clean = withoutEchoes(request ? request.without(text) : text);
  return clean.length > MAX_LOGGED ? `${clean.slice(0, MAX_LOGGED)}\u2026` : clean;
}

/** `text` with validation items' `input` and `ctx` members and pydantic's `input_value` left out. */
export function withoutEchoes(text: string): string {
  let out = text.includes("input_value=") ? text.replace(INPUT_VALUE, "") : text;
  if (!/["'](?:input|ctx)["']/.test(out)) return out;
  MEMBER.lastIndex = 0;
  let found: RegExpExecArray | null;
  while ((found = MEMBER.exec(out)) !== null) {
    const end = valueEnd(out, MEMBER.lastIndex);
    if (found[1] === ",") {
      // `, 'input': ...` goes; the next separator or the closing bracket stays.
      out = out.slice(0, found.index) + out.slice(end);
      MEMBER.lastIndex = found.index;
    } else {
      // `{'input': ..., ` goes up to the next member; the opening bracket stays.
      const rest = out.slice(end).replace(/^\s*,\s*/, "");
      out = out.slice(0, found.index + 1) + rest;
      MEMBER.lastIndex = found.index + 1;
    }
  }
  return out;
}

/**
 * Where the value that starts at `from` ends: at the `,` or closing bracket that follows it at its
 * own depth, strings (JSON's or Python's, with escapes) skipped whole. A value the text cut short
 * runs to the end, so no part of it is kept.
 */
function valueEnd(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[" || c === "(") depth++;
    else if (CLOSERS.has(c)) {
      if (depth === 0) return i;
      depth--;
    } else if (c === "," && depth === 0) return i;
  }
  return text.length;
}
