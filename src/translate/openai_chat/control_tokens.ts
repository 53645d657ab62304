/**
 * Removes chat-template control tokens (`<|im_end|>`, `<|eot_id|>`, ...) that servers run
 * without the model's stop tokens leave in `content`; Claude Code would print them. Tokens
 * may be split anywhere across chunks: a possible token prefix at the end of a piece is held
 * back until the next piece decides it.
 */

/** Known control tokens of common chat templates (ChatML, Llama 3, Phi, Gemma, DeepSeek, Kimi). */
const CONTROL_TOKENS: readonly string[] = [
  "<|im_end|>",
  "<|im_start|>",
  "<|im_middle|>",
  "<|im_assistant|>",
  "<|im_user|>",
  "<|im_system|>",
  "<|endoftext|>",
  "<|end_of_text|>",
  "<|begin_of_text|>",
  "<|eot_id|>",
  "<|eom_id|>",
  "<|start_header_id|>",
  "<|end_header_id|>",
  "<|end|>",
  "<|assistant|>",
  "<|user|>",
  "<|system|>",
  "<end_of_turn>",
  "<start_of_turn>",
  "<\uff5cend\u2581of\u2581sentence\uff5c>",
  "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
];

const LONGEST = Math.max(...CONTROL_TOKENS.map((t) => t.length));

/** Start of the earliest suffix of `s` that could still grow into a token, else `s.length`. */
function heldFrom(s: string): number {
  for (let at = Math.max(0, s.length - LONGEST + 1); at < s.length; at++) {
    if (s[at] !== "<") continue;
    const tail = s.slice(at);
    if (CONTROL_TOKENS.some((t) => t.length > tail.length && t.startsWith(tail))) return at;
  }
  return s.length;
}

/** Stateful filter; one per response. */
export class ControlTokenFilter {
  #pending = "";

  /** Filters the next piece; returns the text that is certain so far. */
  push(piece: string): string {
    let s = this.#pending + piece;
    this.#pending = "";
    if (s.indexOf("<") === -1) return s;
    for (const token of CONTROL_TOKENS) {
      if (s.includes(token)) s = s.replaceAll(token, "");
    }
    const hold = heldFrom(s);
    this.#pending = s.slice(hold);
    return s.slice(0, hold);
  }

  /** Releases held-back text at the end of the stream. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return rest;
  }
}
