/**
 * What a request is, as the scenario routes ask: a subagent's, one with web search, one with an
 * image, a long one, one that asks for deep thinking. Pure functions of the request body.
 */

import { isRecord } from "../core/json.ts";
import { maxRequestTokens } from "../tokens/bound.ts";
import { MAX_MODEL_CHARS } from "../protocols/anthropic_request_check.ts";

type Body = Readonly<Record<string, unknown>>;

/** Claude Code's billing-header block marks a subagent's requests so. */
const SUBAGENT_MARK = "cc_is_subagent=true";

/**
 * The tag that picks a target for a subagent, anywhere in its system prompt: ccp's, or
 * claude-code-router's `<CCR-SUBAGENT-MODEL>`, which agent files written for it carry.
 */
const SUBAGENT_TAG = /<(CC[PR])-SUBAGENT-MODEL>\s*([^<]*?)\s*<\/\1-SUBAGENT-MODEL>/;
const SUBAGENT_TAG_ALL = new RegExp(SUBAGENT_TAG.source, "g");

/** Every text of the system prompt: `system` (string or blocks) and `role: "system"` messages. */
function systemTexts(body: Body): string[] {
  const out: string[] = [];
  const collect = (content: unknown) => {
    if (typeof content === "string") out.push(content);
    else if (Array.isArray(content)) {
      for (const block of content) {
        if (isRecord(block) && typeof block.text === "string") out.push(block.text);
      }
    }
  };
  collect(body.system);
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) if (isRecord(m) && m.role === "system") collect(m.content);
  }
  return out;
}

/**
 * The model named by a subagent tag, if the system prompt has one. A name longer than a request's
 * `model` may be is no tag (it would key per-target state as the model field cannot).
 */
export function subagentTag(body: Body): string | undefined {
  for (const text of systemTexts(body)) {
    const match = SUBAGENT_TAG.exec(text);
    if (match?.[2] && match[2].length <= MAX_MODEL_CHARS) return match[2];
  }
  return undefined;
}

/**
 * The request without any subagent tag in its system prompt (a copy; the input is untouched).
 * Upstreams refuse empty text, so a block, message or prompt that held only the tag goes away.
 */
export function withoutSubagentTag<T extends Body>(body: T): T {
  const strip = (text: string) => text.replace(SUBAGENT_TAG_ALL, "").trim();
  const stripContent = (content: unknown): unknown => {
    if (typeof content === "string") return strip(content) || undefined;
    if (!Array.isArray(content)) return content;
    const blocks = content.flatMap((block) => {
      if (!isRecord(block) || typeof block.text !== "string" || !SUBAGENT_TAG.test(block.text)) {
        return [block];
      }
      const text = strip(block.text);
      return text ? [{ ...block, text }] : [];
    });
    return blocks.length > 0 ? blocks : undefined;
  };
  const out: Record<string, unknown> = { ...body };
  if (body.system !== undefined) {
    const system = stripContent(body.system);
    if (system === undefined) delete out.system;
    else out.system = system;
  }
  if (Array.isArray(body.messages)) {
    out.messages = body.messages.flatMap((m) => {
      if (!isRecord(m) || m.role !== "system") return [m];
      const content = stripContent(m.content);
      return content === undefined ? [] : [{ ...m, content }];
    });
  }
  return out as T;
}

/** True for a Claude Code subagent's request. */
export function isSubagent(body: Body): boolean {
  return systemTexts(body).some((text) => text.includes(SUBAGENT_MARK));
}

/** True when the request offers Anthropic's web search server tool. */
export function hasWebSearch(body: Body): boolean {
  return Array.isArray(body.tools) &&
    body.tools.some((t) =>
      isRecord(t) && typeof t.type === "string" && t.type.startsWith("web_search_")
    );
}

function holdsImage(content: unknown): boolean {
  if (!Array.isArray(content)) return false;
  return content.some((block) =>
    isRecord(block) &&
    (block.type === "image" || (block.type === "tool_result" && holdsImage(block.content)))
  );
}

/** True when the last user message holds an image, directly or inside a tool result. */
export function lastUserHasImage(body: Body): boolean {
  if (!Array.isArray(body.messages)) return false;
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (isRecord(m) && m.role === "user") return holdsImage(m.content);
  }
  return false;
}

/** True when the request asks for deep thinking: effort high, xhigh or max, or a large budget. */
export function wantsDeepThinking(body: Body, budgetThreshold: number): boolean {
  const effort = isRecord(body.output_config) ? body.output_config.effort : undefined;
  if (effort === "high" || effort === "xhigh" || effort === "max") return true;
  const thinking = isRecord(body.thinking) ? body.thinking : undefined;
  return typeof thinking?.budget_tokens === "number" && thinking.budget_tokens >= budgetThreshold;
}

/**
 * Whether the request may have more than `threshold` input tokens: false only when a bound of the
 * local count shows it cannot; otherwise only counting can tell (text may hold 1 or 20 characters
 * per token, so no character count decides "over").
 */
export function mayExceedTokens(body: Body, threshold: number): boolean {
  return maxRequestTokens(body, threshold) > threshold;
}
