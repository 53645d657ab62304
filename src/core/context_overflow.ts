/**
 * Context-window overflow errors, rewritten in the words of Anthropic's API.
 *
 * Claude Code recovers from an over-long prompt only when the error reads like Anthropic's:
 * a 400 whose message *starts* with `prompt is too long: N tokens > M maximum` triggers its
 * reactive compaction, and `input length and \`max_tokens\` exceed context limit: X + Y > M`
 * makes it lower `max_tokens`.
 * Every provider words the same failure differently (OpenAI/vLLM/DeepSeek "maximum context
 * length is M tokens. However, you requested N tokens", vLLM's engine "longer than the maximum
 * model length", llama.cpp "exceeds the available context size", Gemini "input token count ...
 * exceeds the maximum", Kimi "exceeded model token limit", Z.AI and Zhipu GLM "Prompt exceeds max
 * length", xAI "maximum prompt length is M", Text Generation Inference "`inputs` tokens +
 * `max_new_tokens` must be <= M", Groq and OpenAI "Request too large for model ... on tokens per
 * minute (TPM)"), and a prefix such as "Provider x answered HTTP 400:" hides even Anthropic's own
 * wording. So the recognised cases lead with
 * Anthropic's sentence and keep the provider's text after it.
 */

import { UpstreamError } from "./errors.ts";

/** Sizes read from an overflow message; any of them may be unknown. */
export interface Overflow {
  /** Prompt tokens (or the whole request when the provider counts it so). */
  readonly prompt?: number;
  /** Output tokens asked for, when the provider says so separately. */
  readonly output?: number;
  /** The model's context window. */
  readonly limit?: number;
}

// Words that only an overflow error uses (tested against the lower-cased message).
const OVERFLOW =
  /prompt is too long|request too large for .* on tokens per min(?:ute)? \(tpm\)|prompt too long|context (?:length|window|size|limit)|maximum context|context_length_exceeded|exceed_context_size|too many (?:input )?tokens|input token count|reduce the length of the (?:messages|input|prompt)|exceeded model token limit|prompt exceeds max(?:imum)? length|input length \d[\d,]* exceeds the maximum length|maximum prompt length is \d|`inputs` tokens \+ `max_new_tokens` must be|`inputs` must have less than \d|longer than the maximum model length/;

/** A request larger than the key's tokens-per-minute budget allows at all (Groq, OpenAI). */
export const PER_MINUTE_TOO_LARGE = /request too large for .* on tokens per min(?:ute)? \(tpm\)/i;

type Reader = (m: RegExpExecArray) => Overflow;
const num = (text: string | undefined) =>
  text === undefined ? undefined : Number(text.replace(/,/g, ""));

// "... on tokens per minute (TPM): Limit L, Requested R", R being the prompt plus the output asked
// for, reserved against the key's per-minute budget.
const PER_MINUTE_RESERVATION =
  /tokens per min(?:ute)? \(tpm\): limit ([\d,]+), requested ([\d,]+)/i;

/** The limit and the reservation a tokens-per-minute refusal names (Groq, OpenAI), if it is one. */
export function perMinuteReservation(
  message: string,
): { readonly limit: number; readonly requested: number } | undefined {
  const m = PER_MINUTE_RESERVATION.exec(message);
  return m ? { limit: num(m[1])!, requested: num(m[2])! } : undefined;
}

// Provider wordings, most specific first. N = prompt, Y = output, M = limit.
const READERS: ReadonlyArray<readonly [RegExp, Reader]> = [
  // Anthropic: "input length and `max_tokens` exceed context limit: X + Y > M"
  [
    /exceed context limit: ([\d,]+) \+ ([\d,]+) > ([\d,]+)/,
    (m) => ({ prompt: num(m[1]), output: num(m[2]), limit: num(m[3]) }),
  ],
  // Groq (413) and OpenAI (429): "Request too large for model ... on tokens per minute (TPM): Limit
  // L, Requested R". R is the prompt plus the output asked for, reserved against the key's
  // per-minute budget; when ccp could not send it again with fewer output tokens, the prompt
  // itself leaves too little room, and a shorter one (compacted) would be served.
  [PER_MINUTE_RESERVATION, (m) => ({ prompt: num(m[2]), limit: num(m[1]) })],
  // Anthropic "prompt is too long: N tokens > M maximum" and look-alikes
  [/([\d,]+) tokens? > ([\d,]+)/, (m) => ({ prompt: num(m[1]), limit: num(m[2]) })],
  // Ollama: "The prompt is too long: N, model maximum context length: M"
  [
    /prompt is too long: ([\d,]+), model maximum context length: ([\d,]+)/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // OpenRouter: "maximum context length is M tokens. However, you requested about T tokens
  // (X of text input, Z of tool input, Y in the output)". T counts the output asked for: read as
  // the prompt, a prompt that fits would be compacted again and again, never lowering max_tokens.
  [
    /context length is ([\d,]+) tokens?\. however, you requested about [\d,]+ tokens? \(([^)]*?)([\d,]+) in the output\)/,
    (m) => ({ limit: num(m[1]), prompt: inputParts(m[2]!), output: num(m[3]) }),
  ],
  // OpenAI, vLLM, DeepSeek, OpenRouter: "maximum context length is M tokens. However, you
  // requested N tokens (X in the messages, Y in the completion)"
  [
    /context length is ([\d,]+) tokens?[^(]*?\(([\d,]+) in the messages, ([\d,]+) in the completion/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]), output: num(m[3]) }),
  ],
  // vLLM's newer wordings (also behind Cloudflare, Bedrock, OpenRouter), SGLang, MiniMax: the
  // output asked for is named apart, and is not the prompt.
  // "'max_tokens' or 'max_completion_tokens' is too large: Y. This model's maximum context length
  // is M tokens and your request has N input tokens (Y > M - N)"
  [
    /is too large: ([\d,]+)\.? this model's maximum context length is ([\d,]+) tokens? and your request has ([\d,]+) input tokens/,
    (m) => ({ output: num(m[1]), limit: num(m[2]), prompt: num(m[3]) }),
  ],
  // "maximum context length is M tokens. However, you requested Y output tokens and your prompt
  // contains at least N input tokens"
  [
    /context length is ([\d,]+) tokens?\. however, you requested ([\d,]+) output tokens? and your prompt contains (?:at least )?([\d,]+) input tokens?/,
    (m) => ({ limit: num(m[1]), output: num(m[2]), prompt: num(m[3]) }),
  ],
  // "maximum context length of M tokens. You requested a total of T tokens: N tokens from the
  // input messages and Y tokens for the completion"
  [
    /context length of ([\d,]+) tokens?\. you requested a total of [\d,.]+ tokens?: ([\d,]+)(?:\.0)? tokens? from the input messages and ([\d,]+)(?:\.0)? tokens? for the completion/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]), output: num(m[3]) }),
  ],
  [
    /context length is ([\d,]+) tokens?.*?(?:requested|has|contains?|resulted in) (?:about )?([\d,]+)/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]) }),
  ],
  // vLLM's engine (a prompt its images make longer than the text the server checked first):
  // "The decoder prompt (length N) is longer than the maximum model length of M."
  [
    /prompt \(length ([\d,]+)\) is longer than the maximum model length of ([\d,]+)/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // llama.cpp: "request (N tokens) exceeds the available context size (M tokens)"
  // NIM/SGLang: "The input (N tokens) is longer than the model's context length (M tokens)"
  // Gemini: "The input token count (N) exceeds the maximum number of tokens allowed (M)"
  [
    /\(([\d,]+)(?: tokens?)?\) (?:exceeds|is longer than)[^(]*\(([\d,]+)(?: tokens?)?\)/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // Kimi: "Your request exceeded model token limit: M (requested: N)"
  [
    /token limit: ([\d,]+) \(requested: ([\d,]+)\)/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]) }),
  ],
  // GLM on other hosts: "Input length N exceeds the maximum length M"
  [
    /input length ([\d,]+) exceeds the maximum length ([\d,]+)/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // Mistral: "Prompt contains N tokens ... too large for model with M maximum context length"
  [
    /contains ([\d,]+) tokens.*?with ([\d,]+) maximum context/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // LM Studio: "Trying to keep the first N tokens when context the overflows. However, the model
  // is loaded with context length of only M tokens"
  [
    /keep the first ([\d,]+) tokens? when context (?:the )?overflows.*?context length of only ([\d,]+)/,
    (m) => ({ prompt: num(m[1]), limit: num(m[2]) }),
  ],
  // xAI: "This model's maximum prompt length is M but the request contains N tokens."
  [
    /maximum prompt length is ([\d,]+) but the request contains ([\d,]+) tokens?/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]) }),
  ],
  // Text Generation Inference (Hugging Face, and hosts built on it): "Input validation error:
  // `inputs` tokens + `max_new_tokens` must be <= M. Given: N `inputs` tokens and Y
  // `max_new_tokens`", or "`inputs` must have less than M tokens. Given: N"
  [
    /`inputs` tokens \+ `max_new_tokens` must be <= ([\d,]+)\. given: ([\d,]+) `inputs` tokens and ([\d,]+) `max_new_tokens`/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]), output: num(m[3]) }),
  ],
  [
    /`inputs` must have less than ([\d,]+) tokens?\. given: ([\d,]+)/,
    (m) => ({ limit: num(m[1]), prompt: num(m[2]) }),
  ],
];

/** The sum of the "N of ... input" parts OpenRouter lists, or undefined when it lists none. */
function inputParts(list: string): number | undefined {
  const parts = [...list.matchAll(/([\d,]+) of [a-z]+ input/g)];
  return parts.length === 0 ? undefined : parts.reduce((sum, part) => sum + num(part[1])!, 0);
}

/**
 * Whether `message` reads as an overflow, for an error that came with no status of its own (an
 * error event, or an error in a 200 body, with neither a code nor a type).
 */
export function readsAsOverflow(message: string): boolean {
  return OVERFLOW.test(message.toLowerCase());
}

/** The sizes of an overflow error, or undefined when `message` is not one. */
function readOverflow(status: number, message: string): Overflow | undefined {
  // Only a refusal of the request; a 5xx mentioning the context is the server's own fault. A 429
  // counts only for a request too large for the key's per-minute budget, which no wait serves.
  const text = message.toLowerCase();
  if (
    status === 429
      ? !PER_MINUTE_TOO_LARGE.test(text)
      : status !== 400 && status !== 413 && status !== 422
  ) {
    return undefined;
  }
  if (!OVERFLOW.test(text)) return undefined;
  for (const [pattern, read] of READERS) {
    const match = pattern.exec(text);
    if (match) return read(match);
  }
  return {};
}

/** How Anthropic's over-long prompt refusal begins, the words Claude Code compacts on. */
export const PROMPT_TOO_LONG = "prompt is too long";

/** The window a `prompt is too long: N tokens > M maximum` message names (M), when it names one. */
export function statedWindow(message: string): number | undefined {
  const m = /^prompt is too long: \d+ tokens > (\d+) maximum/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * The context limit an overflow in Anthropic's words names, whether the prompt alone was too long
 * or the prompt and `max_tokens` together (M in either sentence).
 */
export function statedLimit(message: string): number | undefined {
  const m =
    /^(?:prompt is too long: \d+ tokens|input length and `max_tokens` exceed context limit: \d+ \+ \d+) > (\d+)/
      .exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * Anthropic's sentence for an overflow: the max_tokens one when the prompt alone fits (Claude
 * Code then asks for fewer output tokens), else "prompt is too long" (it compacts).
 */
function anthropicOverflowText(overflow: Overflow): string {
  const { prompt, output, limit } = overflow;
  if (prompt !== undefined && output !== undefined && limit !== undefined && prompt < limit) {
    return `input length and \`max_tokens\` exceed context limit: ${prompt} + ${output} > ${limit}, decrease input length or \`max_tokens\` and try again`;
  }
  if (prompt !== undefined && limit !== undefined && prompt > limit) {
    return `prompt is too long: ${prompt} tokens > ${limit} maximum`;
  }
  return "prompt is too long";
}

/**
 * The client's message for an upstream refusal `text` (answered with `status`) when it is an
 * overflow: Anthropic's sentence first, uncapitalised as Claude Code matches it, then `said`
 * (ccp's own account of the failure, naming the provider and model). Undefined otherwise.
 */
export function overflowMessage(status: number, text: string, said: string): string | undefined {
  const overflow = readOverflow(status, text);
  return overflow ? `${anthropicOverflowText(overflow)} (${said})` : undefined;
}

/** {@link overflowMessage} as the 400 `invalid_request_error` the client gets for it. */
export function overflowError(
  status: number,
  text: string,
  said: string,
): UpstreamError | undefined {
  const message = overflowMessage(status, text, said);
  return message === undefined
    ? undefined
    : new UpstreamError("invalid_request_error", message, { status: 400, upstreamStatus: status });
}

/** Room beside a prompt below which ccp's own token count cannot tell whether it fits. */
const MIN_FITTED_OUTPUT = 1024;

/**
 * `max` fitted beside a prompt of `inputTokens` (ccp's local count) into a model's context
 * `window`, since servers refuse prompt + max_tokens above the window. When the count leaves less
 * than {@link MIN_FITTED_OUTPUT}, `max` is kept: the count is an estimate made with another
 * tokenizer than the model's, and a cap of a few tokens makes the model stop at once (Claude Code
 * even takes such a cut-off answer as the summary of a compaction and loses the conversation).
 * The upstream's own count decides then: it serves the request, or refuses it in words ccp turns
 * into Anthropic's, and Claude Code compacts or asks for fewer output tokens.
 */
export function fitOutputToWindow(max: number, window: number, inputTokens: number): number {
  const room = window - inputTokens - 64;
  return room < MIN_FITTED_OUTPUT ? max : Math.min(max, room);
}

/**
 * The `max_tokens` to send again after a server refused prompt + `output` over its window
 * `limit`, stating its own count of the prompt (`prompt`): the room its count leaves, when that is
 * at least {@link MIN_FITTED_OUTPUT} and less than was asked; else undefined (nothing to send
 * again). The server's count is its own tokenizer's, where ccp's is an estimate (in Claude tokens,
 * often a third over an open model's): a window that ccp's count fills may still leave the
 * server thousands of tokens of room.
 */
export function refittedOutput(prompt: number, output: number, limit: number): number | undefined {
  const room = limit - prompt - 64;
  return room >= MIN_FITTED_OUTPUT && room < output ? room : undefined;
}

/**
 * The start of Anthropic's `prompt is too long` for a refusal of `max_tokens` where the server's
 * own count of the prompt (`prompt`) leaves less than {@link MIN_FITTED_OUTPUT} of its window
 * `limit` for an answer, else undefined. No `max_tokens` is worth sending there: the prompt itself
 * is too long for the window, and its maximum is the longest one beside which ccp would fit an
 * answer. Claude Code compacts on this sentence, where on the `max_tokens` one it could only ask
 * for fewer output tokens than an answer needs; a chain moves on to a larger window.
 */
export function roomlessPrompt(prompt: number, limit: number): string | undefined {
  const most = Math.max(0, limit - MIN_FITTED_OUTPUT - 64);
  return prompt > most ? `${PROMPT_TOO_LONG}: ${prompt} tokens > ${most} maximum` : undefined;
}
